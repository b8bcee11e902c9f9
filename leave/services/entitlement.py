"""What an allowance policy books for a person and a year: the one rule behind the yearly run
(`ledger.leave_run_accruals`) and the projection of a year not booked yet (`balances.balances_for`,
so that next year's leave can be planned before 1 January)."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from accounts.models import User
from leave.models import ZERO, AccrualMethod, AllowancePolicy, EntryKind


def round_half(amount: Decimal) -> Decimal:
    return (amount * 2).quantize(Decimal("1"), rounding=ROUND_HALF_UP) / 2


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def joined_on(user: User) -> date:
    return timezone.localtime(user.date_joined, user.tzinfo).date()


@dataclass(frozen=True)
class Booking:
    kind: str
    period: int
    amount: Decimal
    reason: str


def policy_bookings(policy: AllowancePolicy, *, joined: date, year: int, through_month: int) -> list[Booking]:
    """The rows `policy` books for someone who joined on `joined`, in `year`, up to `through_month`:
    the yearly amount up front (a joiner's share from their month when the policy pro-rates), or one
    accrual per month (cumulative rounding: twelve months add up to the yearly amount exactly).
    Nothing for a year before the person joined."""
    if joined.year > year:
        return []
    first_month = joined.month if (joined.year == year and policy.prorate_joiners) else 1
    if policy.accrual == AccrualMethod.YEARLY:
        share = Decimal(13 - first_month) / Decimal(12)
        reason = f"Allowance {year}" + (" (pro-rated)" if first_month > 1 else "")
        return [Booking(EntryKind.INITIAL, 0, round_half(policy.yearly_amount * share), reason)]
    return [
        Booking(
            EntryKind.ACCRUAL,
            month,
            cents(policy.yearly_amount * month / 12) - cents(policy.yearly_amount * (month - 1) / 12),
            f"Accrual {year}-{month:02d}",
        )
        for month in range(first_month, through_month + 1)
    ]


def projected_entitlement(policy: AllowancePolicy, *, user: User, year: int, through_month: int = 12) -> Decimal:
    """What `policy` will book for `user` in `year` up to `through_month`, before any of it is booked."""
    rows = policy_bookings(policy, joined=joined_on(user), year=year, through_month=through_month)
    return sum((row.amount for row in rows), ZERO)
