"""Demo leave data for `manage.py seed_demo`: leave types, allowances, and requests around today
(see _plans): approved leave in the past and the future, a sick day, two requests waiting for the
manager and a rejected one. Idempotent: everything is looked up before it is created (a request
by its person and reason), and requests go through the services like real ones (balances,
overlaps, audit, webhooks and the e-mails apply)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from core.days import week_start
from leave import calendars, services
from leave.models import AccrualMethod, AllowancePolicy, CompanyClosure, LeaveRequest, LeaveType, LeaveUnit, LedgerEntry

TYPES = [
    # code, name, colour, options
    ("vacation", "Vacation", "#1e88e5", {}),
    (
        "sick",
        "Sick leave",
        "#e53935",
        {"deducts_allowance": False, "requires_approval": False, "attachment_required_after_days": 3},
    ),
    ("overtime", "Overtime compensation", "#8e24aa", {"unit": LeaveUnit.HOURS}),
    ("unpaid", "Unpaid leave", "#757575", {"paid": False, "deducts_allowance": False}),
]
OVERTIME_REASON = "Demo: overtime credited from the timesheet"


def seed(stdout, users):
    today = timezone.localdate()
    types = {}
    for code, name, color, options in TYPES:
        leave_type, created = LeaveType.objects.get_or_create(
            code=code, defaults={"name": name, "color": color, **options}
        )
        types[code] = leave_type
        stdout.write(f"  leave type {code:<9} {'created' if created else 'exists'}")
    _policy, created = AllowancePolicy.objects.get_or_create(
        leave_type=types["vacation"],
        defaults={
            "yearly_amount": Decimal("30"),
            "accrual": AccrualMethod.YEARLY,
            "carry_over_cap": Decimal("5"),
            "carry_over_expiry_month": 3,
            "carry_over_expiry_day": 31,
        },
    )
    stdout.write(f"  vacation policy (30 days, 5 carried until 31 March) {'created' if created else 'exists'}")
    for year in (today.year - 1, today.year):  # the history may reach back into last December
        for day, name in ((date(year, 12, 24), "Christmas Eve"), (date(year, 12, 31), "New Year's Eve")):
            CompanyClosure.objects.get_or_create(date=day, country="", defaults={"name": name, "half_day": True})

    people = list(users.values())
    # This year and next; last year too early in January, when the requests of two weeks ago fall in it.
    years = sorted({(today - timedelta(days=21)).year, today.year, today.year + 1})
    for year in years:
        assigned, _skipped = services.allowance_assign(
            users=people, leave_type=types["vacation"], year=year, amount=Decimal("30"), reason=f"Demo allowance {year}"
        )
        stdout.write(f"  vacation allowance {year}: {len(assigned)} assigned")
    for username in ("alice", "bob", "carol"):
        user = users[username]
        if not LedgerEntry.objects.filter(user=user, reason=OVERTIME_REASON).exists():
            services.ledger_adjust(
                user=user, leave_type=types["overtime"], year=today.year, amount=Decimal("16"), reason=OVERTIME_REASON
            )
    booked = services.leave_run_policies(today=today)
    stdout.write(f"  policies run: {booked}")

    for plan in _plans(users):
        _seed_request(stdout, users, types, plan)


@dataclass(frozen=True)
class Plan:
    username: str
    code: str  # the leave type
    reason: str  # unique per person in the demo: how a request is found again
    start: date
    end: date
    decide: tuple[str, str, str] | None = None  # (approve or reject, by whom, note); None: left pending
    start_part: str = "full"
    hours: Decimal | None = None
    substitutes: tuple[str, ...] = ()  # usernames of who covers


def _working_days(user, start, end):
    return [day.date for day in calendars.day_amounts(user, start, end) if day.amount == 1]


def _plans(users):
    """The demo's requests, relative to each person's today. Between two weeks ago and four weeks
    ahead, so the team calendar of the current month shows a few absences whatever its day."""
    plans = []

    def add(username, code, reason, first_week, first_weekday, days, **options):
        user = users[username]
        monday = week_start(services.today_for(user)) + timedelta(days=7 * first_week)
        start = monday + timedelta(days=first_weekday - 1)
        end = start + timedelta(days=days - 1)
        if end.year != start.year:  # a request cannot span two years
            end = date(start.year, 12, 31)
        working = _working_days(user, start, end)
        if working:
            start = working[0]  # a request starts on a working day
        else:  # only public holidays (or closures): the next working day instead
            following = _working_days(user, start, start + timedelta(days=14))
            if not following:
                return
            start = end = following[0]
        plans.append(Plan(username, code, reason, start, end, **options))

    manager = "manager"
    # Approved, in the past: alice's long weekend two weeks ago (Thursday afternoon and Friday).
    add(
        "alice",
        "vacation",
        "Long weekend in Vienna",
        -2,
        4,
        2,
        start_part="afternoon",
        decide=("approve", manager, "Have a good trip!"),
    )
    # Sick last week (recorded at once: sick leave needs no approval); bob's timesheet skips it.
    add("bob", "sick", "Flu", -1, 1, 1)
    # Approved, in the future: alice's holiday in three weeks; the manager's day off (HR approves it).
    add("alice", "vacation", "Family holiday", 3, 1, 5, decide=("approve", manager, "Enjoy!"), substitutes=("bob",))
    add("manager", "vacation", "School event", 1, 5, 1, decide=("approve", "hr", "Approved."))
    # Waiting for the manager: bob's days off in two weeks, carol's afternoon paid from overtime.
    add("bob", "vacation", "Brother's wedding in York", 2, 3, 3, substitutes=("carol",))
    add("carol", "overtime", "Afternoon off from overtime", 1, 3, 1, hours=Decimal("4"))
    # Rejected, with the manager's reason.
    add(
        "carol",
        "vacation",
        "Two days after the release",
        2,
        1,
        2,
        decide=("reject", manager, "That is our release week: could you take the week after?"),
    )
    return plans  # fmt: skip


def _seed_request(stdout, users, types, plan):
    user = users[plan.username]
    label = f"  request {plan.username:<8} {plan.code:<9} {plan.start} {plan.reason!r}"
    if LeaveRequest.objects.filter(user=user, reason=plan.reason).exists():
        stdout.write(f"{label} exists")
        return
    try:
        leave_request = services.leave_request_submit(
            user=user,
            leave_type=types[plan.code],
            start_date=plan.start,
            end_date=plan.end,
            start_part=plan.start_part,
            hours=plan.hours,
            reason=plan.reason,
            substitutes=[users[username] for username in plan.substitutes],
        )
        if plan.decide:
            verb, actor, note = plan.decide
            decide = services.leave_request_approve if verb == "approve" else services.leave_request_reject
            decide(leave_request_id=leave_request.pk, actor=users[actor], note=note)
    except services.LeaveError as error:
        stdout.write(f"{label} skipped: {error.message}")
        return
    leave_request.refresh_from_db()
    stdout.write(f"{label} created ({leave_request.status})")


def summary(stdout, users):
    manager = users["manager"]
    pending = LeaveRequest.objects.pending().decidable_by(manager).select_related("user", "leave_type")
    for leave_request in pending.order_by("start_date"):
        stdout.write(
            f"  leave waiting for the manager: {leave_request.user.username}, {leave_request.leave_type.name} "
            f"{leave_request.start_date} to {leave_request.end_date}"
        )
