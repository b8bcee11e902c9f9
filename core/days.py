"""Days, weeks and years as the whole product counts them.

A "day" or a "week" is a calendar day or an ISO week (Monday to Sunday) of someone's local
calendar: the caller turns a moment into a local `date` first (`timezone.localdate(moment, tz)`)
and these helpers work on that date. One definition each, so the timesheet, the dashboard, the
period close, the compliance rules and the reports agree on where a week begins.
"""

from datetime import date, timedelta

# The days a request may name. Python's calendar ends at years 1 and 9999, and a day near either
# end overflows as soon as a week, a time zone or a day after is added to it.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
FIRST_YEAR, LAST_YEAR = FIRST_DAY.year, LAST_DAY.year
YEAR_OUT_OF_RANGE = f"Choose a year between {FIRST_YEAR} and {LAST_YEAR}."


def week_start(day: date) -> date:
    """The Monday of the ISO week that contains `day`."""
    return day - timedelta(days=day.weekday())


def week_days(day: date) -> tuple[date, date]:
    """The Monday and the Sunday of the ISO week that contains `day`."""
    monday = week_start(day)
    return monday, monday + timedelta(days=6)


def year_in_range(year: int) -> bool:
    """Whether `year` is one a request may name (FIRST_YEAR..LAST_YEAR)."""
    return FIRST_YEAR <= year <= LAST_YEAR
