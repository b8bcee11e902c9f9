"""Expected vs actual hours, overtime and the running overtime balance of one user.

expected(day) = the user's contract hours per working day (weekly_hours / number of working
weekdays) on their working weekdays, minus public holidays and company closures (a half-day
closure halves it), minus approved leave (a full day credits the whole day, a half day half,
hourly leave its hours). actual(day) = the hours of the entries starting on that local day.
overtime = actual - expected.

Days after today (the user's local today) are reported with their expected hours, but count
no expected time towards overtime and the balance yet: the week is not over.
The balance runs from the user's first day (their first entry or the day they joined,
whichever is earlier; never before REPORTS_OVERTIME_START when it is set).
"""

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import Min, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

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
    fractions, leave_hours = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    requests = (
        LeaveRequest.objects.filter(user=user, status=LeaveStatus.APPROVED)
        .overlapping(start, end)
        .select_related("leave_type")
    )
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
    per_day = contract_hours_per_day(user)
    fractions, leave_hours = _leave_parts(user, start, end)
    result = {}
    for day in day_amounts(user, start, end):  # weekends, holidays and closures: 0, 0.5 or 1
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


def overtime_report(user, start, end, *, period="day", today=None):
    """Rows per day/week/month with expected, actual, overtime and the balance at the period's end."""
    if period not in PERIODS:
        raise ReportError(f"Group overtime by one of: {', '.join(PERIODS)}.", field="group_by")
    today = today or timezone.localdate(timezone=user.tzinfo)
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
        counted = expected_seconds if day <= today else ZERO
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
        result.append(
            {
                "period": key,
                "expected_hours": hours_from_seconds(row["expected"]),
                "actual_hours": hours_from_seconds(row["actual"]),
                "overtime_hours": hours_from_seconds(row["overtime"]),
                "balance_hours": hours_from_seconds(balance),
            }
        )
    totals = {
        name: hours_from_seconds(sum((row[name] for row in rows.values()), ZERO))
        for name in ("expected", "actual", "overtime")
    }
    return {
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


def today_for(user):
    return timezone.localdate(timezone=user.tzinfo)
