"""The week timesheet's writes: set a grid cell to a duration, copy last week (rows, or rows with
their hours), pin or remove a row, and undo a deletion. Every entry is written through the
entries' services, so overlap, locked weeks, compliance, audit and webhooks apply to the grid too."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from core.days import FIRST_DAY, LAST_DAY
from timetracking import compliance
from timetracking.models import (
    Project,
    Task,
    TimeEntry,
    TimesheetRow,
    local_day_bounds,
)
from timetracking.services.checks import _check_project_and_task, _check_unlocked, _lock_user
from timetracking.services.common import TimeTrackingConflict, TimeTrackingError
from timetracking.services.entries import entry_create, entry_delete, entry_update
from timetracking.services.inputs import parse_duration

# Where a new cell's entry starts when the day has none yet: a common start of a working day.
CELL_DAY_START = time(9, 0)
# How long a deletion can be undone (the page offers it for ~10 s; a slow network gets some slack).
UNDO_SECONDS = 120
_UNDO_SALT = "timetracking.entry-undo"
# What typed into a cell means "nothing here".
_EMPTY = {"", "0", "0:00", "00:00", "0m", "0h"}

# --- Timesheet ------------------------------------------------------------------------------


@transaction.atomic
def timesheet_copy_previous_week(*, user: User, week_start: date) -> int:
    """Pin last week's projects/tasks (from its entries and rows) to the week starting `week_start`.

    Archived projects/tasks and projects the user may no longer log to are left out.
    Returns the number of rows added (rows already pinned are kept, not duplicated).
    """
    previous = week_start - timedelta(days=7)
    start, end = local_day_bounds(previous, previous + timedelta(days=6), user.tzinfo)
    pairs = set(
        TimeEntry.objects.for_user(user)
        .in_range(start, end)
        .filter(project__isnull=False)
        .values_list("project_id", "task_id")
    )
    pairs |= set(TimesheetRow.objects.filter(user=user, week_start=previous).values_list("project_id", "task_id"))
    loggable = set(Project.objects.loggable_by(user).filter(pk__in={p for p, _ in pairs}).values_list("pk", flat=True))
    active_tasks = set(Task.objects.filter(pk__in={t for _, t in pairs if t}, active=True).values_list("pk", flat=True))
    existing = set(TimesheetRow.objects.filter(user=user, week_start=week_start).values_list("project_id", "task_id"))
    new_rows = [
        TimesheetRow(user=user, week_start=week_start, project_id=project_id, task_id=task_id)
        for project_id, task_id in sorted(pairs, key=lambda pair: (pair[0], pair[1] or 0))
        if project_id in loggable
        and (task_id is None or task_id in active_tasks)
        and (project_id, task_id) not in existing
    ]
    TimesheetRow.objects.bulk_create(new_rows, ignore_conflicts=True)
    return len(new_rows)


@transaction.atomic
def timesheet_row_remove(*, user: User, week_start: date, project_id: int, task_id: int | None = None) -> int:
    """Unpin a project/task row from the user's week. Its entries, if any, stay (and keep the row shown)."""
    # task_id=None is an IS NULL lookup: the stubs type a nullable foreign key's id lookup without None.
    deleted, _ = TimesheetRow.objects.filter(  # type: ignore[misc]
        user=user, week_start=week_start, project_id=project_id, task_id=task_id
    ).delete()
    return deleted


@dataclass
class CellChange:
    """What setting a cell did: `action` is created, updated, deleted or unchanged; `undo` is the
    token that restores a deleted entry (entry_undo_token)."""

    action: str
    entry: TimeEntry | None = None
    undo: str | None = None
    warnings: list[compliance.Violation] = field(default_factory=list)


def _check_day(day: date) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise TimeTrackingError(gettext("Choose a day between 1900 and 2999."), field="day")


@transaction.atomic
def timesheet_cell_set(
    *, user: User, actor: User, day: date, project: Project | None, task: Task | None, value: str
) -> CellChange:
    """Make the user's time on `project`/`task` on the local `day` what `value` says ("1:30",
    "1.5h", "90m", ...; empty or 0 clears it).

    - No entry in the cell: a new one. It starts where the day's last entry ends (or at 09:00 when
      the day has none): a grid records amounts, not times, and putting it after the day's work
      keeps it from overlapping the entries already there.
    - One entry: its duration changes and its start stays; cleared, it is deleted (undoable).
    - Several entries, or a running timer: refused (409). Which one should change is a person's
      choice; the page opens them instead.
    """
    _check_day(day)
    if task is not None and project is None:
        project = task.project
    text = " ".join(str(value or "").split()).lower()
    duration = None if text in _EMPTY else parse_duration(text)
    _lock_user(user)
    cell = TimeEntry.objects.for_user(user).on_local_days(day, day, user.tzinfo).filter(project=project, task=task)
    entries = list(cell.select_related("user", "project", "task").order_by("started_at"))
    if any(entry.ended_at is None for entry in entries):
        raise TimeTrackingConflict(gettext("A timer is running in this cell: stop it first."), code="timer_running")
    if len(entries) > 1:
        raise TimeTrackingConflict(
            gettext("This cell holds several entries: change them one by one."), field="value", code="several_entries"
        )
    if not entries:
        if duration is None:
            return CellChange("unchanged")
        project, task = _check_project_and_task(user=user, project=project, task=task)
        start, end = local_day_bounds(day, day, user.tzinfo)
        last_end = (
            TimeEntry.objects.for_user(user).finished().in_range(start, end).order_by("-ended_at")
            .values_list("ended_at", flat=True).first()
        )  # fmt: skip
        started_at = last_end or datetime.combine(day, CELL_DAY_START, tzinfo=user.tzinfo)
        entry = entry_create(
            user=user, actor=actor, started_at=started_at, duration=duration, project=project, task=task
        )
        return CellChange("created", entry=entry, warnings=list(getattr(entry, "compliance_warnings", [])))
    (entry,) = entries
    if duration is None:
        token = entry_undo_token(entry)
        entry_delete(entry=entry, actor=actor)
        return CellChange("deleted", undo=token)
    if entry.ended_at is not None and entry.ended_at - entry.started_at == duration:
        return CellChange("unchanged", entry=entry)
    entry = entry_update(entry=entry, actor=actor, duration=duration)
    return CellChange("updated", entry=entry, warnings=list(getattr(entry, "compliance_warnings", [])))


@transaction.atomic
def timesheet_row_add(*, user: User, week_start: date, project: Project, task: Task | None = None) -> TimesheetRow:
    """Pin a project/task row to the user's week (the grid's "Add a row"), if they may log to it."""
    _check_day(week_start)
    checked, task = _check_project_and_task(user=user, project=project, task=task)
    row, _created = TimesheetRow.objects.get_or_create(
        user=user, week_start=week_start, project=checked or project, task=task
    )
    return row


@transaction.atomic
def timesheet_copy_previous_week_hours(*, user: User, actor: User, week_start: date) -> tuple[int, int]:
    """Copy each of last week's finished entries to the same weekday and local times of the week
    starting `week_start` (rows are pinned too). Entries that would overlap one already there, or
    that a rule refuses (an archived project, ...), are skipped. Returns (copied, skipped).
    A locked week copies nothing (409 `period_locked`)."""
    _check_day(week_start)
    start, end = local_day_bounds(week_start, week_start + timedelta(days=6), user.tzinfo)
    _check_unlocked(user, (start, end))
    timesheet_copy_previous_week(user=user, week_start=week_start)
    previous_start, previous_end = local_day_bounds(
        week_start - timedelta(days=7), week_start - timedelta(days=1), user.tzinfo
    )
    copied = skipped = 0
    for entry in (
        TimeEntry.objects.for_user(user).finished().in_range(previous_start, previous_end)
        .select_related("project", "task").prefetch_related("tags").order_by("started_at")
    ):  # fmt: skip
        # The same wall-clock times a week later (not + 168 h: a clock change lies between).
        local_start = timezone.localtime(entry.started_at, user.tzinfo).replace(tzinfo=None) + timedelta(days=7)
        local_end = timezone.localtime(entry.ended_at, user.tzinfo).replace(tzinfo=None) + timedelta(days=7)
        try:
            with transaction.atomic():
                entry_create(
                    user=user,
                    actor=actor,
                    started_at=timezone.make_aware(local_start, user.tzinfo),
                    ended_at=timezone.make_aware(local_end, user.tzinfo),
                    project=entry.project,
                    task=entry.task,
                    tags=list(entry.tags.all()),
                    description=entry.description,
                    billable=entry.billable,
                )
        except TimeTrackingError:
            skipped += 1
        else:
            copied += 1
    return copied, skipped


def entry_undo_token(entry: TimeEntry) -> str:
    """A signed, expiring note of what the entry is, so that its deletion can be undone."""
    payload: dict[str, Any] = {
        "user": entry.user_id,
        "started_at": entry.started_at.isoformat(),
        "ended_at": entry.ended_at.isoformat() if entry.ended_at else None,
        "project": entry.project_id,
        "task": entry.task_id,
        "tags": sorted(tag.name for tag in entry.tags.all()),
        "description": entry.description,
        "billable": entry.billable,
        "source": entry.source,
    }
    return signing.dumps(payload, salt=_UNDO_SALT, compress=True)


@transaction.atomic
def entry_restore(*, user: User, token: str) -> TimeEntry:
    """Undo a deletion: the entry again, as it was, if the token is `user`'s and fresh, and the
    rules still allow it (nothing overlaps it since, its week is not locked, ...)."""
    try:
        payload = signing.loads(token, salt=_UNDO_SALT, max_age=UNDO_SECONDS)
    except signing.SignatureExpired:
        raise TimeTrackingError(gettext("This can no longer be undone."), field="undo", code="expired") from None
    except signing.BadSignature:
        raise TimeTrackingError(gettext("This cannot be undone."), field="undo", code="invalid") from None
    if payload.get("user") != user.pk:
        raise TimeTrackingError(gettext("This cannot be undone."), field="undo", code="invalid")
    project = Project.objects.filter(pk=payload["project"]).first() if payload["project"] else None
    task = Task.objects.filter(pk=payload["task"]).first() if payload["task"] else None
    return entry_create(
        user=user,
        actor=user,
        started_at=datetime.fromisoformat(payload["started_at"]),
        ended_at=datetime.fromisoformat(payload["ended_at"]) if payload["ended_at"] else None,
        project=project,
        task=task,
        tags=payload["tags"],
        description=payload["description"],
        billable=payload["billable"],
        source=payload["source"],
    )
