"""timetracking.compliance.rules called one by one over a prepared Assessment, and the break
thresholds (WORKING_TIME_BREAK_AFTER_6H_HOURS / _9H_HOURS) as settings."""

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings

from timetracking import compliance
from timetracking.compliance import Assessment, Rule

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 1, 5)


def local(offset, hour, minute=0):
    day = MONDAY + timedelta(days=offset)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def prepare(intervals, first_day=MONDAY, last_day=MONDAY + timedelta(days=6)):
    return Assessment.prepare(intervals, user_id=7, tzinfo=BERLIN, first_day=first_day, last_day=last_day)


def rules_of(violations):
    return [violation.rule for violation in violations]


# --- The prepared inputs ---------------------------------------------------------------------------


def test_prepare_sorts_in_utc_groups_by_local_day_and_lists_the_weeks():
    late = (local(1, 23, 30), local(2, 1))  # Tuesday 23:30 in Berlin is 22:30 UTC: still Tuesday
    early = (local(0, 8), local(0, 9))
    assessment = prepare([late, early], last_day=MONDAY + timedelta(days=8))
    assert assessment.intervals == [(early[0].astimezone(UTC), early[1].astimezone(UTC)), (late[0], late[1])]
    assert all(start.tzinfo is UTC for start, _ in assessment.intervals)
    assert list(assessment.by_day) == [MONDAY, MONDAY + timedelta(days=1)]
    assert assessment.weeks == [MONDAY, MONDAY + timedelta(days=7)]
    assert assessment.limits == compliance.limits()


def test_limits_are_read_from_settings_in_seconds(settings):
    settings.WORKING_TIME_BREAK_AFTER_6H_HOURS = 5
    settings.WORKING_TIME_BREAK_AFTER_9H_HOURS = 8
    limits = compliance.limits()
    assert (limits.short_break_after, limits.long_break_after) == (5 * 3600, 8 * 3600)
    assert (limits.short_break, limits.long_break) == (30 * 60, 45 * 60)
    assert (limits.max_daily, limits.min_daily_rest, limits.min_weekly_rest) == (10 * 3600, 11 * 3600, 35 * 3600)
    assert (limits.max_weekly, limits.reference_weeks) == (48 * 3600, 17)


# --- One test per rule function ----------------------------------------------------------------------


def test_daily_hours_violations():
    long_day = [(local(0, 7), local(0, 12)), (local(0, 13), local(0, 18, 1))]  # 10 h 01
    ten_hours = [(local(1, 7), local(1, 12)), (local(1, 13), local(1, 18))]
    [violation] = compliance.daily_hours_violations(prepare(long_day + ten_hours))
    assert (violation.rule, violation.user_id, violation.period_start, violation.period_end) == (
        Rule.DAILY_HOURS,
        7,
        MONDAY,
        MONDAY,
    )
    assert (violation.actual, violation.limit, violation.unit) == (Decimal("10.02"), Decimal("10.00"), "hours")
    assert compliance.daily_hours_violations(prepare(ten_hours)) == []


def test_breaks_violations():
    without_break = [(local(0, 8), local(0, 14, 1))]
    with_break = [(local(1, 8), local(1, 12)), (local(1, 12, 30), local(1, 15))]
    [violation] = compliance.breaks_violations(prepare(without_break + with_break))
    assert (violation.rule, violation.period_start) == (Rule.BREAKS, MONDAY)
    assert (violation.actual, violation.limit, violation.unit) == (Decimal("0"), Decimal("30"), "minutes")
    assert compliance.breaks_violations(prepare(with_break)) == []


def test_daily_rest_violations():
    short_rest = [(local(0, 14), local(0, 22)), (local(1, 8, 59), local(1, 12))]
    [violation] = compliance.daily_rest_violations(prepare(short_rest))
    assert (violation.rule, violation.period_start, violation.period_end) == (
        Rule.DAILY_REST,
        MONDAY,
        MONDAY + timedelta(days=1),
    )
    assert (violation.starts_at, violation.ends_at) == (local(0, 22), local(1, 8, 59))
    enough = [(local(0, 14), local(0, 22)), (local(1, 9), local(1, 12))]
    assert compliance.daily_rest_violations(prepare(enough)) == []


def test_weekly_rest_violations():
    # Work every day from the Sunday before to the Monday after, 8:00-16:00: 16 h off between days.
    every_day = [(local(offset, 8), local(offset, 16)) for offset in range(-1, 8)]
    [violation] = compliance.weekly_rest_violations(prepare(every_day))
    assert (violation.rule, violation.period_start, violation.period_end) == (
        Rule.WEEKLY_REST,
        MONDAY,
        MONDAY + timedelta(days=6),
    )
    assert violation.actual == Decimal("16.00") and violation.limit == Decimal("35.00")
    # Wednesday off: Tuesday 16:00 to Thursday 8:00 is 40 h in one stretch.
    with_a_day_off = [interval for interval in every_day if interval[0].date() != MONDAY + timedelta(days=2)]
    assert compliance.weekly_rest_violations(prepare(with_a_day_off)) == []
    assert compliance.weekly_rest_violations(prepare([])) == []


def test_average_weekly_hours_violations(settings):
    settings.WORKING_TIME_REFERENCE_WEEKS = 1
    # Monday to Saturday, 8 h 01 a day: 48 h 06 in the week.
    heavy_week = [(local(offset, 8), local(offset, 16, 1)) for offset in range(6)]
    [violation] = compliance.average_weekly_hours_violations(prepare(heavy_week))
    assert (violation.rule, violation.period_start, violation.limit) == (
        Rule.AVERAGE_WEEKLY_HOURS,
        MONDAY,
        Decimal("48.00"),
    )
    assert violation.details == {"reference_start": MONDAY, "reference_weeks": 1}
    settings.WORKING_TIME_REFERENCE_WEEKS = 2  # with the empty week before: 24 h 03 on average
    assert compliance.average_weekly_hours_violations(prepare(heavy_week)) == []


def test_evaluate_composes_the_rule_functions_in_order():
    # Monday: 10 h 30 without a break (daily hours, breaks); Tuesday 6:00, 6 h after (daily rest).
    intervals = [(local(0, 9), local(0, 19, 30)), (local(1, 1, 30), local(1, 3))]
    assessment = prepare(intervals)
    every_rule = [violation for check in compliance.CHECKS.values() for violation in check(assessment)]
    found = compliance.evaluate(intervals, user_id=7, tzinfo=BERLIN, first_day=MONDAY, last_day=MONDAY + timedelta(6))
    assert sorted(found, key=lambda violation: violation.key) == sorted(every_rule, key=lambda violation: violation.key)
    assert rules_of(found)[:2] == [Rule.DAILY_HOURS, Rule.BREAKS]
    assert list(compliance.CHECKS) == list(Rule)
    only_breaks = compliance.evaluate(
        intervals, user_id=7, tzinfo=BERLIN, first_day=MONDAY, last_day=MONDAY, rules=[Rule.BREAKS]
    )
    assert rules_of(only_breaks) == [Rule.BREAKS]


# --- The break thresholds are settings ----------------------------------------------------------------


def breaks(intervals):
    return compliance.breaks_violations(prepare(intervals))


SIX_AND_A_HALF_HOURS = [(local(0, 8), local(0, 14, 30))]  # no break
NINE_AND_A_HALF_WITH_THIRTY = [(local(0, 7), local(0, 12)), (local(0, 12, 30), local(0, 17))]


def test_by_default_six_hours_and_nine_hours_are_the_thresholds():
    [violation] = breaks(SIX_AND_A_HALF_HOURS)
    assert violation.limit == Decimal("30")
    [violation] = breaks(NINE_AND_A_HALF_WITH_THIRTY)
    assert violation.limit == Decimal("45") and violation.actual == Decimal("30")


@pytest.mark.parametrize(("threshold", "expected"), [(6, 1), (7, 0)])
def test_the_first_threshold_is_a_setting(settings, threshold, expected):
    settings.WORKING_TIME_MAX_HOURS_IN_A_ROW = 8  # the day's total alone, not the stretch in a row
    settings.WORKING_TIME_BREAK_AFTER_6H_HOURS = threshold
    assert len(breaks(SIX_AND_A_HALF_HOURS)) == expected


def test_a_lower_first_threshold_needs_a_break_sooner(settings):
    five_and_a_half = [(local(0, 8), local(0, 13, 30))]
    assert breaks(five_and_a_half) == []
    settings.WORKING_TIME_BREAK_AFTER_6H_HOURS = 5
    [violation] = breaks(five_and_a_half)
    assert violation.limit == Decimal("30") and "at least 30 min" in violation.message


@pytest.mark.parametrize(("threshold", "expected"), [(9, 1), (10, 0)])
def test_the_second_threshold_is_a_setting(settings, threshold, expected):
    settings.WORKING_TIME_BREAK_AFTER_9H_HOURS = threshold
    assert len(breaks(NINE_AND_A_HALF_WITH_THIRTY)) == expected


def test_the_thresholds_reach_evaluate(settings):
    def found():
        violations = compliance.evaluate(
            SIX_AND_A_HALF_HOURS, user_id=7, tzinfo=BERLIN, first_day=MONDAY, last_day=MONDAY
        )
        return rules_of(violations)

    assert found() == [Rule.BREAKS]
    settings.WORKING_TIME_BREAK_AFTER_6H_HOURS = 7
    assert found() == [Rule.BREAKS]  # still 6:30 in a row
    settings.WORKING_TIME_MAX_HOURS_IN_A_ROW = 7
    assert found() == []


def start_with(**environment):
    """The two thresholds a fresh start reads from `environment`, or its error."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("WORKING_TIME_BREAK_AFTER_")}
    env.pop("PYTEST_VERSION", None)
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1", **environment})
    script = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.WORKING_TIME_BREAK_AFTER_6H_HOURS, settings.WORKING_TIME_BREAK_AFTER_9H_HOURS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout.strip() if result.returncode == 0 else result.stderr


def test_the_thresholds_come_from_the_environment_and_the_second_is_not_below_the_first():
    assert start_with() == "6 9"
    assert start_with(WORKING_TIME_BREAK_AFTER_6H_HOURS="5", WORKING_TIME_BREAK_AFTER_9H_HOURS="8") == "5 8"
    assert start_with(WORKING_TIME_BREAK_AFTER_6H_HOURS="10") == "10 10"  # the second follows when unset
    error = start_with(WORKING_TIME_BREAK_AFTER_6H_HOURS="8", WORKING_TIME_BREAK_AFTER_9H_HOURS="7")
    assert "WORKING_TIME_BREAK_AFTER_9H_HOURS" in error and "7 is not between 8 and 24" in error
