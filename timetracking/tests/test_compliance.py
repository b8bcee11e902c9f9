"""The working-time rules (timetracking.compliance), each just inside and just outside its limit, with
overnight shifts, a DST week and users in different time zones."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from accounts.tests.factories import UserFactory
from timetracking import compliance
from timetracking.compliance import Rule
from timetracking.tests.factories import TimeEntryFactory, utc

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2026, 1, 5)


def local(day, hour, minute=0, tzinfo=BERLIN):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tzinfo)


def day(offset):
    return MONDAY + timedelta(days=offset)


def found(intervals, rule, first_day=MONDAY, last_day=None, tzinfo=BERLIN):
    violations = compliance.evaluate(
        intervals, user_id=1, tzinfo=tzinfo, first_day=first_day, last_day=last_day or first_day + timedelta(days=6)
    )
    return [violation for violation in violations if violation.rule == rule]


# --- Maximum daily working time (10 h) --------------------------------------------------------


def test_ten_hours_in_a_day_is_allowed():
    intervals = [(local(day(0), 8), local(day(0), 13)), (local(day(0), 13, 45), local(day(0), 18, 45))]
    assert found(intervals, Rule.DAILY_HOURS) == []


def test_ten_hours_and_a_minute_is_a_violation_with_its_figures():
    intervals = [(local(day(0), 8), local(day(0), 13)), (local(day(0), 13, 45), local(day(0), 18, 46))]
    [violation] = found(intervals, Rule.DAILY_HOURS)
    assert violation.period_start == violation.period_end == day(0)
    assert violation.actual == Decimal("10.02") and violation.limit == Decimal("10.00")
    assert violation.unit == "hours" and violation.user_id == 1
    assert "10:01" in violation.message


def test_an_overnight_shift_belongs_whole_to_the_day_it_starts():
    # Monday 21:00 to Tuesday 07:01 = 10 h 01 min, all counted on Monday.
    intervals = [(local(day(0), 21), local(day(1), 7, 1))]
    [violation] = found(intervals, Rule.DAILY_HOURS)
    assert violation.period_start == day(0)
    assert found([(local(day(0), 21), local(day(1), 7))], Rule.DAILY_HOURS) == []


def test_daily_hours_use_real_time_across_the_dst_change():
    # 28 → 29 March 2026 the clocks go forward: 20:00 to 07:00 on the wall is 10 real hours.
    saturday = date(2026, 3, 28)
    inside = [(local(saturday, 20), local(saturday + timedelta(days=1), 7))]
    assert found(inside, Rule.DAILY_HOURS, first_day=date(2026, 3, 23)) == []
    outside = [(local(saturday, 20), local(saturday + timedelta(days=1), 7, 1))]
    [violation] = found(outside, Rule.DAILY_HOURS, first_day=date(2026, 3, 23))
    assert violation.actual == Decimal("10.02") and violation.period_start == saturday


@pytest.mark.parametrize("setting_hours, expected", [(10, 1), (11, 0)])
def test_the_daily_maximum_is_a_setting(settings, setting_hours, expected):
    settings.WORKING_TIME_MAX_DAILY_HOURS = setting_hours
    intervals = [(local(day(0), 7), local(day(0), 12)), (local(day(0), 13), local(day(0), 18, 30))]
    assert len(found(intervals, Rule.DAILY_HOURS)) == expected


# --- Breaks (30 min beyond 6 h, 45 min beyond 9 h) ----------------------------------------------


def test_six_hours_need_no_break():
    assert found([(local(day(0), 8), local(day(0), 14))], Rule.BREAKS) == []


def test_six_hours_and_a_minute_without_a_break_is_a_violation():
    [violation] = found([(local(day(0), 8), local(day(0), 14, 1))], Rule.BREAKS)
    assert violation.actual == Decimal("0") and violation.limit == Decimal("30") and violation.unit == "minutes"


def test_gaps_between_entries_are_breaks():
    thirty = [(local(day(0), 8), local(day(0), 12)), (local(day(0), 12, 30), local(day(0), 15))]
    assert found(thirty, Rule.BREAKS) == []
    twenty_nine = [(local(day(0), 8), local(day(0), 12)), (local(day(0), 12, 29), local(day(0), 15))]
    [violation] = found(twenty_nine, Rule.BREAKS)
    assert violation.actual == Decimal("29")


def test_beyond_nine_hours_forty_five_minutes_are_needed():
    nine_with_thirty = [(local(day(0), 7), local(day(0), 12)), (local(day(0), 12, 30), local(day(0), 16, 30))]
    assert found(nine_with_thirty, Rule.BREAKS) == []  # exactly 9 h: 30 min suffice
    nine_and_a_minute = [(local(day(0), 7), local(day(0), 12)), (local(day(0), 12, 30), local(day(0), 16, 31))]
    [violation] = found(nine_and_a_minute, Rule.BREAKS)
    assert violation.limit == Decimal("45") and violation.actual == Decimal("30")
    with_forty_five = [(local(day(0), 7), local(day(0), 12)), (local(day(0), 12, 45), local(day(0), 16, 46))]
    assert found(with_forty_five, Rule.BREAKS) == []


def test_break_settings_are_read_from_settings(settings):
    settings.WORKING_TIME_BREAK_AFTER_6H_MINUTES = 15
    intervals = [(local(day(0), 8), local(day(0), 12)), (local(day(0), 12, 15), local(day(0), 15))]
    assert found(intervals, Rule.BREAKS) == []


# --- Minimum daily rest (11 h) -----------------------------------------------------------------


def test_eleven_hours_of_rest_between_two_days_is_enough():
    intervals = [(local(day(0), 14), local(day(0), 22)), (local(day(1), 9), local(day(1), 12))]
    assert found(intervals, Rule.DAILY_REST) == []


def test_less_than_eleven_hours_of_rest_is_a_violation():
    intervals = [(local(day(0), 14), local(day(0), 22)), (local(day(1), 8, 59), local(day(1), 12))]
    [violation] = found(intervals, Rule.DAILY_REST)
    assert (violation.period_start, violation.period_end) == (day(0), day(1))
    assert violation.actual == Decimal("10.98") and violation.limit == Decimal("11.00")
    assert violation.starts_at == local(day(0), 22) and violation.ends_at == local(day(1), 8, 59)


def test_the_rest_after_a_night_shift_starts_when_it_ends():
    # Monday 22:00 → Tuesday 06:00, then Tuesday 17:00: 11 h of rest (fine); 16:59 is too early.
    shift = (local(day(0), 22), local(day(1), 6))
    assert found([shift, (local(day(1), 17), local(day(1), 20))], Rule.DAILY_REST) == []
    [violation] = found([shift, (local(day(1), 16, 59), local(day(1), 20))], Rule.DAILY_REST)
    assert violation.period_end == day(1)


def test_daily_rest_is_real_time_across_the_dst_change():
    # Saturday 22:00 CET to Sunday 09:00 CEST is 11 h on the wall but 10 real hours.
    saturday = date(2026, 3, 28)
    sunday = saturday + timedelta(days=1)
    intervals = [(local(saturday, 14), local(saturday, 22)), (local(sunday, 9), local(sunday, 12))]
    [violation] = found(intervals, Rule.DAILY_REST, first_day=date(2026, 3, 23))
    assert violation.actual == Decimal("10.00")


# --- Minimum weekly rest (24 h + 11 h) -----------------------------------------------------------


def weekly(last_start):
    """Work every day from the Sunday before to Saturday 08:00–16:00, then at `last_start` (the next Monday)."""
    intervals = [(local(day(offset), 8), local(day(offset), 16)) for offset in range(-1, 6)]
    return [*intervals, (last_start, last_start + timedelta(hours=4))]


def test_thirty_five_hours_off_in_one_stretch_is_enough():
    assert found(weekly(local(day(7), 3)), Rule.WEEKLY_REST) == []  # Saturday 16:00 → Monday 03:00


def test_less_than_thirty_five_hours_off_is_a_violation():
    [violation] = found(weekly(local(day(7), 2, 59)), Rule.WEEKLY_REST)
    assert (violation.period_start, violation.period_end) == (day(0), day(6))
    assert violation.actual == Decimal("34.98") and violation.limit == Decimal("35.00")
    assert violation.starts_at == local(day(5), 16)


def test_an_ongoing_week_without_later_work_is_not_judged_yet():
    intervals = [(local(day(offset), 8), local(day(offset), 16)) for offset in range(-1, 6)]
    assert found(intervals, Rule.WEEKLY_REST) == []


# --- Average weekly working time (48 h over 17 weeks) ------------------------------------------


def weeks_of(hours_last_week_extra_minutes):
    intervals = []
    for week in range(17):
        monday = MONDAY + timedelta(weeks=week)
        for offset in range(3):  # 3 × 16 h = 48 h
            intervals.append((local(monday + timedelta(days=offset), 0), local(monday + timedelta(days=offset), 16)))
    if hours_last_week_extra_minutes:
        thursday = MONDAY + timedelta(weeks=16, days=3)
        intervals.append((local(thursday, 8), local(thursday, 8) + timedelta(minutes=hours_last_week_extra_minutes)))
    return intervals


def test_an_average_of_48_hours_is_allowed():
    last_monday = MONDAY + timedelta(weeks=16)
    assert found(weeks_of(0), Rule.AVERAGE_WEEKLY_HOURS, first_day=last_monday) == []


def test_an_average_above_48_hours_is_a_violation():
    last_monday = MONDAY + timedelta(weeks=16)
    [violation] = found(weeks_of(17), Rule.AVERAGE_WEEKLY_HOURS, first_day=last_monday)
    assert violation.period_start == last_monday
    assert violation.actual == Decimal("48.02") and violation.limit == Decimal("48.00")
    assert violation.details["reference_start"] == MONDAY


def test_weeks_without_work_count_in_the_average(settings):
    settings.WORKING_TIME_REFERENCE_WEEKS = 2
    monday = MONDAY + timedelta(weeks=1)
    days = [monday + timedelta(days=offset) for offset in range(6)]
    long_week = [(local(each, 0), local(each, 16)) for each in days]
    assert found(long_week, Rule.AVERAGE_WEEKLY_HOURS, first_day=monday) == []  # 96 h / 2 = 48
    settings.WORKING_TIME_REFERENCE_WEEKS = 1
    assert len(found(long_week, Rule.AVERAGE_WEEKLY_HOURS, first_day=monday)) == 1


# --- Time zones and the database ------------------------------------------------------------------


@pytest.mark.django_db
def test_two_users_in_different_time_zones_are_each_judged_on_their_own_days():
    berlin = UserFactory(timezone="Europe/Berlin")
    new_york = UserFactory(timezone="America/New_York", country="US", subdivision="NY")
    for user in (berlin, new_york):  # the same instants for both
        TimeEntryFactory(user=user, started_at=utc(2026, 1, 7, 2), ended_at=utc(2026, 1, 7, 8))
        TimeEntryFactory(user=user, started_at=utc(2026, 1, 7, 8, 30), ended_at=utc(2026, 1, 7, 13, 30))
    violations = compliance.violations_for([berlin, new_york], date(2026, 1, 5), date(2026, 1, 11))
    rules = {user.pk: {v.rule for v in violations if v.user_id == user.pk} for user in (berlin, new_york)}
    # Berlin: 03:00–09:00 and 09:30–14:30 on one day: 11 h with a 30 min break.
    assert rules[berlin.pk] == {Rule.DAILY_HOURS, Rule.BREAKS}
    # New York: 21:00–03:00 on the 6th, then 03:30 on the 7th: two days, 30 minutes apart.
    assert rules[new_york.pk] == {Rule.DAILY_REST}
    [rest] = [v for v in violations if v.user_id == new_york.pk]
    assert (rest.period_start, rest.period_end) == (date(2026, 1, 6), date(2026, 1, 7))
    assert rest.actual == Decimal("0.50")


@pytest.mark.django_db
def test_running_timers_and_other_users_are_ignored():
    user, other = UserFactory(), UserFactory()
    TimeEntryFactory(user=user, started_at=utc(2026, 1, 5, 6), ended_at=None)
    TimeEntryFactory(user=other, started_at=utc(2026, 1, 5, 6), ended_at=utc(2026, 1, 5, 18))
    assert compliance.violations_for([user], date(2026, 1, 5), date(2026, 1, 11)) == []
    assert compliance.violations_for([], date(2026, 1, 5), date(2026, 1, 11)) == []


@pytest.mark.django_db
def test_violations_for_reads_entries_in_one_query(django_assert_num_queries):
    users = [UserFactory() for _ in range(5)]
    for user in users:
        TimeEntryFactory(user=user, started_at=utc(2026, 1, 5, 6), ended_at=utc(2026, 1, 5, 18))
    with django_assert_num_queries(1):
        violations = compliance.violations_for(users, date(2026, 1, 5), date(2026, 1, 11))
    assert {v.user_id for v in violations} == {user.pk for user in users}


def test_weekly_rest_in_the_dst_week_is_real_time():
    # The week of 23 March 2026 has 167 hours. Saturday 28th 16:00 CET to Monday 30th 04:00 CEST
    # is 36 hours on the wall but 35 real hours: just enough; 03:59 is not.
    monday = date(2026, 3, 23)
    days = [monday + timedelta(days=offset) for offset in range(-1, 6)]
    work = [(local(each, 8), local(each, 16)) for each in days]
    next_monday = date(2026, 3, 30)
    inside = [*work, (local(next_monday, 4), local(next_monday, 8))]
    assert found(inside, Rule.WEEKLY_REST, first_day=monday) == []
    outside = [*work, (local(next_monday, 3, 59), local(next_monday, 8))]
    [violation] = found(outside, Rule.WEEKLY_REST, first_day=monday)
    assert violation.actual == Decimal("34.98")
