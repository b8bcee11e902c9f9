"""Public holidays (the `holidays` package), company closures, working-day counting and the
team calendar.

Pure reads: no writes here. `day_amounts()` is the single definition of how much leave a
date range costs a given user; submission, preview and the calendar all use it.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

import holidays as holidays_package
from django.db.models import Q
from django.utils import timezone, translation

from core.days import FIRST_DAY, LAST_DAY
from leave.models import CompanyClosure, LeaveRequest, LeaveStatus, team_of

FULL = Decimal("1")
HALF = Decimal("0.5")
ZERO = Decimal("0")


# The product's languages in the `holidays` package's terms. A country that has no names in the
# reader's language (a French reader's German holidays) gives them in English, the package's fallback.
HOLIDAY_LANGUAGES = {"en": "en_US", "de": "de", "fr": "fr", "es": "es"}


def holiday_language() -> str:
    """The language the holidays are named in: the active one (the user's, else the browser's)."""
    return HOLIDAY_LANGUAGES.get((translation.get_language() or "en").split("-")[0], "en_US")


@lru_cache(maxsize=256)
def _holidays(country, subdivision, year, language):
    if not country:
        return {}
    try:
        return dict(
            holidays_package.country_holidays(country, subdiv=subdivision or None, years=year, language=language)
        )
    except NotImplementedError:
        return {}


def public_holidays(country, subdivision, start, end):
    """{date: name} of the public holidays between start and end (inclusive), named in the active
    language."""
    result = {}
    language = holiday_language()
    for year in range(start.year, end.year + 1):
        for day, name in _holidays(country, (subdivision or "").upper(), year, language).items():
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


# --- Team calendar ------------------------------------------------------------------------------


def holidays_list(country, subdivision, start, end, closed=None):
    """Public holidays and closures; pass `closed` ({date: closure}) to reuse one query."""
    if closed is None:
        closed = closures(country, start, end)
    rows = [
        {"date": day, "name": name, "kind": "public_holiday", "half_day": False}
        for day, name in public_holidays(country, subdivision, start, end).items()
    ]
    rows += [
        {"date": day, "name": closure.name, "kind": "closure", "half_day": closure.half_day}
        for day, closure in closed.items()
    ]
    return sorted(rows, key=lambda row: row["date"])


def month_bounds(raw):
    """'2026-07' -> (first day, last day); None -> the current month."""
    if raw in (None, ""):
        today = timezone.localdate()
        year, month = today.year, today.month
    else:
        match = re.fullmatch(r"(\d{4})-(\d{2})", raw)
        if not match or not 1 <= int(match[2]) <= 12 or not FIRST_DAY.year <= int(match[1]) <= LAST_DAY.year:
            raise ValueError(translation.gettext("A month as YYYY-MM, e.g. 2026-07."))
        year, month = int(match[1]), int(match[2])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def team_calendar(viewer, start, end):
    """Members of the viewer's team with their holidays, and the absences overlapping [start, end]."""
    members = list(team_of(viewer))
    visible = {member.pk for member in members if viewer.can_see(member)}
    absences = (
        LeaveRequest.objects.filter(user__in=members)
        .active()
        .overlapping(start, end)
        .select_related("leave_type")
        .with_substitutes()
        .order_by("start_date")
    )
    rows = []
    for absence in absences:
        detailed = absence.user_id in visible
        if not detailed and absence.status != LeaveStatus.APPROVED:
            continue  # colleagues see approved absences only, and not their kind
        rows.append(
            {
                "id": absence.pk,
                "user": absence.user_id,
                "start_date": absence.start_date,
                "end_date": absence.end_date,
                "start_part": absence.start_part,
                "end_part": absence.end_part,
                "status": absence.status,
                "label": absence.leave_type.name if detailed else "Away",
                "color": absence.leave_type.color if detailed else "#757575",
                # Who covers is for the whole team to know (it is why a substitute is named).
                "substitutes": [link.user_id for link in absence.substitute_links.all()],
                "substitute_names": [str(link.user) for link in absence.substitute_links.all()],
                "request": absence,
            }
        )
    closures_by_country = {country: closures(country, start, end) for country in {m.country for m in members}}
    member_rows = [
        {
            "id": member.pk,
            "name": str(member),
            "country": member.country,
            "subdivision": member.subdivision,
            "holidays": holidays_list(
                member.country, member.subdivision, start, end, closures_by_country[member.country]
            ),
            "user": member,
        }
        for member in members
    ]
    return member_rows, rows
