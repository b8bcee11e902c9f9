"""Expected vs actual hours, overtime and the running overtime balance of one user.

expected(day) = the user's contract hours per working day (weekly_hours / number of working
weekdays) on their working weekdays, minus public holidays and company closures (a half-day
closure halves it), minus approved leave (a full day credits the whole day, a half day half,
hourly leave its hours). actual(day) = the hours of the entries starting on that local day.
overtime = actual - expected.

Days after today (the user's local today) are reported with their expected hours, but count
no expected time towards overtime and the balance yet: the week is not over. The real today
(the user's local date now) counts its expected time only as far as it has been worked (up to
the day's share): it is not over either, and at 07:00 nobody is already a day behind (the team
page counts it the same way, `timetracking.timesheet.expected_seconds_so_far`). A `today` given
as another date (a final statement's last day) counts in full.
The balance runs from the user's first day (their first entry or the day they joined,
whichever is earlier; never before REPORTS_OVERTIME_START when it is set).
"""

from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Min, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext

from core.days import week_start
from core.durations import hours_from_seconds
from leave.calendars import dates, day_amounts
from leave.models import LeaveRequest, LeaveStatus, LeaveUnit
from reports.summary import DURATION, HOUR, ReportError, duration_seconds
from timetracking.models import TimeEntry, local_day_bounds

ZERO = Decimal("0")
HALF = Decimal("0.5")
ONE = Decimal("1")
PERIODS = ("day", "week", "month")


def contract_hours_per_day(user):
    """Unrounded: 40 h over 3 days is 13.333..., so three days sum to exactly 40."""
    days = len(user.workdays)
    return user.weekly_hours / days if days else ZERO


def _leave_parts(user, start, end):
    """({date: fraction of the day on leave}, {date: hours of hourly leave}) for approved leave."""
    requests = (
        LeaveRequest.objects.filter(user=user, status=LeaveStatus.APPROVED)
        .overlapping(start, end)
        .select_related("leave_type")
    )
    return _leave_parts_of(requests, start, end)


def _leave_parts_of(requests, start, end):
    """`_leave_parts` of approved requests already read (one person's)."""
    fractions, leave_hours = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    for request in requests:
        if request.leave_type.unit == LeaveUnit.HOURS:
            if start <= request.start_date <= end and request.hours:
                leave_hours[request.start_date] += request.hours
            continue
        for day in dates(max(request.start_date, start), min(request.end_date, end)):
            part = ONE
            if day == request.start_date and request.start_part == "afternoon":
                part = HALF
            if day == request.end_date and request.end_part == "morning":
                part = HALF
            fractions[day] = min(ONE, fractions[day] + part)
    return fractions, leave_hours


def expected_by_day(user, start, end, *, first_day=None):
    """{date: Decimal hours expected} for every day of [start, end]."""
    fractions, leave_hours = _leave_parts(user, start, end)
    return _expected_days(user, day_amounts(user, start, end), fractions, leave_hours, first_day=first_day)


def _expected_days(user, amounts, fractions, leave_hours, *, first_day=None):
    """`expected_by_day` from what it reads: the days' amounts (`day_amounts`: weekends, holidays and
    closures are 0, 0.5 or 1) and the approved leave (`_leave_parts_of`)."""
    per_day = contract_hours_per_day(user)
    result = {}
    for day in amounts:
        if first_day is not None and day.date < first_day:
            result[day.date] = ZERO
            continue
        working = max(ZERO, day.amount - fractions[day.date])
        result[day.date] = max(ZERO, per_day * working - leave_hours[day.date])
    return result


def actual_seconds_by_day(user, start, end):
    """{local date: seconds worked} from one aggregate in the database."""
    first, last = local_day_bounds(start, end, user.tzinfo)
    rows = (
        TimeEntry.objects.for_user(user)
        .finished()
        .in_range(first, last)
        .annotate(day=TruncDate("started_at", tzinfo=user.tzinfo))
        .order_by()
        .values("day")
        .annotate(total=Sum(DURATION))
    )
    return {row["day"]: duration_seconds(row["total"]) for row in rows}


def first_day_of(user):
    """The day the balance starts: the first entry's local day or the joining day, whichever is
    earlier, but never before REPORTS_OVERTIME_START."""
    first_start = TimeEntry.objects.for_user(user).aggregate(first=Min("started_at"))["first"]
    return _first_day(user, first_start)


def _first_day(user, first_start):
    """`first_day_of` from the start of the user's first entry (None: no entry yet)."""
    candidates = [timezone.localtime(user.date_joined, user.tzinfo).date()]
    if first_start is not None:
        candidates.append(timezone.localtime(first_start, user.tzinfo).date())
    first = min(candidates)
    configured = getattr(settings, "REPORTS_OVERTIME_START", None)
    return max(first, configured) if configured else first


def period_start(day, period):
    if period == "week":
        return week_start(day)
    if period == "month":
        return day.replace(day=1)
    return day


def counted_expected(expected_seconds, worked_seconds, day, today, *, today_in_progress):
    """The part of `day`'s expected seconds that counts towards overtime and the balance: all of
    it before today, none after, and today (while it is the real today) only as far as it has been
    worked, up to the day's share."""
    if day < today or (day == today and not today_in_progress):
        return expected_seconds
    if day == today:
        return min(expected_seconds, worked_seconds)
    return ZERO


def overtime_report(user, start, end, *, period="day", today=None, with_seconds=False):
    """Rows per day/week/month with expected, actual, overtime and the balance at the period's end.
    `with_seconds`: the figures in seconds (Decimal) too, `<name>_seconds` beside each `<name>_hours`,
    for pages that show durations (`hm`) rather than hours."""
    if period not in PERIODS:
        raise ReportError(
            gettext("Group overtime by one of: {join}.").format(join=", ".join(PERIODS)), field="group_by"
        )
    real_today = timezone.localdate(timezone=user.tzinfo)
    today = today or real_today
    today_in_progress = today == real_today
    first_day = first_day_of(user)
    # One pass from the earlier of the balance start and `start`: the opening balance and the
    # rows share the holidays, closures, leave and entries read once.
    origin = min(first_day, start)
    expected = expected_by_day(user, origin, end, first_day=first_day)
    actual = actual_seconds_by_day(user, origin, end)

    opening_seconds = ZERO
    rows = {}
    for day in dates(origin, end):
        expected_seconds = expected[day] * HOUR
        worked = Decimal(actual.get(day, 0))
        counted = counted_expected(expected_seconds, worked, day, today, today_in_progress=today_in_progress)
        if day < start:
            opening_seconds += worked - counted
            continue
        key = period_start(day, period)
        row = rows.setdefault(key, {"expected": ZERO, "actual": ZERO, "overtime": ZERO})
        row["expected"] += expected_seconds
        row["actual"] += worked
        row["overtime"] += worked - counted

    balance = opening_seconds
    result = []
    for key in sorted(rows):
        row = rows[key]
        balance += row["overtime"]
        entry = {
            "period": key,
            "expected_hours": hours_from_seconds(row["expected"]),
            "actual_hours": hours_from_seconds(row["actual"]),
            "overtime_hours": hours_from_seconds(row["overtime"]),
            "balance_hours": hours_from_seconds(balance),
        }
        if with_seconds:
            entry.update(
                expected_seconds=row["expected"],
                actual_seconds=row["actual"],
                overtime_seconds=row["overtime"],
                balance_seconds=balance,
            )
        result.append(entry)
    sums = {name: sum((row[name] for row in rows.values()), ZERO) for name in ("expected", "actual", "overtime")}
    totals = {name: hours_from_seconds(value) for name, value in sums.items()}
    report = {
        "user": user.pk,
        "from": start,
        "to": end,
        "group_by": period,
        "balance_start": first_day,
        "opening_balance_hours": hours_from_seconds(opening_seconds),
        "closing_balance_hours": hours_from_seconds(balance),
        "expected_hours": totals["expected"],
        "actual_hours": totals["actual"],
        "overtime_hours": totals["overtime"],
        "rows": result,
    }
    if with_seconds:
        report.update(
            opening_balance_seconds=opening_seconds,
            closing_balance_seconds=balance,
            **{f"{name}_seconds": value for name, value in sums.items()},
        )
    return report


def today_for(user):
    return timezone.localdate(timezone=user.tzinfo)


# --- A set of people (a team, everyone) ----------------------------------------------------------


def group_overtime(users, start, end, *, period="week", today=None):
    """Expected, actual and overtime of a set of people over [start, end]: summed per period, per
    person and in all, each person by `overtime_report`'s rules (their contract, holidays, closures
    and approved leave; nothing expected before their first day; days after their local today are
    expected but count no overtime yet, today as far as it is worked). No running balance: that
    reads each person's whole history.

    `users` is a QuerySet of User (a manager's team, everyone HR sees). The reads do not grow with
    the number of people: the people, their first entries and their approved leave (one query
    each), the closures once per distinct (country, subdivision, working days) through
    `day_amounts`, and the hours per person and local day once per time zone."""
    if period not in PERIODS:
        raise ReportError(
            gettext("Group overtime by one of: {join}.").format(join=", ".join(PERIODS)), field="group_by"
        )
    people = list(users.order_by("username"))
    members = users.order_by().values("pk")
    first_starts = dict(
        TimeEntry.objects.filter(user_id__in=members)
        .order_by()
        .values("user_id")
        .annotate(first=Min("started_at"))
        .values_list("user_id", "first")
    )
    leave = defaultdict(list)
    requests = (
        LeaveRequest.objects.filter(user_id__in=members, status=LeaveStatus.APPROVED)
        .overlapping(start, end)
        .select_related("leave_type")
    )
    for request in requests:
        leave[request.user_id].append(request)
    worked = _seconds_by_person_and_day(users, {person.timezone for person in people}, start, end)
    calendars = {}

    rows, per_person = {}, []
    totals = {"expected": ZERO, "actual": ZERO, "overtime": ZERO}
    for person in people:
        # Everyone with the same calendar (country, region, working weekdays) shares its days.
        calendar_key = (person.country, (person.subdivision or "").upper(), frozenset(person.workdays))
        if calendar_key not in calendars:
            calendars[calendar_key] = day_amounts(person, start, end)
        fractions, leave_hours = _leave_parts_of(leave[person.pk], start, end)
        first_day = _first_day(person, first_starts.get(person.pk))
        expected = _expected_days(person, calendars[calendar_key], fractions, leave_hours, first_day=first_day)
        real_today = timezone.localdate(timezone=person.tzinfo)
        person_today = today or real_today
        actual = worked.get(person.pk, {})
        own = {"expected": ZERO, "actual": ZERO, "overtime": ZERO}
        for day, hours in expected.items():
            expected_seconds = hours * HOUR
            seconds = Decimal(actual.get(day, 0))
            counted = counted_expected(
                expected_seconds, seconds, day, person_today, today_in_progress=person_today == real_today
            )
            row = rows.setdefault(period_start(day, period), {"expected": ZERO, "actual": ZERO, "overtime": ZERO})
            for target in (row, own, totals):
                target["expected"] += expected_seconds
                target["actual"] += seconds
                target["overtime"] += seconds - counted
        per_person.append({"user": person.pk, "user_name": str(person), **_figures(own)})
    return {
        "from": start,
        "to": end,
        "group_by": period,
        "users": [person.pk for person in people],
        **_figures(totals),
        "rows": [{"period": key, **_figures(rows[key])} for key in sorted(rows)],
        "people": per_person,
    }


def _figures(sums):
    """{"expected_seconds": ..., "expected_hours": ..., ...} of {"expected": seconds, ...}."""
    figures = {}
    for name, seconds in sums.items():
        figures[f"{name}_seconds"] = seconds
        figures[f"{name}_hours"] = hours_from_seconds(seconds)
    return figures


def _seconds_by_person_and_day(users, zones, start, end):
    """{user id: {local date: seconds}}: one aggregate per time zone (each person's own days)."""
    result = defaultdict(dict)
    for zone in sorted(zones):
        tzinfo = ZoneInfo(zone)
        first, last = local_day_bounds(start, end, tzinfo)
        rows = (
            TimeEntry.objects.finished()
            .filter(user_id__in=users.filter(timezone=zone).order_by().values("pk"))
            .in_range(first, last)
            .annotate(day=TruncDate("started_at", tzinfo=tzinfo))
            .order_by()
            .values("user_id", "day")
            .annotate(total=Sum(DURATION))
        )
        for row in rows:
            result[row["user_id"]][row["day"]] = duration_seconds(row["total"])
    return result
