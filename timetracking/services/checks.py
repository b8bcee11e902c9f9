"""The checks every entry write shares (owner, times, project/task, overlap, locked weeks,
working-time compliance), saving with the database constraints mapped to domain errors, and the audit
trail and webhook event of each write."""

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast, overload

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.services import audit_changes, audit_record
from core.days import week_start
from timetracking import compliance
from timetracking.models import (
    END_AFTER_START_CONSTRAINT,
    NO_OVERLAP_CONSTRAINT,
    RUNNING_TIMER_CONSTRAINT,
    Project,
    Tag,
    Task,
    TimeEntry,
    TimesheetPeriod,
)
from timetracking.services.common import (
    DESCRIPTION_MAX_LENGTH,
    ComplianceBlocked,
    PeriodLocked,
    TimeTrackingConflict,
    TimeTrackingError,
    max_entry_duration,
)
from timetracking.services.inputs import parse_duration
from webhooks.services import outbox_publish

# An entry's (started_at, ended_at): ended_at is None while its timer runs.
OpenInterval = tuple[datetime, datetime | None]

# --- Checks shared by every entry write ------------------------------------------------------


def _lock_user(user: User) -> None:
    # Serialise the writes on one user's entries. Two requests at once (a double click, two
    # tabs, a frontend retry) would otherwise both pass the running-timer and overlap checks
    # and both insert. With the user's row locked, the second waits for the first to commit and
    # its checks then see the first's entry. (SQLite's IMMEDIATE transactions serialise anyway;
    # on PostgreSQL the constraints are the last line of defence, see _integrity_error.)
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()


def _check_owner(*, actor: User | None, user: User) -> None:
    if actor is not None and actor.pk != user.pk and not actor.is_hr:
        raise TimeTrackingError(gettext("You can only log your own time."), field="user", code="not_allowed")
    if not user.is_active:
        raise TimeTrackingError(gettext("This user is deactivated."), field="user")


def _check_times(started_at: datetime | None, ended_at: datetime | None) -> None:
    if started_at is None:
        raise TimeTrackingError(gettext("Give a start time."), field="started_at", code="required")
    if ended_at is None:
        return
    if ended_at <= started_at:
        raise TimeTrackingError(gettext("The end must be after the start."), field="ended_at", code="end_before_start")
    if ended_at - started_at > max_entry_duration():
        raise TimeTrackingError(
            gettext("An entry can last at most {TIME_ENTRY_MAX_HOURS} hours.").format(
                TIME_ENTRY_MAX_HOURS=settings.TIME_ENTRY_MAX_HOURS
            ),
            field="ended_at",
            code="too_long",
        )


def _check_project_and_task(
    *, user: User, project: Project | None, task: Task | None
) -> tuple[Project | None, Task | None]:
    """Return (project, task) after the rules: a task implies its project, both active, membership."""
    if task is not None:
        if project is None:
            project = task.project
        if task.project_id != project.pk:
            raise TimeTrackingError(gettext("This task belongs to another project."), field="task", code="foreign_task")
    if project is not None:
        if not project.active:
            raise TimeTrackingError(gettext("This project is archived."), field="project", code="archived")
        if not Project.objects.loggable_by(user).filter(pk=project.pk).exists():
            raise TimeTrackingError(
                gettext("You are not a member of this project."), field="project", code="not_member"
            )
    if task is not None and not task.active:
        raise TimeTrackingError(gettext("This task is archived."), field="task", code="archived")
    return project, task


def _check_overlap(
    *, user: User, started_at: datetime, ended_at: datetime | None, exclude: TimeEntry | None = None
) -> None:
    clash = _first_clash(user=user, started_at=started_at, ended_at=ended_at, exclude=exclude)
    if clash is not None:
        raise _overlap_error(user, clash)


def _first_clash(
    *, user: User, started_at: datetime, ended_at: datetime | None, exclude: TimeEntry | None = None
) -> TimeEntry | None:
    clashes = TimeEntry.objects.for_user(user).overlapping(started_at, ended_at)
    if exclude is not None:
        clashes = clashes.exclude(pk=exclude.pk)
    return clashes.order_by("started_at").first()


def _overlap_error(user: User, clash: TimeEntry) -> TimeTrackingConflict:
    local = user.tzinfo
    if clash.ended_at is None:
        message = f"This overlaps your running timer (since {timezone.localtime(clash.started_at, local):%H:%M})."
    else:
        message = (
            f"This overlaps your entry of {timezone.localtime(clash.started_at, local):%Y-%m-%d %H:%M}"
            f"–{timezone.localtime(clash.ended_at, local):%H:%M}."
        )
    return TimeTrackingConflict(message, code="overlap")


def _mondays(user: User, intervals: Iterable[OpenInterval]) -> set[date]:
    """The Mondays (user's local ISO weeks) that the intervals [(start, end or None), ...] touch."""
    tzinfo = user.tzinfo
    mondays: set[date] = set()
    for started_at, ended_at in intervals:
        # An end is exclusive: an entry ending at Monday 00:00 does not touch that week.
        for moment in (started_at, ended_at - timedelta(microseconds=1) if ended_at else None):
            if moment is not None:
                day = timezone.localtime(moment, tzinfo).date()
                mondays.add(week_start(day))
    return mondays


def _check_unlocked(user: User, *intervals: OpenInterval) -> None:
    """Refuse (409 `period_locked`) any entry write touching an approved week, whoever writes.

    Every entry write (create, update, delete, bulk, timer start/stop/switch) calls this after
    `_lock_user`: `period_approve` takes the same lock, so a write and an approval never interleave.
    """
    locked = (
        TimesheetPeriod.objects.filter(user=user, week_start__in=_mondays(user, intervals))
        .locked()
        .order_by("week_start")
        .first()
    )
    if locked is not None:
        raise PeriodLocked(
            gettext(
                "The week of {week_start:%d %b %Y} is approved and locked; it must be reopened by a "
                "manager or HR before its entries can change."
            ).format(week_start=locked.week_start)
        )


def _compliance_review(
    *,
    user: User,
    changed: Iterable[tuple[datetime | None, datetime | None]],
    exclude_ids: Iterable[int] = (),
    restore: Iterable[OpenInterval] = (),
) -> list[compliance.Violation]:
    """The working-time violations this write creates (or changes) on the days it touches.

    `changed`: the intervals written; `exclude_ids` + `restore`: how to rebuild the state before the
    write (the new/changed entries left out, the old intervals put back). In block mode a new
    violation refuses the write: the exception rolls the transaction back.
    """
    finished = [(start, end) for start, end in changed if start is not None and end is not None]
    if not finished:
        return []
    tzinfo = user.tzinfo
    days = [timezone.localtime(moment, tzinfo).date() for interval in finished for moment in interval]
    first_day, last_day = min(days), max(days)
    start, end = compliance.fetch_window(first_day, last_day)
    rows = list(TimeEntry.objects.for_user(user).intervals(start, end))
    excluded = set(exclude_ids)
    after = [(started_at, ended_at) for _, _, started_at, ended_at in rows]
    before = [(started_at, ended_at) for _, pk, started_at, ended_at in rows if pk not in excluded]
    before += [(old_start, old_end) for old_start, old_end in restore if old_end is not None]

    def assess(intervals: list[compliance.Interval]) -> list[compliance.Violation]:
        return compliance.evaluate(intervals, user_id=user.pk, tzinfo=tzinfo, first_day=first_day, last_day=last_day)

    found = assess(after)
    if not found:  # the usual case: nothing to compare with the state before
        return []
    known = {(violation.key, violation.actual) for violation in assess(before)}
    new = [violation for violation in found if (violation.key, violation.actual) not in known]
    if new and settings.WORKING_TIME_BLOCK_ON_VIOLATION:
        raise ComplianceBlocked(new)
    return new


def _integrity_error(error: IntegrityError) -> TimeTrackingError | None:
    """Map a constraint violation (a race past the checks above) to the domain error it means."""
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) or ""
    text = f"{constraint} {error}"
    if NO_OVERLAP_CONSTRAINT in text:
        return TimeTrackingConflict(gettext("This overlaps another of your entries."), code="overlap")
    # SQLite names the column, not the partial unique index.
    if RUNNING_TIMER_CONSTRAINT in text or "timetracking_timeentry.user_id" in text:
        return TimeTrackingConflict(gettext("A timer is already running."), code="timer_running")
    if END_AFTER_START_CONSTRAINT in text:
        return TimeTrackingError(gettext("The end must be after the start."), field="ended_at", code="end_before_start")
    return None


def _save(entry: TimeEntry, tags: list[Tag] | None = None) -> TimeEntry:
    """Save the entry and, when given, its tags. The saved tags are kept on `entry.saved_tags`
    (sorted by name, as the API lists them) so that the answer needs no re-read."""
    adding = entry._state.adding
    try:
        with transaction.atomic():  # a savepoint: a violation leaves the outer transaction usable
            entry.save()
            if tags is not None and adding:
                # A new entry has no tags to compare with: one INSERT, not set()'s SELECT first.
                through = TimeEntry.tags.through
                through.objects.bulk_create([through(timeentry_id=entry.pk, tag_id=tag.pk) for tag in tags])
            elif tags is not None:
                entry.tags.set(tags)
    except IntegrityError as error:
        mapped = _integrity_error(error)
        if mapped is None:
            raise
        if mapped.code == "overlap":  # rolled back to the savepoint: name the entry it overlaps
            clash = _first_clash(
                user=entry.user,
                started_at=entry.started_at,
                ended_at=entry.ended_at,
                exclude=None if entry._state.adding else entry,
            )
            if clash is not None:
                mapped = _overlap_error(entry.user, clash)
        raise mapped from error
    if tags is not None:
        entry.saved_tags = sorted(tags, key=lambda tag: (tag.name, tag.pk))
    return entry


def _clean_description(description: str | None) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise TimeTrackingError(
            gettext("A description has at most {DESCRIPTION_MAX_LENGTH} characters.").format(
                DESCRIPTION_MAX_LENGTH=DESCRIPTION_MAX_LENGTH
            ),
            field="description",
        )
    return description


@overload
def _utc(moment: datetime) -> datetime: ...
@overload
def _utc(moment: None) -> None: ...
@overload
def _utc(moment: datetime | None) -> datetime | None: ...
def _utc(moment: datetime | None) -> datetime | None:
    # Arithmetic on aware datetimes in a local zone is wall-clock arithmetic (01:30 + 2 h across a
    # DST change is not 2 real hours); in UTC it is real elapsed time.
    if moment is None:
        return None
    if timezone.is_naive(moment):
        raise TimeTrackingError(gettext("A time needs a time zone."), field="started_at")
    return moment.astimezone(UTC)


def _resolve_times(
    *, started_at: datetime | None, ended_at: datetime | None, duration: timedelta | str | None, now: datetime
) -> tuple[datetime, datetime]:
    """Start + end, start + duration, end + duration, or a duration alone that ends now."""
    started_at, ended_at = _utc(started_at), _utc(ended_at)
    if duration in (None, ""):
        if started_at is None:
            raise TimeTrackingError(
                gettext("Give a start and an end, a start and a duration, or a duration."),
                field="started_at",
                code="required",
            )
        if ended_at is None:
            raise TimeTrackingError(gettext("Give an end time or a duration."), field="ended_at", code="required")
        return started_at, ended_at
    duration = parse_duration(duration)
    if started_at is not None and ended_at is not None:
        raise TimeTrackingError(gettext("Give an end or a duration, not both."), field="duration")
    if started_at is not None:
        return started_at, started_at + duration
    end = ended_at if ended_at is not None else now
    return end - duration, end


# --- Checks of the apps above -----------------------------------------------------------------
# An app above time tracking (billing's budgets) checks every entry write without time tracking
# knowing it: its AppConfig.ready() registers a callable here. Each is called inside the write's
# transaction, after the entry is saved, as check(entry=..., before=..., after=...) with the
# snapshots of `_snapshot` (before: None for a creation; after: None for a deletion); raising a
# domain error refuses the write (the transaction rolls back).
EntryWriteCheck = Callable[..., None]
ENTRY_WRITE_CHECKS: list[EntryWriteCheck] = []


def register_entry_write_check(check: EntryWriteCheck) -> None:
    if check not in ENTRY_WRITE_CHECKS:
        ENTRY_WRITE_CHECKS.append(check)


# --- Audit trail and webhooks ------------------------------------------------------------------

SNAPSHOT_ATTRIBUTES = {
    "user": "user_id",
    "project": "project_id",
    "task": "task_id",
    "description": "description",
    "started_at": "started_at",
    "ended_at": "ended_at",
    "billable": "billable",
    "source": "source",
}


def _snapshot(entry: TimeEntry, tag_names: Iterable[str]) -> dict[str, Any]:
    """The entry's fields as plain values, for the audit diff and the webhook payload."""
    snapshot = {field: getattr(entry, attribute) for field, attribute in SNAPSHOT_ATTRIBUTES.items()}
    snapshot["tags"] = sorted(tag_names)
    return snapshot


def _announce(
    event_type: str,
    *,
    entry: TimeEntry,
    actor: User,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Audit the write and publish its webhook event, in the write's own transaction: a refused or
    rolled-back change leaves neither."""
    # Without `after` (a deletion) `before` is given: it holds the pk the deleted entry has lost.
    deleted = cast("dict[str, Any]", before)
    object_id = entry.pk if after is not None else deleted["id"]
    for check in ENTRY_WRITE_CHECKS:
        check(entry=entry, before=before, after=after)
    audit_record(
        actor=actor,
        action=event_type,
        object_type=TimeEntry._meta.label_lower,
        object_id=object_id,
        changes=audit_changes(
            {key: value for key, value in (before or {}).items() if key != "id"},
            after or {},
        ),
    )
    payload = {"id": object_id, **(after if after is not None else {"user": deleted["user"]})}
    if after is not None:
        payload["hours"] = entry.hours
    outbox_publish(event_type=event_type, payload=payload)
