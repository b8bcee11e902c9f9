"""The week timesheet's reads: pure computations over the entries and pinned rows the week page has
read (its queries are in views.week_context; the timesheet's writes are in services/timesheet.py).

The shapes are the template's (templates/timetracking/week.html): plain dicts and entries with
their local times attached.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from datetime import tzinfo as TimeZone
from typing import TypedDict

from django.utils import timezone

from accounts.models import User
from core.durations import seconds_from_hours
from timetracking.models import Project, Task, TimeEntry, TimesheetRow

RowKey = tuple[int | None, int | None]  # (project_id, task_id)


class DayRow(TypedDict):
    """One day of the week: its entries in start order and their total in seconds."""

    date: date
    entries: list[TimeEntry]
    total: int


class GridCell(TypedDict):
    """A project/task's day: its seconds and its entries (one is edited in the cell itself;
    several, or a running one, are opened as a list instead). `id` names the cell's input, and
    `error`/`value` carry a refused value back to it."""

    id: str
    day: date
    seconds: int
    entries: list[TimeEntry]
    running: bool
    error: str
    value: str


class GridRow(TypedDict):
    """One project/task of the grid: a cell per day, the week's total, and whether it is pinned
    (a TimesheetRow: shown, and removable when empty, even without entries)."""

    project: Project | None
    task: Task | None
    cells: list[GridCell]
    total: int
    pinned: bool


def week_days(monday: date) -> list[date]:
    """The seven days of the week starting `monday`."""
    return [monday + timedelta(days=offset) for offset in range(7)]


def localise(entries: Iterable[TimeEntry], tzinfo: TimeZone, now: datetime) -> None:
    """Give each entry what the page shows of it: `local_start`, `local_end` (None while running)
    in `tzinfo`, and `seconds` (a running entry's up to `now`)."""
    for entry in entries:
        # Attributes for the template only, not fields: the model does not declare them.
        entry.local_start = timezone.localtime(entry.started_at, tzinfo)
        entry.local_end = timezone.localtime(entry.ended_at, tzinfo) if entry.ended_at else None
        entry.seconds = int(((entry.ended_at or now) - entry.started_at).total_seconds())


def day_rows(entries: Iterable[TimeEntry], days: list[date]) -> list[DayRow]:
    """The `days` with their (localised) entries, each on the local day it starts."""
    by_day: dict[date, list[TimeEntry]] = defaultdict(list)
    for entry in entries:
        by_day[entry.local_start.date()].append(entry)
    return [
        {"date": day, "entries": by_day.get(day, []), "total": sum(e.seconds for e in by_day.get(day, []))}
        for day in days
    ]


def _row_order(labels: tuple[Project | None, Task | None]) -> tuple[bool, str, str]:
    # Projects by name (case-insensitive), then tasks by name; time without a project last.
    project, task = labels
    return (project is None, project.name.lower() if project else "", task.name.lower() if task else "")


def grid_rows(entries: Iterable[TimeEntry], pinned: Iterable[TimesheetRow], days: list[date]) -> list[GridRow]:
    """One row per project/task with (localised) entries in the week or pinned to it, in `_row_order`."""
    row_seconds: dict[RowKey, defaultdict[date, int]] = defaultdict(lambda: defaultdict(int))
    row_entries: dict[RowKey, defaultdict[date, list[TimeEntry]]] = defaultdict(lambda: defaultdict(list))
    row_labels: dict[RowKey, tuple[Project | None, Task | None]] = {}
    for entry in entries:
        key = (entry.project_id, entry.task_id)
        row_seconds[key][entry.local_start.date()] += entry.seconds
        row_entries[key][entry.local_start.date()].append(entry)
        row_labels[key] = (entry.project, entry.task)
    pinned_keys = set()
    for row in pinned:
        key = (row.project_id, row.task_id)
        pinned_keys.add(key)
        row_seconds.setdefault(key, defaultdict(int))
        row_labels[key] = (row.project, row.task)
    return [
        {
            "project": project,
            "task": task,
            "cells": [
                {
                    "id": cell_id(key, day),
                    "day": day,
                    "seconds": row_seconds[key].get(day, 0),
                    "entries": row_entries[key].get(day, []),
                    "running": any(entry.ended_at is None for entry in row_entries[key].get(day, [])),
                    "error": "",
                    "value": "",
                }
                for day in days
            ],
            "total": sum(row_seconds[key].values()),
            "pinned": key in pinned_keys,
        }
        for key, (project, task) in sorted(row_labels.items(), key=lambda item: _row_order(item[1]))
    ]


def cell_id(key: RowKey, day: date) -> str:
    """The HTML id of a grid cell's input: its project, task and day (stable across re-renders,
    so the focus can come back to it after an htmx swap)."""
    project_id, task_id = key
    return f"cell-{project_id or 0}-{task_id or 0}-{day:%Y%m%d}"


def expected_seconds_so_far(user: User, monday: date, today: date, *, worked_today: int = 0) -> int:
    """The contract's seconds of the ISO week from `monday` through `today` (the user's local day):
    the weekly hours spread evenly over the user's working weekdays, every working day before today
    in full, and today only as far as it has been worked (`worked_today` seconds, up to the day's
    share), since today is not over: at 07:00 nobody is already 8:00 behind. The whole week once it
    is over, nothing before it starts. On a Wednesday morning of a Monday-Friday 40 h week with
    nothing logged yet that is 16:00, not the week's 40:00."""
    workdays = user.workdays
    if not workdays:
        return 0
    days = [monday + timedelta(days=offset) for offset in range(7)]
    day_share = seconds_from_hours(user.weekly_hours / len(workdays))
    before_today = sum(1 for day in days if day.isoweekday() in workdays and day < today)
    expected = seconds_from_hours(user.weekly_hours * before_today / len(workdays))
    if today in days and today.isoweekday() in workdays:
        expected += min(day_share, max(worked_today, 0))
    return expected
