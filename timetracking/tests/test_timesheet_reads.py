"""timetracking/timesheet.py: the week page's grid and days, computed from entries and pinned rows."""

from datetime import date, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from timetracking import timesheet
from timetracking.models import TimeEntry, TimesheetRow
from timetracking.tests.conftest import NOW
from timetracking.tests.factories import ProjectFactory, TaskFactory, TimeEntryFactory, utc

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 3, 9)
DAYS = timesheet.week_days(MONDAY)


def read(user):
    entries = list(TimeEntry.objects.for_user(user).with_details().order_by("started_at"))
    timesheet.localise(entries, BERLIN, NOW)
    return entries


def test_week_days():
    assert len(DAYS) == 7 and (DAYS[0], DAYS[-1]) == (MONDAY, date(2026, 3, 15))
    assert all(later - earlier == timedelta(days=1) for earlier, later in pairwise(DAYS))


def test_localise_gives_local_times_and_seconds_a_running_entry_up_to_now(employee):
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 23, 30), ended_at=utc(2026, 3, 10, 0, 15))
    TimeEntryFactory(user=employee, started_at=NOW - timedelta(minutes=20), ended_at=None)
    late, running = read(employee)
    assert (late.local_start.date(), late.local_start.hour, late.seconds) == (date(2026, 3, 10), 0, 45 * 60)
    assert late.local_end.tzinfo == BERLIN
    assert (running.local_end, running.seconds) == (None, 20 * 60)


def test_day_rows_put_each_entry_on_its_local_day(employee):
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 23, 30), ended_at=utc(2026, 3, 10, 0, 30))
    first, second = entries = read(employee)
    days = timesheet.day_rows(entries, DAYS)
    assert [day["date"] for day in days] == DAYS
    assert (days[0]["entries"], days[0]["total"]) == ([first], 3600)
    assert (days[1]["entries"], days[1]["total"]) == ([second], 3600)  # 00:30 on Tuesday in Berlin
    assert all(day["entries"] == [] and day["total"] == 0 for day in days[2:])


def test_grid_rows_sum_per_project_and_task_pinned_rows_included_in_name_order(employee):
    zeta = TaskFactory(name="Zeta", project=ProjectFactory(name="beta"))
    alpha = TaskFactory(name="alpha", project=zeta.project)
    other = ProjectFactory(name="Alpha project")
    pinned_task = TaskFactory(name="Pinned", project=ProjectFactory(name="gamma"))
    TimeEntryFactory(user=employee, project=zeta.project, task=zeta, started_at=utc(2026, 3, 9, 8))
    TimeEntryFactory(user=employee, project=zeta.project, task=zeta, started_at=utc(2026, 3, 11, 8))
    TimeEntryFactory(user=employee, project=zeta.project, task=alpha, started_at=utc(2026, 3, 9, 10))
    TimeEntryFactory(user=employee, project=other, task=None, started_at=utc(2026, 3, 10, 8))
    TimeEntryFactory(user=employee, project=None, task=None, started_at=utc(2026, 3, 10, 10))
    pinned = [
        TimesheetRow.objects.create(user=employee, week_start=MONDAY, project=pinned_task.project, task=pinned_task),
        TimesheetRow.objects.create(user=employee, week_start=MONDAY, project=zeta.project, task=zeta),
    ]
    grid = timesheet.grid_rows(read(employee), pinned, DAYS)
    labels = [(row["project"] and row["project"].name, row["task"] and row["task"].name) for row in grid]
    assert labels == [("Alpha project", None), ("beta", "alpha"), ("beta", "Zeta"), ("gamma", "Pinned"), (None, None)]
    by_label = dict(zip(labels, grid, strict=True))
    zeta_row = by_label["beta", "Zeta"]
    assert [cell["seconds"] for cell in zeta_row["cells"]] == [3600, 0, 3600, 0, 0, 0, 0]
    assert [cell["day"] for cell in zeta_row["cells"]] == DAYS
    assert (zeta_row["total"], zeta_row["pinned"]) == (7200, True)
    assert (by_label["gamma", "Pinned"]["total"], by_label["gamma", "Pinned"]["pinned"]) == (0, True)
    assert (by_label["beta", "alpha"]["total"], by_label["beta", "alpha"]["pinned"]) == (3600, False)
