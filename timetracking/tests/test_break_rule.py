"""The break rule as § 4 ArbZG has it (issue 18, item 8): breaks count only in blocks of at least
15 minutes, nobody works more than 6 hours in a row without one, 30 minutes are needed beyond 6 hours
of work in a day and 45 beyond 9. Each limit just inside and just outside, across midnight and across
both DST changes (Europe/Berlin), and the two new limits as settings."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from timetracking import compliance
from timetracking.compliance import Assessment

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 1, 5)


def at(hour, minute=0, *, day=MONDAY):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def breaks(intervals, first_day=MONDAY, last_day=MONDAY + timedelta(days=6)):
    assessment = Assessment.prepare(intervals, user_id=7, tzinfo=BERLIN, first_day=first_day, last_day=last_day)
    return compliance.breaks_violations(assessment)


def day(*spans, on=MONDAY):
    """Entries of one day from (start "HH:MM", end "HH:MM") pairs."""
    result = []
    for start, end in spans:
        (sh, sm), (eh, em) = (map(int, start.split(":")), map(int, end.split(":")))
        result.append((at(sh, sm, day=on), at(eh, em, day=on)))
    return result


# --- Only gaps of at least 15 minutes are breaks ---------------------------------------------------


@pytest.mark.parametrize(
    ("gaps", "expected"),
    [
        # 7 h of work; two gaps. 15 + 15 = 30 min of breaks: enough.
        ((15, 15), []),
        # 14 + 16: the 14 minutes are no break, so only 16 min of the 30 needed.
        ((14, 16), ["16/30"]),
        # Three 10-minute gaps are 30 minutes of gaps but no break at all (and 7 h in a row).
        ((10, 10, 10), ["0/30"]),
    ],
)
def test_only_gaps_of_fifteen_minutes_or_more_count(gaps, expected):
    spans, clock = [], at(7)
    pieces = len(gaps) + 1
    work = timedelta(hours=7) / pieces
    for index in range(pieces):
        spans.append((clock, clock + work))
        clock += work + timedelta(minutes=gaps[index] if index < len(gaps) else 0)
    found = breaks(spans)
    assert [f"{violation.actual}/{violation.limit}" for violation in found] == expected


def test_seven_and_a_half_hours_then_an_hour_off_is_a_violation():
    # The case: before, the 60-minute gap counted as the day's break and nothing was raised.
    [violation] = breaks(day(("07:00", "14:30"), ("15:30", "16:00")))
    assert "7:30 h of work in a row from 07:00" in violation.message
    assert violation.starts_at == at(7) and violation.ends_at == at(14, 30)
    assert violation.details["longest_in_a_row_seconds"] == 7.5 * 3600
    assert violation.actual == 60  # its breaks were enough in total: the stretch is the problem
    assert "min of breaks" not in violation.message


# --- At most six hours in a row --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first_end", "expected"),
    [("13:00", 0), ("13:01", 1)],  # 6:00 in a row is allowed, 6:01 is not
)
def test_six_hours_in_a_row_just_inside_and_outside(first_end, expected):
    found = breaks(day(("07:00", first_end), ("13:30", "15:00")))
    assert len(found) == expected
    if expected:
        assert "6:01 h of work in a row" in found[0].message and "at most 6:00 h" in found[0].message


def test_short_gaps_do_not_end_a_stretch_in_a_row():
    # 3:00, 10 min off, 3:01: 6:01 h of work with no 15-minute break between.
    [violation] = breaks(day(("07:00", "10:00"), ("10:10", "13:11"), ("13:45", "14:00")))
    assert "6:01 h of work in a row from 07:00" in violation.message


def test_a_stretch_in_a_row_across_midnight_belongs_to_the_evening():
    sunday = MONDAY + timedelta(days=6)
    evening = [(at(20, day=MONDAY), at(23, 59, day=MONDAY)), (at(23, 59, day=MONDAY), at(3, day=MONDAY + timedelta(1)))]
    [violation] = breaks(evening, last_day=sunday)
    assert violation.period_start == MONDAY and "7:00 h of work in a row from 20:00" in violation.message
    # Cut at midnight into two entries, each its own day's (3:59 and 3:01), it is still one stretch.
    split = [(at(20), at(23, 59)), (at(0, day=MONDAY + timedelta(1)), at(3, day=MONDAY + timedelta(1)))]
    [again] = breaks(split, last_day=sunday)
    assert again.period_start == MONDAY and "6:59 h of work in a row from 20:00" in again.message


@pytest.mark.parametrize(
    ("night", "expected"),
    [
        # Spring forward (29 March 2026, 02:00 → 03:00): 00:30 to 07:00 on the clock is 5:30 of work.
        (date(2026, 3, 29), 0),
        # Fall back (25 October 2026, 03:00 → 02:00): 00:30 to 06:00 on the clock is 6:30 of work.
        (date(2026, 10, 25), 1),
    ],
)
def test_work_in_a_row_is_real_time_across_the_dst_change(night, expected):
    end = (7, 0) if expected == 0 else (6, 0)
    found = breaks([(at(0, 30, day=night), at(*end, day=night))], first_day=night, last_day=night)
    assert len(found) == expected
    if expected:
        assert "6:30 h of work in a row from 00:30" in found[0].message


# --- 30 minutes beyond 6 hours, 45 beyond 9 --------------------------------------------------------


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        (day(("07:00", "13:00")), []),  # 6:00 exactly: no break needed
        (day(("07:00", "10:00"), ("10:29", "13:30")), ["29/30"]),  # 6:01 with 29 min
        (day(("07:00", "10:00"), ("10:30", "13:30")), []),  # 6:00 + 30 min
        (day(("07:00", "10:00"), ("10:30", "13:31")), []),  # 6:01 with 30 min
        (day(("07:00", "12:00"), ("12:30", "16:30")), []),  # 9:00 exactly with 30 min
        (day(("07:00", "12:00"), ("12:30", "16:31")), ["30/45"]),  # 9:01 with 30 min
        (day(("07:00", "12:00"), ("12:30", "13:00"), ("13:15", "17:46")), []),  # 9:01 with 30 + 15
        (day(("07:00", "12:00"), ("12:30", "13:00"), ("13:14", "17:45")), ["30/45"]),  # ... with 30 + 14
    ],
)
def test_the_days_breaks_just_inside_and_outside(spans, expected):
    assert [f"{violation.actual}/{violation.limit}" for violation in breaks(spans)] == expected


def test_one_violation_says_both_when_both_are_missing():
    [violation] = breaks(day(("07:00", "14:00"), ("14:10", "15:00")))  # 7:50 of work, 10 min off
    assert "7:50 h of work with 0 min of breaks; at least 30 min are needed (breaks count from 15 min)." in (
        violation.message
    )
    assert "7:50 h of work in a row from 07:00" in violation.message


# --- The two limits are settings -------------------------------------------------------------------


def test_the_minimum_break_block_is_a_setting(settings):
    spans = day(("07:00", "10:00"), ("10:10", "13:00"), ("13:20", "14:00"))  # gaps of 10 and 20 min
    assert [violation.actual for violation in breaks(spans)] == [Decimal("20")]
    settings.WORKING_TIME_BREAK_MIN_MINUTES = 10
    assert breaks(spans) == []  # 10 + 20 = 30 min, no stretch over 6 h


def test_the_most_hours_in_a_row_is_a_setting(settings):
    spans = day(("07:00", "14:00"), ("14:30", "15:00"))  # 7 h in a row, 30 min of breaks
    assert len(breaks(spans)) == 1
    settings.WORKING_TIME_MAX_HOURS_IN_A_ROW = 7
    assert breaks(spans) == []
    limits = compliance.limits()
    assert (limits.min_break_block, limits.max_in_a_row) == (15 * 60, 7 * 3600)
