"""What every part of the leave services shares: the domain errors, amounts as people read
them, a user's local day, the per-user lock, and the audit/webhook record of a transition."""

import logging
from datetime import date
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from core.errors import Conflict, DomainError, Forbidden
from leave.models import LeaveRequest, LeaveUnit
from webhooks.services import outbox_publish

logger = logging.getLogger(__name__)


class LeaveError(DomainError):
    """A leave rule refused the input."""


class LeaveConflict(Conflict, LeaveError):
    """The write clashes with the current state: overlap, already decided."""


class LeaveForbidden(Forbidden, LeaveError):
    pass


def format_amount(amount: Decimal, unit: str) -> str:
    amount = amount.normalize() if amount == amount.to_integral() else amount
    word = "hours" if unit == LeaveUnit.HOURS else "days"
    if amount == 1:
        word = word[:-1]
    return f"{amount:f} {word}"


def today_for(user: User) -> date:
    """The user's local calendar day."""
    return timezone.now().astimezone(user.tzinfo).date()


def _record(leave_request: LeaveRequest, event: str, *, actor: User | None, before_status: str | None = None) -> None:
    """Audit trail, webhook outbox and CalDAV push outbox for a request's transition, in the
    caller's transaction."""
    from leave.services.caldav import caldav_record  # cycle: leave.services.caldav imports this module

    audit_record(
        actor=actor,
        action=f"leave_request.{event}",
        obj=leave_request,
        changes={"status": [before_status, leave_request.status]},
    )
    outbox_publish(
        event_type=f"leave_request.{event}",
        payload={
            "id": leave_request.pk,
            "user_id": leave_request.user_id,
            "leave_type": leave_request.leave_type.code,
            "start_date": leave_request.start_date,
            "end_date": leave_request.end_date,
            "amount": leave_request.amount,
            "status": leave_request.status,
        },
    )
    caldav_record(leave_request)


def _lock_user(user_id: int) -> User:
    # Every change to a user's requests or ledger locks the user's row first: two
    # submissions (or a submission and an approval) for the same person at the same time
    # would otherwise both pass the overlap and balance checks before either is written.
    return User.objects.select_for_update().get(pk=user_id)
