"""The ledger: allowances, adjustments, accrual, carry-over and its expiry (the periodic runs
are idempotent: each periodic row is booked once)."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils.translation import gettext

from accounts.models import User
from accounts.services import audit_record
from core.days import YEAR_OUT_OF_RANGE, year_in_range
from leave.models import ZERO, AllowancePolicy, EntryKind, LeaveType, LedgerEntry
from leave.services.balances import _balance
from leave.services.common import LeaveError, _lock_user, format_amount
from leave.services.entitlement import cents, joined_on, policy_bookings, round_half

_round_half = round_half
_cents = cents


@transaction.atomic
def ledger_adjust(
    *, user: User, leave_type: LeaveType, year: int, amount: Decimal, reason: str | None, actor: User | None = None
) -> LedgerEntry:
    """A manual correction of a balance; it always needs a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise LeaveError(gettext("An adjustment needs a reason."), field="reason", code="reason_required")
    if len(reason) > 255:
        raise LeaveError(gettext("Keep the reason under 255 characters."), field="reason")
    if amount == 0:
        raise LeaveError(gettext("An adjustment of 0 changes nothing."), field="amount")
    if not year_in_range(year):
        raise LeaveError(YEAR_OUT_OF_RANGE, field="year")
    _lock_user(user.pk)
    if amount < 0 and not leave_type.allow_negative:
        balance = _balance(user=user, leave_type=leave_type, year=year)
        if balance.balance + amount < 0:
            raise LeaveError(
                gettext("This would leave {format_amount}; {name} cannot go below zero.").format(
                    format_amount=format_amount(balance.balance + amount, leave_type.unit), name=leave_type.name
                ),
                field="amount",
                code="insufficient_balance",
            )
    entry = LedgerEntry.objects.create(
        user=user,
        leave_type=leave_type,
        year=year,
        kind=EntryKind.ADJUSTMENT,
        amount=amount,
        reason=reason,
        created_by=actor,
    )

    audit_record(
        actor=actor,
        action="leave_ledger.adjusted",
        obj=entry,
        changes={
            "user": [None, user.pk],
            "leave_type": [None, leave_type.code],
            "amount": [None, amount],
            "reason": [None, reason],
        },
    )
    return entry


def _book_once(
    *,
    user_id: int,
    leave_type: LeaveType,
    year: int,
    kind: str,
    period: int,
    amount: Decimal,
    reason: str,
    actor: User | None = None,
) -> bool:
    """Book a periodic row unless it exists. Returns True when booked.

    Idempotent even when two runs race: the unique constraint refuses the second row and
    get_or_create then reads the first one.
    """
    _entry, created = LedgerEntry.objects.get_or_create(
        user_id=user_id,
        leave_type=leave_type,
        year=year,
        kind=kind,
        period=period,
        defaults={"amount": amount, "reason": reason, "created_by": actor},
    )
    return created


@transaction.atomic
def allowance_assign(
    *,
    users: Iterable[User],
    leave_type: LeaveType,
    year: int,
    amount: Decimal,
    actor: User | None = None,
    reason: str | None = "",
) -> tuple[list[User], list[User]]:
    """Give many users their initial allowance of a type for a year (HR bulk action).

    Users who already have one for that year are skipped (correct them with an adjustment).
    Returns (assigned users, skipped users).
    """
    if amount < 0:
        raise LeaveError(gettext("An allowance cannot be negative."), field="amount")
    if not year_in_range(year):
        raise LeaveError(YEAR_OUT_OF_RANGE, field="year")
    assigned: list[User] = []
    skipped: list[User] = []
    for user in users:
        booked = _book_once(
            user_id=user.pk,
            leave_type=leave_type,
            year=year,
            kind=EntryKind.INITIAL,
            period=0,
            amount=amount,
            reason=(reason or "Allowance assigned")[:255],
            actor=actor,
        )
        (assigned if booked else skipped).append(user)
    return assigned, skipped


_joined = joined_on


def _eligible_users(year_end: date) -> QuerySet[User]:
    return User.objects.filter(is_active=True, date_joined__date__lte=year_end).order_by("pk")


def _book_missing(entries: list[LedgerEntry]) -> int:
    """Insert the periodic rows that do not exist yet; returns how many were missing.

    One query reads what exists, one inserts the rest. Idempotent even when two runs race:
    the unique constraint `ledger_periodic_once` refuses a duplicate, which
    ignore_conflicts skips instead of failing the whole batch.
    """
    if not entries:
        return 0
    existing = set(
        LedgerEntry.objects.filter(
            leave_type_id__in={e.leave_type_id for e in entries},
            year__in={e.year for e in entries},
            kind__in={e.kind for e in entries},
            user_id__in={e.user_id for e in entries},
        ).values_list("user_id", "leave_type_id", "year", "kind", "period")
    )
    missing = [e for e in entries if (e.user_id, e.leave_type_id, e.year, e.kind, e.period) not in existing]
    LedgerEntry.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


@transaction.atomic
def leave_run_accruals(*, today: date) -> int:
    """Book this year's allowances up to `today`: the yearly amount (pro-rated for joiners)
    or one accrual per month elapsed. Idempotent. Returns the number of rows booked."""
    year = today.year
    entries = []
    policies = AllowancePolicy.objects.select_related("leave_type").filter(leave_type__is_active=True)
    users = list(_eligible_users(today))
    for policy in policies:
        for user in users:
            common = {"user_id": user.pk, "leave_type_id": policy.leave_type_id, "year": year}
            for booking in policy_bookings(policy, joined=_joined(user), year=year, through_month=today.month):
                entries.append(
                    LedgerEntry(
                        **common,
                        kind=booking.kind,
                        period=booking.period,
                        amount=booking.amount,
                        reason=booking.reason,
                    )
                )
    return _book_missing(entries)


@transaction.atomic
def leave_run_carry_over(*, today: date) -> int:
    """Move unused allowance of last year into this year, up to each policy's cap. Idempotent."""
    year = today.year
    entries = []
    policies = AllowancePolicy.objects.select_related("leave_type").filter(
        leave_type__is_active=True, carry_over_cap__gt=0
    )
    for policy in policies:
        remaining = (
            LedgerEntry.objects.filter(leave_type=policy.leave_type, year=year - 1)
            .values("user_id")
            .annotate(total=Sum("amount"))
        )
        for row in remaining:
            entries.append(
                LedgerEntry(
                    user_id=row["user_id"],
                    leave_type_id=policy.leave_type_id,
                    year=year,
                    kind=EntryKind.CARRY_OVER,
                    period=0,
                    amount=min(max(row["total"], ZERO), policy.carry_over_cap),
                    reason=f"Carried over from {year - 1} (cap {policy.carry_over_cap})",
                )
            )
    return _book_missing(entries)


@transaction.atomic
def leave_run_carry_over_expiry(*, today: date) -> int:
    """After the expiry date, carried-over days not used by then lapse. Idempotent: one row
    per user, type and year, booked even when nothing lapses, so a later cancellation
    cannot make a second run lapse days that were legitimately carried."""
    year = today.year
    entries = []
    for policy in AllowancePolicy.objects.select_related("leave_type").filter(carry_over_expiry_month__isnull=False):
        expiry = policy.expiry_date(year)
        if expiry is None or today <= expiry:  # None: no expiry (the query selects policies with one)
            continue
        carried = dict(
            LedgerEntry.objects.filter(leave_type=policy.leave_type, year=year, kind=EntryKind.CARRY_OVER)
            .exclude(amount=0)
            .values_list("user_id", "amount")
        )
        # Days taken by the expiry date use the carried days first: one grouped query for everyone.
        used_by_expiry = dict(
            LedgerEntry.objects.filter(
                user_id__in=list(carried),
                leave_type=policy.leave_type,
                year=year,
                kind__in=[EntryKind.USAGE, EntryKind.RESTORATION],
                request__start_date__lte=expiry,
            )
            .values("user_id")
            .annotate(total=Sum("amount"))
            .values_list("user_id", "total")
        )
        for user_id, amount in carried.items():
            used = max(-used_by_expiry.get(user_id, ZERO), ZERO)
            entries.append(
                LedgerEntry(
                    user_id=user_id,
                    leave_type_id=policy.leave_type_id,
                    year=year,
                    kind=EntryKind.CARRY_OVER_EXPIRY,
                    period=0,
                    amount=-max(amount - used, ZERO),
                    reason=f"Carried-over days not used by {expiry:%d %b %Y}",
                )
            )
    return _book_missing(entries)


def leave_run_policies(*, today: date) -> dict[str, int]:
    """Accrual, carry-over and expiry in order (the management command and the beat tasks)."""
    return {
        "carry_over": leave_run_carry_over(today=today),
        "accruals": leave_run_accruals(today=today),
        "expiry": leave_run_carry_over_expiry(today=today),
    }
