"""Notifications: e-mails to the approvers and the requester, queued in the caller's
transaction, and the reminders about requests left pending."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.services import email_queue
from leave.models import LeaveRequest
from leave.services.common import format_amount


def _email(user_id: int, subject: str, body: str) -> None:
    # In the decision's transaction: a rolled-back decision sends nothing, an outage loses nothing.
    email_queue(user_id=user_id, subject=subject, body=body)


def approvers_of(user: User) -> list[int]:
    """Who decides `user`'s leave (accounts' one rule, shared with the weeks)."""
    return list(User.objects.approvers_of(user).values_list("pk", flat=True))


def _describe(leave_request: LeaveRequest) -> str:
    return (
        f"{leave_request.leave_type.name}, {leave_request.start_date:%a %d %b %Y} to "
        f"{leave_request.end_date:%a %d %b %Y} ({format_amount(leave_request.amount, leave_request.leave_type.unit)})"
    )


def _notify_approvers(leave_request: LeaveRequest, *, automatic: bool = False, cancelled: bool = False) -> None:
    who = leave_request.user
    if cancelled:
        subject = f"Leave cancelled: {who}"
        body = f"{who} cancelled approved leave: {_describe(leave_request)}."
    elif automatic:
        subject = f"Leave recorded: {who}"
        body = f"{who} recorded {_describe(leave_request)}. No approval is needed."
    else:
        subject = f"Leave request to approve: {who}"
        body = (
            f"{who} requests {_describe(leave_request)}.\n"
            f"Reason: {leave_request.reason or '-'}\n\nDecide it in the approvals page or the admin."
        )
    for approver_id in approvers_of(who):
        _email(approver_id, subject, body)


def _notify_requester(leave_request: LeaveRequest) -> None:
    status_text = leave_request.get_status_display().lower()
    subject = f"Your leave request was {status_text}"
    body = f"Your request for {_describe(leave_request)} was {status_text}"
    if leave_request.decided_by:
        body += f" by {leave_request.decided_by}"
    body += "." + (f"\nNote: {leave_request.decision_note}" if leave_request.decision_note else "")
    _email(leave_request.user_id, subject, body)


@transaction.atomic
def leave_send_pending_reminders(*, now: datetime | None = None, older_than_days: int | None = None) -> int:
    """E-mail approvers about requests pending longer than N days; at most one reminder per
    request per day, however often this runs. Returns the number of requests reminded."""
    now = now or timezone.now()
    days = settings.LEAVE_REMINDER_AFTER_DAYS if older_than_days is None else older_than_days
    due = (
        LeaveRequest.objects.pending()
        .filter(created_at__lte=now - timedelta(days=days))
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - timedelta(hours=20)))
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("user", "leave_type")
    )
    by_approver: dict[int, list[LeaveRequest]] = {}
    reminded: list[int] = []
    for leave_request in due:
        for approver_id in approvers_of(leave_request.user):
            by_approver.setdefault(approver_id, []).append(leave_request)
        reminded.append(leave_request.pk)
    for approver_id, requests in by_approver.items():
        lines = "\n".join(f"- {r.user}: {_describe(r)}, waiting since {r.created_at:%d %b %Y}" for r in requests)
        _email(approver_id, f"{len(requests)} leave request(s) waiting for you", f"Please decide:\n{lines}")
    LeaveRequest.objects.filter(pk__in=reminded).update(reminded_at=now)
    return len(reminded)
