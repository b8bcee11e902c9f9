"""Substitutes (deputies): the colleagues a requester names to cover while they are away.

Who may be named: active members of the requester's team (the people of their team calendar),
never the requester, at most MAX_SUBSTITUTES, each once. A substitute who is away at the same
time is a warning, not a refusal: the preview and the approval page show it, the approver decides.
Substitutes are told by e-mail when the leave is approved (and when approved leave is cancelled),
and reminded on their last working day before it starts (a periodic task, once per substitute)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from accounts.languages import in_language_of
from accounts.models import User
from leave import calendars
from leave.models import LeaveRequest, LeaveStatus, LeaveSubstitute, team_of
from leave.services.common import LeaveError
from leave.services.notifications import _email, day_text

MAX_SUBSTITUTES = 3
SUBSTITUTE_NOT_IN_TEAM = "Choose substitutes from your team (the people in your team calendar)."
# How far ahead the reminder sweep looks: the last working day before a start can lie this many
# days earlier (Christmas to New Year, with weekends and closures, is the longest usual gap).
REMINDER_HORIZON_DAYS = 16


def substitutes_check(*, requester: User, substitutes: Sequence[User]) -> list[User]:
    """The substitutes as named, or a LeaveError (400, field `substitutes`) for each rule broken."""
    if len(substitutes) > MAX_SUBSTITUTES:
        raise LeaveError(
            gettext("Name at most {MAX_SUBSTITUTES} substitutes.").format(MAX_SUBSTITUTES=MAX_SUBSTITUTES),
            field="substitutes",
            code="too_many_substitutes",
        )
    ids = [substitute.pk for substitute in substitutes]
    if len(set(ids)) != len(ids):
        raise LeaveError(gettext("Name each substitute once."), field="substitutes", code="substitute_duplicate")
    if requester.pk in ids:
        raise LeaveError(gettext("You cannot be your own substitute."), field="substitutes", code="substitute_self")
    for substitute in substitutes:
        if not substitute.is_active:
            raise LeaveError(
                gettext("{substitute} has left the company: name someone else.").format(substitute=substitute),
                field="substitutes",
                code="substitute_inactive",
            )
    # Only colleagues whose names the requester already sees in the team calendar; anyone else is
    # refused without saying whether they exist.
    team = set(team_of(requester).filter(pk__in=ids).values_list("pk", flat=True))
    if any(pk not in team for pk in ids):
        raise LeaveError(SUBSTITUTE_NOT_IN_TEAM, field="substitutes", code="substitute_not_in_team")
    return list(substitutes)


def _substitutes_set(leave_request: LeaveRequest, substitutes: Sequence[User]) -> None:
    LeaveSubstitute.objects.bulk_create(
        LeaveSubstitute(request=leave_request, user=substitute, position=position)
        for position, substitute in enumerate(substitutes)
    )


@dataclass(frozen=True)
class Away:
    substitute: User
    start_date: date
    end_date: date
    status: str

    @property
    def message(self) -> str:
        return f"{self.substitute} is away too, from {self.start_date:%d %b %Y} to {self.end_date:%d %b %Y}" + (
            " (requested, not decided yet)." if self.status == LeaveStatus.PENDING else "."
        )


def substitutes_away(*, substitutes: Iterable[User], start_date: date, end_date: date) -> list[Away]:
    """The substitutes' own pending or approved leave overlapping [start_date, end_date] (one query)."""
    by_id = {substitute.pk: substitute for substitute in substitutes}
    if not by_id:
        return []
    overlapping = (
        LeaveRequest.objects.filter(user_id__in=by_id)
        .active()
        .overlapping(start_date, end_date)
        .order_by("start_date", "id")
        .values_list("user_id", "start_date", "end_date", "status")
    )
    return [Away(by_id[user_id], start, end, status) for user_id, start, end, status in overlapping]


def substitute_warnings(*, substitutes: Iterable[User], start_date: date, end_date: date) -> list[LeaveError]:
    """What the preview shows (code `substitute_away`): warnings, never refusals."""
    return [
        LeaveError(away.message, field="substitutes", code="substitute_away")
        for away in substitutes_away(substitutes=substitutes, start_date=start_date, end_date=end_date)
    ]


def substitutes_away_by_request(requests: Sequence[LeaveRequest]) -> dict[int, list[Away]]:
    """{request id: [substitutes away during it]} for many requests in one query (the approval page).
    The requests come `with_substitutes()` (prefetched)."""
    if not any(r.substitute_links.all() for r in requests):
        return {r.pk: [] for r in requests}
    start = min(r.start_date for r in requests)
    end = max(r.end_date for r in requests)
    substitutes = {link.user_id: link.user for r in requests for link in r.substitute_links.all()}
    own = list(
        LeaveRequest.objects.filter(user_id__in=substitutes)
        .active()
        .overlapping(start, end)
        .values_list("user_id", "start_date", "end_date", "status")
    )
    result: dict[int, list[Away]] = {}
    for leave_request in requests:
        named = {link.user_id for link in leave_request.substitute_links.all()}
        result[leave_request.pk] = [
            Away(substitutes[user_id], other_start, other_end, status)
            for user_id, other_start, other_end, status in own
            if user_id in named and other_start <= leave_request.end_date and other_end >= leave_request.start_date
        ]
    return result


# --- E-mails --------------------------------------------------------------------------------------


def _calendar_link(day: date) -> str:
    return f"{settings.SITE_URL}{reverse('leave:calendar')}?month={day:%Y-%m}"


def _when(leave_request: LeaveRequest) -> str:
    if leave_request.start_date == leave_request.end_date:
        return gettext("on {day}").format(day=day_text(leave_request.start_date))
    return gettext("from {start} to {end}").format(
        start=day_text(leave_request.start_date), end=day_text(leave_request.end_date)
    )


def _notify_substitutes_approved(leave_request: LeaveRequest) -> None:
    """In the approval's transaction: each substitute once, however the request was approved."""
    links = list(
        LeaveSubstitute.objects.filter(request=leave_request, notified_at__isnull=True, user__is_active=True)
        .select_related("user")
        .order_by("position")
    )
    who = leave_request.user
    for link in links:
        with in_language_of(link.user):
            _email(
                link.user_id,
                gettext("You cover for {who} {when}").format(who=who, when=_when(leave_request)),
                gettext("{who} is away {when} and named you as their substitute.\nTeam calendar: {link}").format(
                    who=who, when=_when(leave_request), link=_calendar_link(leave_request.start_date)
                ),
            )
    LeaveSubstitute.objects.filter(pk__in=[link.pk for link in links]).update(notified_at=timezone.now())


def _notify_substitutes_cancelled(leave_request: LeaveRequest) -> None:
    """Approved leave cancelled: the substitutes already told are told it is off."""
    who = leave_request.user
    for user_id, language in LeaveSubstitute.objects.filter(
        request=leave_request, notified_at__isnull=False, user__is_active=True
    ).values_list("user_id", "user__language"):
        with in_language_of(language):
            _email(
                user_id,
                gettext("No need to cover for {who} {when}").format(who=who, when=_when(leave_request)),
                gettext("{who}'s leave {when} was cancelled: you no longer cover for them.").format(
                    who=who, when=_when(leave_request)
                ),
            )


def _last_working_day_before(substitute: User, today: date, start: date) -> bool:
    """True when no working day of `substitute` lies strictly between today and `start`."""
    if today >= start:
        return False
    if today + timedelta(days=1) > start - timedelta(days=1):
        return True
    between = calendars.day_amounts(substitute, today + timedelta(days=1), start - timedelta(days=1))
    return all(day.amount == 0 for day in between)


@transaction.atomic
def leave_send_substitute_reminders(*, now: datetime | None = None) -> int:
    """E-mail each substitute of approved leave on their last working day before it starts (their
    weekends, public holidays and closures; their local day and at or after
    LEAVE_SUBSTITUTE_REMINDER_HOUR), once. Leave approved later than that is only announced by the
    approval e-mail. Runs hourly; returns the number of reminders queued."""
    now = now or timezone.now()
    utc_today = now.date()
    due = (
        LeaveSubstitute.objects.filter(
            reminded_at__isnull=True,
            user__is_active=True,
            request__status=LeaveStatus.APPROVED,
            # Local days differ from UTC's by at most a day on either side.
            request__start_date__gte=utc_today,
            request__start_date__lte=utc_today + timedelta(days=REMINDER_HORIZON_DAYS),
        )
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("user", "request", "request__user")
        .order_by("request__start_date", "id")
    )
    reminded: list[int] = []
    for link in due:
        substitute, leave_request = link.user, link.request
        local_now = now.astimezone(substitute.tzinfo)
        today = local_now.date()
        if local_now.hour < settings.LEAVE_SUBSTITUTE_REMINDER_HOUR:
            continue
        if not _last_working_day_before(substitute, today, leave_request.start_date):
            continue
        who = leave_request.user
        with in_language_of(substitute):
            _email(
                substitute.pk,
                gettext("Reminder: you cover for {who} from {day}").format(
                    who=who, day=date_format(leave_request.start_date, "D d M")
                ),
                gettext("{who} is away {when}; you are their substitute.\nTeam calendar: {link}").format(
                    who=who, when=_when(leave_request), link=_calendar_link(leave_request.start_date)
                ),
            )
        reminded.append(link.pk)
    LeaveSubstitute.objects.filter(pk__in=reminded).update(reminded_at=now)
    return len(reminded)
