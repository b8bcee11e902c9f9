"""Public holidays (the `holidays` package), company closures and working-day counting.

Pure reads: no writes here. `day_amounts()` is the single definition of how much leave a
date range costs a given user; submission, preview and the calendar all use it.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

import holidays as holidays_package
from django.db.models import Q

from leave.models import CompanyClosure

FULL = Decimal("1")
HALF = Decimal("0.5")
ZERO = Decimal("0")


@lru_cache(maxsize=256)
def _holidays(country, subdivision, year):
    if not country:
        return {}
    try:
        return dict(holidays_package.country_holidays(country, subdiv=subdivision or None, years=year))
    except NotImplementedError:
        return {}


def public_holidays(country, subdivision, start, end):
    """{date: name} of the public holidays between start and end (inclusive)."""
    result = {}
    for year in range(start.year, end.year + 1):
        for day, name in _holidays(country, (subdivision or "").upper(), year).items():
            if start <= day <= end:
                result[day] = name
    return result


def closures(country, start, end):
    """{date: CompanyClosure} for closures that apply to users of `country` (country-specific wins)."""
    rows = CompanyClosure.objects.filter(date__range=(start, end)).filter(Q(country="") | Q(country=country))
    result = {}
    for closure in rows.order_by("date", "country"):  # "" sorts first: a country's own row overrides
        result[closure.date] = closure
    return result


@dataclass
class Day:
    date: date
    amount: Decimal
    note: str = ""


def dates(start, end):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def day_amounts(user, start, end, start_part="full", end_part="full"):
    """What each day of the range costs `user`: 1, 0.5 or 0 (weekend, holiday, closure)."""
    holidays = public_holidays(user.country, user.subdivision, start, end)
    closed = closures(user.country, start, end)
    workdays = user.workdays
    result = []
    for day in dates(start, end):
        if day.isoweekday() not in workdays:
            result.append(Day(day, ZERO, "not a working day"))
            continue
        if day in holidays:
            result.append(Day(day, ZERO, holidays[day]))
            continue
        amount, note = FULL, ""
        if day == start and start_part == "afternoon":
            amount = HALF
        if day == end and end_part == "morning":
            amount = HALF
        closure = closed.get(day)
        if closure is not None:
            if not closure.half_day:
                result.append(Day(day, ZERO, closure.name))
                continue
            amount, note = min(amount, HALF), closure.name
        result.append(Day(day, amount, note))
    return result


def working_days(user, start, end, start_part="full", end_part="full"):
    return sum((day.amount for day in day_amounts(user, start, end, start_part, end_part)), ZERO)
