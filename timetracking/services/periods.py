"""The weekly period close: submit, then approve (locked), reject, or reopen; and the state of a
week as its page shows it (`period_state`), read with the same rules."""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.services import audit_record
from core.days import week_start
from timetracking.models import (
    TimeEntry,
    TimesheetPeriod,
    local_day_bounds,
)
from timetracking.services import period_notifications
from timetracking.services.checks import _lock_user
from timetracking.services.common import PeriodLocked, PeriodNotAllowed, TimeTrackingConflict, TimeTrackingError
from webhooks.services import outbox_publish

# --- Period close (submit → approve = locked → reopen) ---------------------------------------

PERIOD_TEXT_MAX_LENGTH = 1000


def period_week_start(*, user: User, day: date) -> date:
    """The Monday of the ISO week containing `day` (a date, in the user's own calendar)."""
    return week_start(day)


def can_decide_period(*, actor: User, period: TimesheetPeriod) -> bool:
    """The user's manager or HR decide a week; nobody decides their own, not even HR."""
    if actor.pk == period.user_id:
        return False
    return bool(actor.is_hr) or period.user.manager_id == actor.pk


def period_submit_refusal(*, user: User, week_start: date, period: TimesheetPeriod | None) -> TimeTrackingError | None:
    """Why `period_submit` refuses the user's week starting `week_start` (its `period`, None for a
    week without a row: a draft), or None when it submits it: a week that has not started yet, one
    already submitted, or one approved (locked). The one statement of the rule, for the service and the page."""
    if week_start > timezone.localdate(timezone=user.tzinfo):
        return TimeTrackingError(gettext("This week has not started yet."), field="week", code="future_week")
    status = period.status if period is not None else TimesheetPeriod.Status.DRAFT
    if status == TimesheetPeriod.Status.SUBMITTED:
        return TimeTrackingConflict(gettext("This week is already submitted."), code="already_submitted")
    if status == TimesheetPeriod.Status.APPROVED:
        return PeriodLocked(gettext("This week is already approved and locked."))
    return None


@dataclass(frozen=True)
class PeriodState:
    """One user's week as `actor` sees it on the week page."""

    period: TimesheetPeriod | None  # None: no row yet, a draft
    locked: bool  # approved: no entry of the week can be written
    can_submit: bool  # `actor` is the owner and `period_submit` would accept the week now
    can_decide: bool  # `actor` may approve, reject or reopen it (see can_decide_period)


def period_state(*, actor: User, user: User, week_start: date) -> PeriodState:
    """The period of `user`'s week starting `week_start` (with who decided it) and what `actor` may do with it."""
    period = TimesheetPeriod.objects.filter(user=user, week_start=week_start).select_related("decided_by").first()
    refusal = period_submit_refusal(user=user, week_start=week_start, period=period)
    return PeriodState(
        period=period,
        locked=period is not None and period.is_locked,
        # Only the owner submits a week (period_submit takes no actor: the user is the actor).
        can_submit=actor.pk == user.pk and refusal is None,
        can_decide=period is not None and can_decide_period(actor=actor, period=period),
    )


def _lock_period(period: TimesheetPeriod) -> TimesheetPeriod:
    # Lock the owner's row first (as every entry write does), then the period's: an approval and
    # an entry write in that week serialise, and two approvers at once serialise too; the second
    # then sees the first's decision and gets 409 instead of deciding again.
    _lock_user(period.user)
    locked: TimesheetPeriod = TimesheetPeriod.objects.select_for_update().select_related("user").get(pk=period.pk)
    return locked


def _period_event(action: str, *, actor: User, period: TimesheetPeriod, old_status: str, **changes: str) -> None:
    audit_record(
        actor=actor,
        action=f"period.{action}",
        obj=period,
        changes={
            "status": [old_status, period.status],
            "week_start": [None, period.week_start.isoformat()],
            **{name: [None, value] for name, value in changes.items()},
        },
    )


def _clean_text(value: str | None, *, field: str, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise TimeTrackingError(gettext("Give a reason."), field=field, code="required")
    if len(value) > PERIOD_TEXT_MAX_LENGTH:
        raise TimeTrackingError(
            gettext("At most {PERIOD_TEXT_MAX_LENGTH} characters.").format(
                PERIOD_TEXT_MAX_LENGTH=PERIOD_TEXT_MAX_LENGTH
            ),
            field=field,
        )
    return value


@transaction.atomic
def period_submit(*, user: User, day: date) -> TimesheetPeriod:
    """Submit the user's ISO week containing `day` for approval. Only its owner submits it;
    a week that has not started yet cannot be submitted (period_submit_refusal)."""
    week_start = period_week_start(user=user, day=day)
    # A future week is refused before any lock or row: its period does not matter.
    if (refusal := period_submit_refusal(user=user, week_start=week_start, period=None)) is not None:
        raise refusal
    _lock_user(user)
    period: TimesheetPeriod
    period, _ = TimesheetPeriod.objects.select_for_update().get_or_create(user=user, week_start=week_start)
    # Under the lock: the status the caller saw may have changed since (a second tab, a decision).
    if (refusal := period_submit_refusal(user=user, week_start=week_start, period=period)) is not None:
        raise refusal
    old_status = period.status
    period.status = TimesheetPeriod.Status.SUBMITTED
    period.submitted_at = timezone.now()
    period.save(update_fields=["status", "submitted_at", "updated_at"])
    _period_event("submitted", actor=user, period=period, old_status=old_status)
    period_notifications.notify_week_submitted(period)
    return period


def _decide(*, actor: User, period: TimesheetPeriod, expected: str, verb: str) -> TimesheetPeriod:
    period = _lock_period(period)
    if not can_decide_period(actor=actor, period=period):
        if actor.pk == period.user_id:
            raise PeriodNotAllowed(
                gettext("You cannot {verb} your own week; your manager or HR does.").format(verb=verb)
            )
        raise PeriodNotAllowed(
            gettext("Only {user}'s manager or HR can {verb} this week.").format(user=period.user, verb=verb)
        )
    if period.status != expected:
        raise TimeTrackingConflict(
            gettext("This week is {lower}; it cannot be {verb}d now.").format(
                lower=period.get_status_display().lower(), verb=verb
            ),
            code="already_decided",
        )
    return period


@transaction.atomic
def period_approve(*, actor: User, period: TimesheetPeriod) -> TimesheetPeriod:
    """Approve a submitted week: it is locked for everyone until reopened."""
    period = _decide(actor=actor, period=period, expected=TimesheetPeriod.Status.SUBMITTED, verb="approve")
    week_start, week_end = local_day_bounds(period.week_start, period.week_end, period.user.tzinfo)
    if TimeEntry.objects.for_user(period.user).running().filter(started_at__lt=week_end).exists():
        raise TimeTrackingConflict(
            gettext("A timer started in this week is still running; it must be stopped first."), code="timer_running"
        )
    old_status = period.status
    period.status = TimesheetPeriod.Status.APPROVED
    period.decided_by, period.decided_at = actor, timezone.now()
    period.note = ""
    period.save(update_fields=["status", "decided_by", "decided_at", "note", "updated_at"])
    _period_event("approved", actor=actor, period=period, old_status=old_status)
    period_notifications.notify_week_decided(period, actor=actor)
    outbox_publish(
        event_type="period.locked",
        payload={
            "id": period.pk,
            "user": period.user_id,
            "week_start": period.week_start,
            "week_end": period.week_end,
            "starts_at": week_start,
            "ends_at": week_end,
            "approved_by": actor.pk,
            "approved_at": period.decided_at,
        },
    )
    return period


def _send_back(
    *,
    actor: User,
    period: TimesheetPeriod,
    field: str,
    attribute: str,
    text: str | None,
    expected: str,
    to_status: str,
    verb: str,
    event: str,
) -> TimesheetPeriod:
    """Reject and reopen share one shape: a required text (`field` in the request, stored as
    `attribute`), a decision on a week in `expected` status, the week set to `to_status`, audited."""
    text = _clean_text(text, field=field, required=True)
    period = _decide(actor=actor, period=period, expected=expected, verb=verb)
    old_status = period.status
    period.status = to_status
    period.decided_by, period.decided_at = actor, timezone.now()
    setattr(period, attribute, text)
    period.save(update_fields=["status", "decided_by", "decided_at", attribute, "updated_at"])
    _period_event(event, actor=actor, period=period, old_status=old_status, **{field: text})
    period_notifications.notify_week_decided(period, actor=actor, text=text)
    return period


@transaction.atomic
def period_reject(*, actor: User, period: TimesheetPeriod, note: str | None) -> TimesheetPeriod:
    """Send a submitted week back to its owner (draft again) with a note saying what to fix."""
    return _send_back(
        actor=actor, period=period, field="note", attribute="note", text=note,
        expected=TimesheetPeriod.Status.SUBMITTED, to_status=TimesheetPeriod.Status.DRAFT, verb="reject",
        event="rejected",
    )  # fmt: skip


@transaction.atomic
def period_reopen(*, actor: User, period: TimesheetPeriod, reason: str | None) -> TimesheetPeriod:
    """Unlock an approved week (the manager or HR, with a reason); its owner can then change and resubmit it."""
    return _send_back(
        actor=actor, period=period, field="reason", attribute="reopen_reason", text=reason,
        expected=TimesheetPeriod.Status.APPROVED, to_status=TimesheetPeriod.Status.REOPENED, verb="reopen",
        event="reopened",
    )  # fmt: skip
