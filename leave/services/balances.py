"""Balances: what a user is entitled to, carried, used and has pending, from the ledger.

A year after the user's current one is not booked before its 1 January (the yearly run books it),
yet people plan next year's holidays in the autumn: for such a year, a type whose policy has booked
nothing yet counts what the policy will book (`projected`: the yearly amount, a joiner's share, or a
monthly accrual's months up to `through`), so requests draw on it. Once the run books the year, the
booked rows replace the projection: approved leave, booked against that year at approval, is
counted once. Carry-over into that year is not projected (it is known only when this year ends)."""

from collections.abc import Iterable
from datetime import date

from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from leave.models import AllowancePolicy, Balance, EntryKind, LeaveRequest, LeaveStatus, LeaveType, LedgerEntry
from leave.services.entitlement import projected_entitlement


def balances_for(
    *, user: User, year: int, leave_types: Iterable[LeaveType] | None = None, through: date | None = None
) -> list[Balance]:
    """Balances of every (or the given) leave type for one user and year, in 2 or 3 queries (one
    more for a future year's policies). `through`: the day a request starts, for a future year's
    monthly accrual (its months up to then); the whole year otherwise."""
    if leave_types is None:
        leave_types = list(LeaveType.objects.active())
    result = {t.pk: Balance(user_id=user.pk, leave_type=t, year=year) for t in leave_types}
    rows = (
        LedgerEntry.objects.filter(user=user, year=year, leave_type__in=list(result))
        .values("leave_type_id", "kind")
        .annotate(total=Sum("amount"))
    )
    booked_entitlement = set()
    for row in rows:
        balance = result[row["leave_type_id"]]
        if row["kind"] in (EntryKind.INITIAL, EntryKind.ACCRUAL):
            booked_entitlement.add(row["leave_type_id"])
        if row["kind"] in (EntryKind.INITIAL, EntryKind.ACCRUAL, EntryKind.ADJUSTMENT):
            balance.entitled += row["total"]
        elif row["kind"] in (EntryKind.CARRY_OVER, EntryKind.CARRY_OVER_EXPIRY):
            balance.carried += row["total"]
        else:
            balance.used -= row["total"]
    pending = (
        LeaveRequest.objects.filter(user=user, status=LeaveStatus.PENDING, leave_type__in=list(result))
        .in_year(year)
        .values("leave_type_id")
        .annotate(total=Sum("amount"))
    )
    for row in pending:
        result[row["leave_type_id"]].pending += row["total"]
    if year > timezone.localdate(timezone=user.tzinfo).year:
        through_month = through.month if through and through.year == year else 12
        unbooked = [pk for pk in result if pk not in booked_entitlement]
        for policy in AllowancePolicy.objects.filter(leave_type_id__in=unbooked, leave_type__is_active=True):
            balance = result[policy.leave_type_id]
            balance.projected = projected_entitlement(policy, user=user, year=year, through_month=through_month)
            balance.projection = policy.get_accrual_display()
    return list(result.values())


def _balance(*, user: User, leave_type: LeaveType, year: int, through: date | None = None) -> Balance:
    return balances_for(user=user, year=year, leave_types=[leave_type], through=through)[0]
