"""Balances: what a user is entitled to, carried, used and has pending, from the ledger."""

from collections.abc import Iterable

from django.db.models import Sum

from accounts.models import User
from leave.models import Balance, EntryKind, LeaveRequest, LeaveStatus, LeaveType, LedgerEntry


def balances_for(*, user: User, year: int, leave_types: Iterable[LeaveType] | None = None) -> list[Balance]:
    """Balances of every (or the given) leave type for one user and year, in 2 or 3 queries."""
    if leave_types is None:
        leave_types = list(LeaveType.objects.active())
    result = {t.pk: Balance(user_id=user.pk, leave_type=t, year=year) for t in leave_types}
    rows = (
        LedgerEntry.objects.filter(user=user, year=year, leave_type__in=list(result))
        .values("leave_type_id", "kind")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        balance = result[row["leave_type_id"]]
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
    return list(result.values())


def _balance(*, user: User, leave_type: LeaveType, year: int) -> Balance:
    return balances_for(user=user, year=year, leave_types=[leave_type])[0]
