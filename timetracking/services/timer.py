"""The running timer: start (or switch), stop, correct it while it runs."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from timetracking import compliance
from timetracking.models import (
    Project,
    Tag,
    Task,
    TimeEntry,
)
from timetracking.services.checks import (
    _announce,
    _check_overlap,
    _check_project_and_task,
    _check_times,
    _check_unlocked,
    _clean_description,
    _compliance_review,
    _lock_user,
    _save,
    _snapshot,
    _utc,
)
from timetracking.services.common import TimeTrackingConflict, TimeTrackingError, max_entry_duration
from timetracking.services.entries import entry_delete, entry_update
from timetracking.services.inputs import tags_resolve

# --- Timer ----------------------------------------------------------------------------------


class TimerTooShort(TimeTrackingConflict):
    """Stopped sooner than TIMER_MIN_SECONDS, and the caller asked to be told (409 `timer_too_short`):
    a page then asks whether to keep the entry or discard it."""

    default_code = "timer_too_short"

    def __init__(self, seconds: int) -> None:
        super().__init__(
            f"This timer ran for {seconds} second{'s' if seconds != 1 else ''} only. Keep it, or discard it?"
        )
        self.seconds = seconds


def timer_current(*, user: User) -> TimeEntry | None:
    return TimeEntry.objects.for_user(user).running().with_details().first()


@transaction.atomic
def timer_start(
    *,
    user: User,
    project: Project | None = None,
    task: Task | None = None,
    tags: Iterable[Tag | int | str] | None = (),
    description: str | None = "",
    billable: bool | None = None,
    started_at: datetime | None = None,
    switch: bool = False,
) -> TimeEntry:
    """Start the user's timer. If one runs: 409 `timer_running`, unless `switch`, which stops it
    at the same instant the new one starts."""
    now = timezone.now()
    started_at = _utc(started_at) or now
    if started_at > now:
        raise TimeTrackingError(gettext("A timer cannot start in the future."), field="started_at")
    description = _clean_description(description)
    project, task = _check_project_and_task(user=user, project=project, task=task)
    tag_list = tags_resolve(refs=tags)
    _lock_user(user)
    _check_unlocked(user, (started_at, None))
    running = TimeEntry.objects.for_user(user).running().select_related("project", "task").first()
    warnings: list[compliance.Violation] = []
    if running is not None:
        if not switch:
            raise TimeTrackingConflict(
                gettext("A timer is already running. Stop it first, or switch to the new one."), code="timer_running"
            )
        _check_times(running.started_at, started_at)
        _check_unlocked(user, (running.started_at, started_at))
        _stop(running, ended_at=started_at, actor=user)
        warnings = _compliance_review(user=user, changed=[(running.started_at, started_at)], exclude_ids=[running.pk])
    _check_overlap(user=user, started_at=started_at, ended_at=None)
    entry = TimeEntry(
        user=user,
        project=project,
        task=task,
        description=description,
        started_at=started_at,
        ended_at=None,
        billable=project.billable if billable is None and project else bool(billable),
        source=TimeEntry.Source.TIMER,
    )
    _save(entry, tag_list)
    _announce("time_entry.created", entry=entry, actor=user, after=_snapshot(entry, [tag.name for tag in tag_list]))
    entry.compliance_warnings = warnings  # from stopping the previous timer, if any
    return entry


def _stop(running: TimeEntry, *, ended_at: datetime, actor: User) -> TimeEntry:
    tags = sorted(running.tags.all(), key=lambda tag: (tag.name, tag.pk))
    tag_names = [tag.name for tag in tags]
    before = _snapshot(running, tag_names)
    running.ended_at = ended_at
    _save(running)
    running.saved_tags = tags
    _announce("time_entry.updated", entry=running, actor=actor, before=before, after=_snapshot(running, tag_names))
    return running


@transaction.atomic
def timer_stop(*, user: User, ended_at: datetime | None = None, keep_short: bool = True) -> TimeEntry:
    """Stop the running timer now (or at `ended_at`, e.g. when it was forgotten). 409 if none runs.

    With `keep_short=False`, a timer that ran less than TIMER_MIN_SECONDS is not stopped: 409
    `timer_too_short`, so the caller can ask the person to keep it (`keep_short=True`) or discard it
    (`timer_discard`). A mis-click on Start and Stop then leaves no 0:00 entry behind."""
    now = timezone.now()
    ended_at = _utc(ended_at) or now
    if ended_at > now:
        raise TimeTrackingError(gettext("A timer cannot stop in the future."), field="ended_at")
    _lock_user(user)
    running = TimeEntry.objects.for_user(user).running().select_related("project", "task").first()
    if running is None:
        raise TimeTrackingConflict(gettext("No timer is running."), code="no_timer")
    if ended_at - running.started_at > max_entry_duration():
        raise TimeTrackingError(
            gettext(
                "This timer has run for more than {TIME_ENTRY_MAX_HOURS} hours: give the time you actually "
                "stopped (edit it on the timesheet, or send ended_at)."
            ).format(TIME_ENTRY_MAX_HOURS=settings.TIME_ENTRY_MAX_HOURS),
            field="ended_at",
            code="too_long",
        )
    ran = int((ended_at - running.started_at).total_seconds())
    if not keep_short and ran < settings.TIMER_MIN_SECONDS:
        raise TimerTooShort(max(ran, 0))
    _check_times(running.started_at, ended_at)
    _check_unlocked(user, (running.started_at, ended_at))
    entry = _stop(running, ended_at=ended_at, actor=user)
    entry.compliance_warnings = _compliance_review(
        user=user, changed=[(entry.started_at, ended_at)], exclude_ids=[entry.pk]
    )
    return entry


@transaction.atomic
def timer_update(*, user: User, **changes: Any) -> TimeEntry:
    """Edit the running timer (project, task, tags, description, billable, start)."""
    if "ended_at" in changes or "duration" in changes:
        raise TimeTrackingError(gettext("Stop the timer to give it an end."), field="ended_at")
    _lock_user(user)
    running = TimeEntry.objects.for_user(user).running().select_related("project", "task").first()
    if running is None:
        raise TimeTrackingConflict(gettext("No timer is running."), code="no_timer")
    return entry_update(entry=running, **changes)


@transaction.atomic
def timer_discard(*, user: User) -> None:
    """Throw the running timer away (a mis-click, a timer started by mistake): deleted as any entry
    is, audited and announced. 409 `no_timer` if none runs."""
    _lock_user(user)
    running = TimeEntry.objects.for_user(user).running().first()
    if running is None:
        raise TimeTrackingConflict(gettext("No timer is running."), code="no_timer")
    entry_delete(entry=running, actor=user)


def timer_continue(*, user: User, entry: TimeEntry) -> TimeEntry:
    """Start a timer now on what `entry` was (project, task, description, tags, billable), stopping
    the running one if any: the ▶ of recent entries. Only the user's own entries continue."""
    if entry.user_id != user.pk:
        raise TimeTrackingError(gettext("There is no such entry."), field="entry", code="not_found")
    return timer_start(
        user=user,
        project=entry.project,
        task=entry.task,
        tags=list(entry.tags.all()),
        description=entry.description,
        billable=entry.billable,
        switch=True,
    )


@transaction.atomic
def timer_end_for_leaver(*, user: User, **_signal: Any) -> dict[str, int]:
    """A deactivated user's running timer stops (receiver of accounts.signals.user_deactivated):
    now, or at the longest an entry may last. Where it cannot become an entry (its week is closed),
    it is discarded. Returns what was done, for the audit trail."""
    running = TimeEntry.objects.for_user(user).running().first()
    if running is None:
        return {}
    ended_at = min(timezone.now(), running.started_at + max_entry_duration())
    try:
        timer_stop(user=user, ended_at=ended_at)
    except TimeTrackingError:
        try:
            timer_discard(user=user)
        except TimeTrackingError:  # its week was closed after it started: HR settles it by hand
            return {"timer_left_running": 1}
        return {"timer_discarded": 1}
    return {"timer_stopped": 1}
