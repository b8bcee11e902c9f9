"""The shared ideas of core.days and core.durations: one week start, one range of days, one rounding of hours."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.days import FIRST_DAY, LAST_DAY, YEAR_OUT_OF_RANGE, week_days, week_start, year_in_range
from core.durations import hours_from_seconds, hours_minutes, hours_text, seconds_from_hours, to_the_minute


@pytest.mark.parametrize("offset", range(7))
def test_every_day_of_an_iso_week_starts_on_its_monday(offset):
    monday = date(2026, 3, 9)
    assert week_start(monday + timedelta(days=offset)) == monday
    assert week_days(monday + timedelta(days=offset)) == (monday, date(2026, 3, 15))


def test_a_week_across_new_year_starts_in_the_old_year():
    assert week_start(date(2027, 1, 1)) == date(2026, 12, 28)  # a Friday; ISO week 53 of 2026


def test_the_range_of_days_and_years():
    assert (date(2000, 1, 1), date(2100, 12, 31)) == (FIRST_DAY, LAST_DAY)
    assert week_start(FIRST_DAY) == date(1999, 12, 27)  # the range leaves room for a week around it
    assert [year_in_range(year) for year in (1999, 2000, 2100, 2101)] == [False, True, True, False]
    assert YEAR_OUT_OF_RANGE == "Choose a year between 2000 and 2100."


@pytest.mark.parametrize(
    "seconds, hours",
    [(0, "0.00"), (5400, "1.50"), (17, "0.00"), (18, "0.01"), (90, "0.03"), (3599, "1.00"), (-18, "-0.01")],
)
def test_hours_are_rounded_half_up_to_the_hundredth(seconds, hours):
    # 18 s is exactly 0.005 h and 90 s 0.025 h: half up, as people round (banker's rounding gave 0.00 and 0.02).
    assert hours_from_seconds(seconds) == Decimal(hours)
    assert str(hours_from_seconds(seconds)) == hours


def test_hours_text_rounds_exactly_like_the_decimal_hours():
    for seconds in [*range(0, 200_000), 10**9 + 18, 10**12 + 1799, -17, -18, -5400]:
        assert hours_text(seconds) == str(hours_from_seconds(seconds)), seconds


def test_seconds_from_contract_hours():
    assert seconds_from_hours(Decimal("38.5")) == 138_600
    assert seconds_from_hours(Decimal("0.0001")) == 0  # truncated, like int()


@pytest.mark.parametrize(
    "seconds, text",
    [(0, "0:00"), (29, "0:00"), (30, "0:01"), (5400, "1:30"), (72630, "20:11"), (72629, "20:10"), (-90, "−0:02")],
)
def test_hours_minutes_rounds_to_the_nearest_minute(seconds, text):
    assert hours_minutes(seconds) == text
    assert hours_minutes(to_the_minute(seconds)) == text  # rounding twice changes nothing
