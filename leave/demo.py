"""Demo leave data for `manage.py seed_demo`. Idempotent: everything is looked up before it
is created, and requests go through the services like real ones."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from core.days import week_start
from leave import services
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


def _monday_in(weeks, today):
    return week_start(today) + timedelta(days=7 * weeks)


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
    for day, name, half in (
        (f"{today.year}-12-24", "Christmas Eve", True),
        (f"{today.year}-12-31", "New Year's Eve", True),
    ):
        CompanyClosure.objects.get_or_create(date=day, country="", defaults={"name": name, "half_day": half})

    people = list(users.values())
    for year in (today.year, today.year + 1):
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

    manager = users["manager"]
    plans = [
        # user, type, start, end, decision, extra
        ("alice", "vacation", _monday_in(3, today), 4, "approve", {}),
        ("bob", "vacation", _monday_in(5, today), 2, None, {}),
        ("carol", "vacation", _monday_in(2, today), 1, "reject", {}),
        ("carol", "overtime", _monday_in(1, today) + timedelta(days=2), 0, None, {"hours": Decimal("4")}),
        ("alice", "sick", _monday_in(-2, today), 1, None, {}),
    ]
    for username, code, start, length, decision, extra in plans:
        user = users[username]
        reason = f"Demo: {types[code].name.lower()}"
        if LeaveRequest.objects.filter(user=user, reason=reason).exists():
            stdout.write(f"  request {username} {code:<9} exists")
            continue
        try:
            leave_request = services.leave_request_submit(
                user=user,
                leave_type=types[code],
                start_date=start,
                end_date=start + timedelta(days=length),
                reason=reason,
                **extra,
            )
            if decision == "approve":
                services.leave_request_approve(leave_request_id=leave_request.pk, actor=manager, note="Enjoy!")
            elif decision == "reject":
                services.leave_request_reject(leave_request_id=leave_request.pk, actor=manager, note="Release week")
        except services.LeaveError as error:
            stdout.write(f"  request {username} {code:<9} skipped: {error.message}")
            continue
        leave_request.refresh_from_db()
        stdout.write(f"  request {username} {code:<9} created ({leave_request.status})")
