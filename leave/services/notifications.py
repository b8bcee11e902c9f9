"""Notifications: e-mails to the approvers and the requester, queued in the caller's
transaction, and the reminders about requests left pending."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from accounts.languages import in_language_of
from accounts.models import User
from accounts.services import email_queue
from leave.models import LeaveRequest
from leave.services.common import format_amount


def _email(user_id: int, subject: str, body: str) -> None:
    # In the decision's transaction: a rolled-back decision sends nothing, an outage loses nothing.
    email_queue(user_id=user_id, subject=subject, body=body)


def approvers_of(user: User) -> list[tuple[int, str]]:
    """Who decides `user`'s leave (accounts' one rule, shared with the weeks): (id, language) each,
    so that each e-mail is written in its reader's language (accounts.languages)."""
    return list(User.objects.approvers_of(user).values_list("pk", "language"))


def day_text(day: date) -> str:
    """A day in an e-mail, in the active language ("Mon 16 Mar 2026", "Mo 16 Mär 2026")."""
    return date_format(day, "D d M Y")


def _describe(leave_request: LeaveRequest) -> str:
    return gettext("{leave_type}, {start} to {end} ({amount})").format(
        leave_type=leave_request.leave_type.name,
        start=day_text(leave_request.start_date),
        end=day_text(leave_request.end_date),
        amount=format_amount(leave_request.amount, leave_request.leave_type.unit),
    )


def _notify_approvers(leave_request: LeaveRequest, *, automatic: bool = False, cancelled: bool = False) -> None:
    who = leave_request.user
    for approver_id, language in approvers_of(who):
        with in_language_of(language):
            if cancelled:
                subject = gettext("Leave cancelled: {who}").format(who=who)
                body = gettext("{who} cancelled approved leave: {leave}.").format(
                    who=who, leave=_describe(leave_request)
                )
            elif automatic:
                subject = gettext("Leave recorded: {who}").format(who=who)
                body = gettext("{who} recorded {leave}. No approval is needed.").format(
                    who=who, leave=_describe(leave_request)
                )
            else:
                subject = gettext("Leave request to approve: {who}").format(who=who)
                body = gettext(
                    "{who} requests {leave}.\nReason: {reason}\n\nDecide it in the approvals page or the admin."
                ).format(who=who, leave=_describe(leave_request), reason=leave_request.reason or "-")
            _email(approver_id, subject, body)


def _notify_requester(leave_request: LeaveRequest) -> None:
    with in_language_of(leave_request.user):
        status_text = str(leave_request.get_status_display()).lower()
        subject = gettext("Your leave request was {status}").format(status=status_text)
        if leave_request.decided_by:
            body = gettext("Your request for {leave} was {status} by {actor}.").format(
                leave=_describe(leave_request), status=status_text, actor=leave_request.decided_by
            )
        else:
            body = gettext("Your request for {leave} was {status}.").format(
                leave=_describe(leave_request), status=status_text
            )
        if leave_request.decision_note:
            body += "\n" + gettext("Note: {note}").format(note=leave_request.decision_note)
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
    by_approver: dict[tuple[int, str], list[LeaveRequest]] = {}
    reminded: list[int] = []
    for leave_request in due:
        for approver in approvers_of(leave_request.user):
            by_approver.setdefault(approver, []).append(leave_request)
        reminded.append(leave_request.pk)
    for (approver_id, language), requests in by_approver.items():
        with in_language_of(language):
            lines = "\n".join(
                gettext("- {who}: {leave}, waiting since {day}").format(
                    who=r.user, leave=_describe(r), day=day_text(r.created_at.date())
                )
                for r in requests
            )
            subject = ngettext(
                "{count} leave request waiting for you", "{count} leave requests waiting for you", len(requests)
            ).format(count=len(requests))
            _email(approver_id, subject, gettext("Please decide:\n{lines}").format(lines=lines))
    LeaveRequest.objects.filter(pk__in=reminded).update(reminded_at=now)
    return len(reminded)
