"""Decisions on leave requests: who may decide, approve (booking the usage), reject, cancel
(restoring what was used), and deciding many at once."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.languages import in_language_of
from accounts.models import User
from leave.models import EntryKind, LeaveRequest, LeaveStatus, LedgerEntry
from leave.services.balances import _balance
from leave.services.common import (
    LeaveConflict,
    LeaveError,
    LeaveForbidden,
    _lock_user,
    _record,
    format_amount,
    today_for,
)
from leave.services.notifications import _notify_approvers, _notify_requester
from leave.services.substitutes import _notify_substitutes_approved, _notify_substitutes_cancelled


def can_decide(actor: User, leave_request: LeaveRequest) -> bool:
    if actor.pk == leave_request.user_id:
        return False
    return bool(actor.is_hr) or leave_request.user.manager_id == actor.pk


def _locked_for_decision(leave_request_id: int, actor: User) -> LeaveRequest:
    # Lock the request row: two managers (or a manager and HR) deciding at the same time
    # are serialised here; the second sees the first's decision and gets a 409.
    leave_request = (
        LeaveRequest.objects.select_for_update(of=("self",))
        .select_related("user", "leave_type", "decided_by")
        .get(pk=leave_request_id)
    )
    if actor.pk == leave_request.user_id:
        raise LeaveForbidden(gettext("You cannot decide your own leave request."), code="own_request")
    if not can_decide(actor, leave_request):
        raise LeaveForbidden(
            gettext("Only the requester's manager or HR can decide this request."), code="not_approver"
        )
    if leave_request.status != LeaveStatus.PENDING:
        by = f" by {leave_request.decided_by}" if leave_request.decided_by else ""
        raise LeaveConflict(
            gettext("This request was already {lower}{by}.").format(
                lower=leave_request.get_status_display().lower(), by=by
            ),
            code="already_decided",
        )
    return leave_request


def _approve(leave_request: LeaveRequest, *, decided_by: User | None, note: str) -> None:
    leave_type = leave_request.leave_type
    _lock_user(leave_request.user_id)
    if leave_type.deducts_allowance:
        balance = _balance(
            user=leave_request.user,
            leave_type=leave_type,
            year=leave_request.start_date.year,
            through=leave_request.start_date,
        )
        if not leave_type.allow_negative and balance.balance - leave_request.amount < 0:
            raise LeaveError(
                gettext("Not enough {name} left: {format_amount} left, {format_amount2} requested.").format(
                    name=leave_type.name,
                    format_amount=format_amount(balance.balance, leave_type.unit),
                    format_amount2=format_amount(leave_request.amount, leave_type.unit),
                ),
                code="insufficient_balance",
            )
        LedgerEntry.objects.create(
            user_id=leave_request.user_id,
            leave_type=leave_type,
            year=leave_request.start_date.year,
            kind=EntryKind.USAGE,
            amount=-leave_request.amount,
            request=leave_request,
            created_by=decided_by,
        )
    leave_request.status = LeaveStatus.APPROVED
    leave_request.decided_by = decided_by
    leave_request.decided_at = timezone.now()
    leave_request.decision_note = note
    leave_request.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    _record(leave_request, "approved", actor=decided_by, before_status=LeaveStatus.PENDING)
    _notify_substitutes_approved(leave_request)


@transaction.atomic
def leave_request_approve(*, leave_request_id: int, actor: User, note: str | None = "") -> LeaveRequest:
    note = (note or "").strip()
    if len(note) > 500:
        raise LeaveError(gettext("Keep the note under 500 characters."), field="note")
    leave_request = _locked_for_decision(leave_request_id, actor)
    _approve(leave_request, decided_by=actor, note=note)
    _notify_requester(leave_request)
    return leave_request


@transaction.atomic
def leave_request_reject(*, leave_request_id: int, actor: User, note: str | None = "") -> LeaveRequest:
    note = (note or "").strip()
    if not note:
        raise LeaveError(gettext("Say why the request is rejected."), field="note", code="note_required")
    if len(note) > 500:
        raise LeaveError(gettext("Keep the note under 500 characters."), field="note")
    leave_request = _locked_for_decision(leave_request_id, actor)
    leave_request.status = LeaveStatus.REJECTED
    leave_request.decided_by = actor
    leave_request.decided_at = timezone.now()
    leave_request.decision_note = note
    leave_request.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    _record(leave_request, "rejected", actor=actor, before_status=LeaveStatus.PENDING)
    _notify_requester(leave_request)
    return leave_request


@transaction.atomic
def leave_request_cancel(*, leave_request_id: int, actor: User) -> LeaveRequest:
    """The requester cancels a pending request or an approved one not yet started; HR anything open."""
    leave_request = (
        LeaveRequest.objects.select_for_update(of=("self",))
        .select_related("user", "leave_type")
        .get(pk=leave_request_id)
    )
    is_owner = actor.pk == leave_request.user_id
    if not is_owner and not actor.is_hr:
        raise LeaveForbidden(gettext("Only the requester or HR can cancel a request."), code="not_owner")
    if leave_request.status in (LeaveStatus.REJECTED, LeaveStatus.CANCELLED):
        raise LeaveConflict(
            gettext("This request is already {lower}.").format(lower=leave_request.get_status_display().lower()),
            code="closed",
        )
    if (
        leave_request.status == LeaveStatus.APPROVED
        and not actor.is_hr
        and leave_request.start_date <= today_for(leave_request.user)
    ):
        raise LeaveConflict(gettext("This leave has already started: ask HR to cancel it."), code="already_started")
    was_approved = leave_request.status == LeaveStatus.APPROVED
    _lock_user(leave_request.user_id)
    if was_approved:
        usage = LedgerEntry.objects.filter(request=leave_request, kind=EntryKind.USAGE).first()
        if usage is not None:
            LedgerEntry.objects.create(
                user_id=leave_request.user_id,
                leave_type_id=leave_request.leave_type_id,
                year=usage.year,
                kind=EntryKind.RESTORATION,
                amount=-usage.amount,
                request=leave_request,
                created_by=actor,
            )
    leave_request.status = LeaveStatus.CANCELLED
    if not is_owner:
        leave_request.decided_by = actor
        leave_request.decided_at = timezone.now()
    leave_request.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    _record(
        leave_request,
        "cancelled",
        actor=actor,
        before_status=LeaveStatus.APPROVED if was_approved else LeaveStatus.PENDING,
    )
    if not is_owner:
        _notify_requester(leave_request)
    elif was_approved:
        _notify_approvers(leave_request, cancelled=True)
    if was_approved:
        _notify_substitutes_cancelled(leave_request)
    return leave_request


@dataclass
class BulkResult:
    done: list[LeaveRequest] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (request id, message)

    def summary(self, verb: str) -> str:
        text = f"{len(self.done)} {verb}"
        if self.skipped:
            reasons: dict[str, int] = {}
            for _request, message in self.skipped:
                reasons[message] = reasons.get(message, 0) + 1
            text += ", " + ", ".join(f"{count} skipped: {message}" for message, count in reasons.items())
        return text + "."


def leave_requests_decide(
    *, leave_request_ids: Iterable[int], actor: User, approve: bool, note: str | None = ""
) -> BulkResult:
    """Approve or reject many requests, each in its own transaction; report what happened to each."""
    result = BulkResult()
    decide = leave_request_approve if approve else leave_request_reject
    for pk in leave_request_ids:
        try:
            result.done.append(decide(leave_request_id=pk, actor=actor, note=note))
        except LeaveError as error:
            message = error.message.rstrip(".")
            if error.code == "insufficient_balance":
                message = "insufficient balance"
            result.skipped.append((pk, message))
    return result


@transaction.atomic
def leave_requests_withdraw_for_leaver(*, user: User, actor: User | None = None, **_signal: object) -> dict[str, int]:
    """A deactivated user's pending requests are withdrawn (receiver of
    accounts.signals.user_deactivated), each audited, and their approvers told by e-mail, so
    nobody decides leave for someone who has left. Approved leave stays: it is part of their
    final statement. Returns how many were withdrawn, for the audit trail."""
    from leave.services.notifications import _describe, _email, approvers_of

    pending = list(
        LeaveRequest.objects.select_for_update(of=("self",))
        .filter(user=user, status=LeaveStatus.PENDING)
        .select_related("user", "leave_type")
        .order_by("start_date")
    )
    if not pending:
        return {}
    approvers = approvers_of(user)
    for leave_request in pending:
        leave_request.status = LeaveStatus.CANCELLED
        leave_request.decided_by = actor
        leave_request.decided_at = timezone.now()
        leave_request.decision_note = "Withdrawn: the requester has left."
        leave_request.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
        _record(leave_request, "cancelled", actor=actor or user, before_status=LeaveStatus.PENDING)
        for approver_id, language in approvers:
            with in_language_of(language):
                _email(
                    approver_id,
                    gettext("Leave request withdrawn: {user}").format(user=user),
                    gettext(
                        "{user} has left, so their request for {leave} was withdrawn. Nothing is left to decide."
                    ).format(user=user, leave=_describe(leave_request)),
                )
    return {"leave_requests_withdrawn": len(pending)}
