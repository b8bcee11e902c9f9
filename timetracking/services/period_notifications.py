"""E-mails about weekly timesheets (issue 18, item 7), queued through the outbox in the decision's
own transaction: a submitted week tells whoever decides it, an approved, sent back or reopened week
tells its owner. Each carries a link to the week (settings.SITE_URL) and each kind can be switched
off per person on the Preferences page (User.notify_week_submitted / notify_week_decided)."""

from django.conf import settings
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop

from accounts.languages import in_language_of
from accounts.models import User
from accounts.services import email_queue
from timetracking.models import TimesheetPeriod


def _week_link(period: TimesheetPeriod, *, for_someone_else: bool) -> str:
    url = f"{settings.SITE_URL}{reverse('timetracking:week')}?week={period.week_start.isoformat()}"
    return f"{url}&user={period.user_id}" if for_someone_else else url


def _week_text(period: TimesheetPeriod) -> str:
    return gettext("the week of {start} to {end}").format(
        start=date_format(period.week_start, "D d M Y"), end=date_format(period.week_end, "D d M Y")
    )


def notify_week_submitted(period: TimesheetPeriod) -> int:
    """E-mail the people who decide `period` (its owner's manager, or HR when there is none) that it
    waits for them; returns how many were queued."""
    owner = period.user
    queued = 0
    for approver in User.objects.approvers_of(owner).filter(notify_week_submitted=True):
        with in_language_of(approver):
            email_queue(
                user_id=approver.pk,
                subject=gettext("Week to approve: {owner}").format(owner=owner),
                body=gettext(
                    "{owner} submitted {week} for approval.\n\nApprove it or send it back: {link}\n\n"
                    "You get this because you decide their weeks; switch it off under Preferences."
                ).format(owner=owner, week=_week_text(period), link=_week_link(period, for_someone_else=True)),
            )
        queued += 1
    return queued


# English, marked for the catalog (gettext_noop) and translated when an e-mail is written.
DECISIONS: dict[str, tuple[str, str]] = {
    TimesheetPeriod.Status.APPROVED: (
        gettext_noop("approved"),
        gettext_noop("It is locked now; ask {actor} to reopen it if something is wrong."),
    ),
    TimesheetPeriod.Status.DRAFT: (
        gettext_noop("sent back"),
        gettext_noop("{actor} wrote: {text}\nCorrect it and submit it again."),
    ),
    TimesheetPeriod.Status.REOPENED: (
        gettext_noop("reopened"),
        gettext_noop("{actor} wrote: {text}\nChange it and submit it again."),
    ),
}


def _decision_texts(status: str) -> tuple[str, str]:
    """DECISIONS' (verb, detail) in the active language."""
    verb, detail = DECISIONS[status]
    return gettext(verb), gettext(detail)


def notify_week_decided(period: TimesheetPeriod, *, actor: User, text: str = "") -> bool:
    """E-mail `period`'s owner that `actor` approved, sent back or reopened it (its status now says
    which); False when they switched these e-mails off."""
    owner = period.user
    if not owner.notify_week_decided:
        return False
    with in_language_of(owner):
        verb, detail = _decision_texts(period.status)
        email_queue(
            user_id=owner.pk,
            subject=gettext("Your week of {day} was {verb}").format(
                day=date_format(period.week_start, "d M"), verb=verb
            ),
            body=gettext(
                "{actor} {verb} {week}.\n{detail}\n\nYour week: {link}\n\nSwitch these e-mails off under Preferences."
            ).format(
                actor=actor,
                verb=verb,
                week=_week_text(period),
                detail=detail.format(actor=actor, text=text or "-"),
                link=_week_link(period, for_someone_else=False),
            ),
        )
    return True
