"""E-mails about weekly timesheets (issue 18, item 7), queued through the outbox in the decision's
own transaction: a submitted week tells whoever decides it, an approved, sent back or reopened week
tells its owner. Each carries a link to the week (settings.SITE_URL) and each kind can be switched
off per person on the Preferences page (User.notify_week_submitted / notify_week_decided)."""

from django.conf import settings
from django.urls import reverse

from accounts.models import User
from accounts.services import email_queue
from timetracking.models import TimesheetPeriod


def _week_link(period: TimesheetPeriod, *, for_someone_else: bool) -> str:
    url = f"{settings.SITE_URL}{reverse('timetracking:week')}?week={period.week_start.isoformat()}"
    return f"{url}&user={period.user_id}" if for_someone_else else url


def _week_text(period: TimesheetPeriod) -> str:
    return f"the week of {period.week_start:%a %d %b %Y} to {period.week_end:%a %d %b %Y}"


def notify_week_submitted(period: TimesheetPeriod) -> int:
    """E-mail the people who decide `period` (its owner's manager, or HR when there is none) that it
    waits for them; returns how many were queued."""
    owner = period.user
    queued = 0
    for approver in User.objects.approvers_of(owner).filter(notify_week_submitted=True):
        email_queue(
            user_id=approver.pk,
            subject=f"Week to approve: {owner}",
            body=(
                f"{owner} submitted {_week_text(period)} for approval.\n\n"
                f"Approve it or send it back: {_week_link(period, for_someone_else=True)}\n\n"
                "You get this because you decide their weeks; switch it off under Preferences."
            ),
        )
        queued += 1
    return queued


DECISIONS: dict[str, tuple[str, str]] = {
    TimesheetPeriod.Status.APPROVED: ("approved", "It is locked now; ask {actor} to reopen it if something is wrong."),
    TimesheetPeriod.Status.DRAFT: ("sent back", "{actor} wrote: {text}\nCorrect it and submit it again."),
    TimesheetPeriod.Status.REOPENED: ("reopened", "{actor} wrote: {text}\nChange it and submit it again."),
}


def notify_week_decided(period: TimesheetPeriod, *, actor: User, text: str = "") -> bool:
    """E-mail `period`'s owner that `actor` approved, sent back or reopened it (its status now says
    which); False when they switched these e-mails off."""
    owner = period.user
    if not owner.notify_week_decided:
        return False
    verb, detail = DECISIONS[period.status]
    email_queue(
        user_id=owner.pk,
        subject=f"Your week of {period.week_start:%d %b} was {verb}",
        body=(
            f"{actor} {verb} {_week_text(period)}.\n{detail.format(actor=actor, text=text or '-')}\n\n"
            f"Your week: {_week_link(period, for_someone_else=False)}\n\n"
            "Switch these e-mails off under Preferences."
        ),
    )
    return True
