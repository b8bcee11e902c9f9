"""The week timesheet's writes: copy last week's rows, remove a row."""

from datetime import date, timedelta

from django.db import transaction

from accounts.models import User
from timetracking.models import (
    Project,
    Task,
    TimeEntry,
    TimesheetRow,
    local_day_bounds,
)

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
