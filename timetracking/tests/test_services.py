"""The rules of `timetracking.services`, each with its bad input."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from timetracking import services
from timetracking.models import Tag, TimeEntry
from timetracking.tests.conftest import NOW
from timetracking.tests.factories import ProjectFactory, TagFactory, TaskFactory, TimeEntryFactory, utc

pytestmark = pytest.mark.django_db


def create(user, **kwargs):
    kwargs.setdefault("started_at", utc(2026, 3, 9, 8))
    if "duration" not in kwargs:
        kwargs.setdefault("ended_at", kwargs["started_at"] + timedelta(hours=1))
    return services.entry_create(user=user, actor=user, **kwargs)


def error_of(excinfo):
    return excinfo.value.field, excinfo.value.code


# --- times --------------------------------------------------------------------------------------


def test_entry_from_start_and_end(employee):
    entry = create(employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9, 30))
    assert str(entry.hours) == "1.50"
    assert entry.source == TimeEntry.Source.MANUAL


def test_entry_from_start_and_duration(employee):
    entry = create(employee, started_at=utc(2026, 3, 9, 8), duration="01:30")
    assert entry.ended_at == utc(2026, 3, 9, 9, 30)


def test_quick_check_in_from_a_duration_alone_ends_now(employee, frozen):
    entry = services.entry_create(user=employee, duration="01:30", description="code review", tags=["review"])
    assert (entry.started_at, entry.ended_at) == (NOW - timedelta(minutes=90), NOW)
    assert [tag.name for tag in entry.tags.all()] == ["review"]


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("1:30", 90), ("01:30", 90), ("1.5", 90), ("1,25", 75), ("90m", 90), ("2h", 120), ("1h15m", 75), ("1:30:00", 90)],
)
def test_duration_formats(text, minutes):
    assert services.parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "abc", "0:00", "1:75", "-1", "17:00", "99999999999", "1:30:60"])
def test_bad_durations_are_refused_on_the_duration_field(text):
    with pytest.raises(services.TimeTrackingError) as excinfo:
        services.parse_duration(text)
    assert excinfo.value.field == "duration"


def test_reversed_times_are_refused(employee):
    with pytest.raises(services.TimeTrackingError) as excinfo:
        create(employee, started_at=utc(2026, 3, 9, 9), ended_at=utc(2026, 3, 9, 8))
    assert error_of(excinfo) == ("ended_at", "end_before_start")
    assert not TimeEntry.objects.exists()


def test_zero_length_is_refused(employee):
    with pytest.raises(services.TimeTrackingError):
        create(employee, started_at=utc(2026, 3, 9, 9), ended_at=utc(2026, 3, 9, 9))


def test_too_long_is_refused_and_the_maximum_is_configurable(employee):
    with pytest.raises(services.TimeTrackingError) as excinfo:
        create(employee, started_at=utc(2026, 3, 9, 0), ended_at=utc(2026, 3, 9, 16, 1))
    assert error_of(excinfo) == ("ended_at", "too_long")
    assert create(employee, started_at=utc(2026, 3, 9, 0), ended_at=utc(2026, 3, 9, 16)).hours == 16
    with override_settings(TIME_ENTRY_MAX_HOURS=8), pytest.raises(services.TimeTrackingError):
        create(employee, started_at=utc(2026, 3, 10, 0), ended_at=utc(2026, 3, 10, 9))


def test_start_end_and_duration_together_are_refused(employee):
    with pytest.raises(services.TimeTrackingError) as excinfo:
        create(employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9), duration="1:00")
    assert excinfo.value.field == "duration"


def test_a_start_alone_is_refused(employee):
    with pytest.raises(services.TimeTrackingError) as excinfo:
        services.entry_create(user=employee, started_at=utc(2026, 3, 9, 8))
    assert excinfo.value.field == "ended_at"


# --- overlap -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ((8, 30), (9, 30)),  # starts inside
        ((7, 30), (8, 30)),  # ends inside
        ((7, 0), (10, 0)),  # covers
        ((8, 15), (8, 45)),  # inside
    ],
)
def test_overlapping_entries_of_one_user_are_refused_with_409(employee, start, end):
    create(employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))
    with pytest.raises(services.TimeTrackingConflict) as excinfo:
        create(employee, started_at=utc(2026, 3, 9, *start), ended_at=utc(2026, 3, 9, *end))
    assert excinfo.value.kind == "conflict" and excinfo.value.code == "overlap"
    assert TimeEntry.objects.count() == 1


def test_touching_end_to_start_is_allowed(employee):
    create(employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))
    create(employee, started_at=utc(2026, 3, 9, 9), ended_at=utc(2026, 3, 9, 10))
    create(employee, started_at=utc(2026, 3, 9, 7), ended_at=utc(2026, 3, 9, 8))
    assert TimeEntry.objects.count() == 3


def test_other_users_entries_do_not_overlap_mine(employee, colleague):
    create(employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))
    create(colleague, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))
    assert TimeEntry.objects.count() == 2


def test_a_running_timer_blocks_later_entries(employee, frozen):
    services.timer_start(user=employee, started_at=NOW - timedelta(hours=2))
    with pytest.raises(services.TimeTrackingConflict):
        services.entry_create(user=employee, duration="0:30")
    create(employee, started_at=NOW - timedelta(hours=3), ended_at=NOW - timedelta(hours=2))


def test_an_overlap_names_the_entry_or_timer_it_meets(employee, frozen):
    """On PostgreSQL the exclusion constraint refuses the INSERT (no check query first); the
    answer is the same on every backend: the clashing entry in the user's local time."""
    create(employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))  # Berlin: 09:00–10:00
    with pytest.raises(services.TimeTrackingConflict) as excinfo:
        create(employee, started_at=utc(2026, 3, 9, 8, 30), ended_at=utc(2026, 3, 9, 10))
    assert excinfo.value.message == "This overlaps your entry of 2026-03-09 09:00–10:00."
    services.timer_start(user=employee, started_at=NOW - timedelta(hours=2))
    with pytest.raises(services.TimeTrackingConflict) as excinfo:
        services.entry_create(user=employee, duration="0:30")
    local_start = timezone.localtime(NOW - timedelta(hours=2), employee.tzinfo)
    assert excinfo.value.message == f"This overlaps your running timer (since {local_start:%H:%M})."
    assert TimeEntry.objects.count() == 2


def test_creating_an_entry_reads_no_overlap_first_on_postgresql(employee):
    """The exclusion constraint is the check there: no entry is read before the INSERT (the
    compliance window and the days billing reprices are read after it); SQLite, without the
    constraint, reads the overlap first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        services.entry_create(user=employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))
    sqls = [query["sql"] for query in queries.captured_queries]
    insert = next(index for index, sql in enumerate(sqls) if sql.startswith('INSERT INTO "timetracking_timeentry"'))
    reads = [
        index for index, sql in enumerate(sqls) if sql.startswith("SELECT") and 'FROM "timetracking_timeentry"' in sql
    ]
    postgresql = connection.vendor == "postgresql"
    assert [index < insert for index in reads] == ([False, False] if postgresql else [True, False, False])
    # 10 on PostgreSQL before stored prices; billing's reprice adds the day's entries, the rates
    # that may apply and the upsert of the price.
    assert len(sqls) == (13 if postgresql else 14), sqls


def test_update_checks_overlap_but_not_against_itself(employee):
    first = create(employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))
    create(employee, started_at=utc(2026, 3, 9, 10), ended_at=utc(2026, 3, 9, 11))
    services.entry_update(entry=first, ended_at=utc(2026, 3, 9, 9, 30))
    with pytest.raises(services.TimeTrackingConflict):
        services.entry_update(entry=first, ended_at=utc(2026, 3, 9, 10, 30))
    first.refresh_from_db()
    assert first.ended_at == utc(2026, 3, 9, 9, 30)


# --- projects and tasks -------------------------------------------------------------------------


def test_archived_project_is_refused(employee):
    project = ProjectFactory(active=False)
    with pytest.raises(services.TimeTrackingError) as excinfo:
        create(employee, project=project)
    assert error_of(excinfo) == ("project", "archived")


def test_archived_task_is_refused(employee):
    task = TaskFactory(active=False)
    with pytest.raises(services.TimeTrackingError) as excinfo:
        create(employee, project=task.project, task=task)
    assert error_of(excinfo) == ("task", "archived")


def test_task_of_another_project_is_refused(employee):
    task = TaskFactory()
    with pytest.raises(services.TimeTrackingError) as excinfo:
        create(employee, project=ProjectFactory(), task=task)
    assert error_of(excinfo) == ("task", "foreign_task")


def test_a_task_alone_implies_its_project(employee):
    task = TaskFactory()
    entry = create(employee, task=task)
    assert entry.project == task.project


def test_member_only_project(employee, colleague, hr):
    project = ProjectFactory(members=[colleague])
    with pytest.raises(services.TimeTrackingError) as excinfo:
        create(employee, project=project)
    assert error_of(excinfo) == ("project", "not_member")
    assert create(colleague, project=project).project == project
    assert create(hr, project=project).project == project


def test_billable_defaults_to_the_project(employee):
    assert create(employee, project=ProjectFactory(billable=True)).billable is True
    assert create(employee, project=ProjectFactory(billable=False), started_at=utc(2026, 3, 9, 10)).billable is False
    assert create(employee, started_at=utc(2026, 3, 9, 12), billable=True).billable is True


def test_editing_an_entry_on_a_since_archived_project_keeps_working(employee):
    project = ProjectFactory()
    entry = create(employee, project=project)
    project.active = False
    project.save()
    entry = services.entry_update(entry=entry, description="fixed typo")
    assert entry.description == "fixed typo"
    with pytest.raises(services.TimeTrackingError):
        services.entry_update(entry=create(employee, started_at=utc(2026, 3, 9, 10)), project=project)


def test_moving_to_another_project_drops_the_old_task(employee):
    task = TaskFactory()
    entry = create(employee, task=task)
    other = ProjectFactory()
    entry = services.entry_update(entry=entry, project=other)
    assert (entry.project, entry.task) == (other, None)


# --- owner ---------------------------------------------------------------------------------------


def test_only_hr_logs_time_for_someone_else(employee, manager, hr):
    with pytest.raises(services.TimeTrackingError) as excinfo:
        services.entry_create(user=employee, actor=manager, started_at=utc(2026, 3, 9, 8), duration="1:00")
    assert excinfo.value.field == "user"
    entry = services.entry_create(user=employee, actor=hr, started_at=utc(2026, 3, 9, 8), duration="1:00")
    assert entry.user == employee


# --- tags ----------------------------------------------------------------------------------------


def test_tags_by_id_or_name_and_unknown_names_are_created_case_insensitively(employee):
    existing = TagFactory(name="Review")
    entry = create(employee, tags=[existing.pk, "review", "  Deep   work ", str(existing.pk)])
    assert sorted(tag.name for tag in entry.tags.all()) == ["Deep work", "Review"]
    assert Tag.objects.count() == 2


def test_unknown_tag_id_is_refused_and_nothing_is_saved(employee):
    with pytest.raises(services.TimeTrackingError) as excinfo:
        create(employee, tags=["new-tag", 999999])
    assert excinfo.value.field == "tags"
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize("name", ["", "   ", "x" * 51])
def test_bad_tag_names_are_refused(employee, name):
    with pytest.raises(services.TimeTrackingError) as excinfo:
        create(employee, tags=[name])
    assert excinfo.value.field == "tags"


def test_too_many_tags_are_refused(employee):
    with pytest.raises(services.TimeTrackingError):
        create(employee, tags=[f"t{n}" for n in range(services.MAX_TAGS_PER_ENTRY + 1)])


def test_description_too_long_is_refused(employee):
    with pytest.raises(services.TimeTrackingError) as excinfo:
        create(employee, description="x" * 1001)
    assert excinfo.value.field == "description"


# --- timer ---------------------------------------------------------------------------------------


def test_start_and_stop_a_timer(employee, frozen):
    project = ProjectFactory()
    entry = services.timer_start(user=employee, project=project, description="Coding", tags=["dev"])
    assert entry.is_running and entry.source == TimeEntry.Source.TIMER and entry.started_at == NOW
    frozen.shift(timedelta(minutes=25))
    stopped = services.timer_stop(user=employee)
    assert stopped.pk == entry.pk and stopped.duration == timedelta(minutes=25)
    assert services.timer_current(user=employee) is None


def test_a_second_timer_is_refused_with_409(employee, frozen):
    services.timer_start(user=employee)
    with pytest.raises(services.TimeTrackingConflict) as excinfo:
        services.timer_start(user=employee)
    assert excinfo.value.code == "timer_running"
    assert TimeEntry.objects.running().count() == 1


def test_switch_stops_the_running_timer_at_the_same_instant(employee, frozen):
    first = services.timer_start(user=employee, description="first")
    frozen.shift(timedelta(minutes=10))
    second = services.timer_start(user=employee, description="second", switch=True)
    first.refresh_from_db()
    assert first.ended_at == second.started_at == NOW + timedelta(minutes=10)
    assert services.timer_current(user=employee) == second


def test_stop_without_a_timer_is_409(employee):
    with pytest.raises(services.TimeTrackingConflict) as excinfo:
        services.timer_stop(user=employee)
    assert excinfo.value.code == "no_timer"


def test_a_forgotten_timer_is_stopped_at_a_given_time_or_refused_as_too_long(employee, frozen):
    services.timer_start(user=employee, started_at=NOW - timedelta(hours=20))
    with pytest.raises(services.TimeTrackingError) as excinfo:
        services.timer_stop(user=employee)
    assert excinfo.value.code == "too_long"
    stopped = services.timer_stop(user=employee, ended_at=NOW - timedelta(hours=12))
    assert stopped.duration == timedelta(hours=8)


def test_timer_cannot_start_or_stop_in_the_future(employee, frozen):
    with pytest.raises(services.TimeTrackingError):
        services.timer_start(user=employee, started_at=NOW + timedelta(minutes=1))
    services.timer_start(user=employee)
    with pytest.raises(services.TimeTrackingError):
        services.timer_stop(user=employee, ended_at=NOW + timedelta(hours=1))


def test_edit_the_running_timer(employee, frozen):
    services.timer_start(user=employee)
    task = TaskFactory()
    entry = services.timer_update(
        user=employee, task=task, description="now with a task", tags=["x"], started_at=NOW - timedelta(minutes=5)
    )
    assert entry.is_running and entry.project == task.project and entry.started_at == NOW - timedelta(minutes=5)
    with pytest.raises(services.TimeTrackingError):
        services.timer_update(user=employee, ended_at=NOW)


def test_timer_update_without_a_timer_is_409(employee):
    with pytest.raises(services.TimeTrackingConflict):
        services.timer_update(user=employee, description="x")


def test_timer_refuses_an_archived_project(employee):
    with pytest.raises(services.TimeTrackingError) as excinfo:
        services.timer_start(user=employee, project=ProjectFactory(active=False))
    assert excinfo.value.field == "project"


# --- bulk ----------------------------------------------------------------------------------------


def test_bulk_creates_all_rows(employee):
    rows = [{"started_at": utc(2026, 3, 9, 8 + n), "duration": "1:00"} for n in range(5)]
    created = services.entries_bulk_create(actor=employee, rows=rows)
    assert len(created) == 5 and TimeEntry.objects.filter(source=TimeEntry.Source.IMPORT).count() == 5


def test_bulk_is_all_or_nothing_with_every_bad_row_reported(employee):
    rows = [
        {"started_at": utc(2026, 3, 9, 8), "duration": "1:00"},
        {"started_at": utc(2026, 3, 9, 8, 30), "duration": "1:00"},  # overlaps row 0
        {"started_at": utc(2026, 3, 9, 12), "ended_at": utc(2026, 3, 9, 11)},  # reversed
        {"started_at": utc(2026, 3, 9, 14), "duration": "1:00", "tags": ["brand-new"]},
    ]
    with pytest.raises(services.BulkError) as excinfo:
        services.entries_bulk_create(actor=employee, rows=rows)
    assert [(row["index"], row["kind"]) for row in excinfo.value.errors] == [(1, "conflict"), (2, "invalid")]
    assert excinfo.value.errors[1]["errors"]["ended_at"]
    assert not TimeEntry.objects.exists()


def test_bulk_refuses_more_than_500_rows(employee):
    with pytest.raises(services.TimeTrackingError):
        services.entries_bulk_create(actor=employee, rows=[{}] * 501)


# --- timesheet rows and catalog ---------------------------------------------------------------


def test_copy_previous_week_pins_last_weeks_projects_once(employee):
    from datetime import date

    task = TaskFactory()
    archived = ProjectFactory(active=False)
    TimeEntryFactory(user=employee, project=task.project, task=task, started_at=utc(2026, 3, 3, 9))
    TimeEntryFactory(user=employee, project=archived, started_at=utc(2026, 3, 4, 9))
    TimeEntryFactory(user=employee, project=ProjectFactory(), started_at=utc(2026, 3, 10, 9))  # this week
    assert services.timesheet_copy_previous_week(user=employee, week_start=date(2026, 3, 9)) == 1
    assert services.timesheet_copy_previous_week(user=employee, week_start=date(2026, 3, 9)) == 0
    row = employee.timesheet_rows.get()
    assert (row.project, row.task) == (task.project, task)


def test_deleting_a_project_in_use_is_a_409(employee):
    project = ProjectFactory()
    TimeEntryFactory(user=employee, project=project)
    with pytest.raises(services.TimeTrackingConflict):
        services.catalog_delete(instance=project)
    services.catalog_delete(instance=ProjectFactory())


def test_a_duration_across_the_dst_change_is_real_elapsed_time(employee):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    # 01:30 in Berlin on 2026-03-29; clocks jump from 02:00 to 03:00. Two real hours end at 04:30 local.
    start = datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    entry = services.entry_create(user=employee, started_at=start, duration="2:00")
    assert entry.ended_at - entry.started_at == timedelta(hours=2)
    assert entry.ended_at == utc(2026, 3, 29, 2, 30)


def test_constraint_violations_past_the_checks_map_to_domain_errors(employee):
    """What a race would hit: the database refuses, the service answers 409/400, never a 500."""
    TimeEntry.objects.create(user=employee, started_at=utc(2026, 3, 9, 12))
    with pytest.raises(services.TimeTrackingConflict) as excinfo:
        services._save(TimeEntry(user=employee, started_at=utc(2026, 3, 10, 12)))
    assert excinfo.value.code in {"timer_running", "overlap"}  # PostgreSQL may name either constraint
    with pytest.raises(services.TimeTrackingError) as excinfo:
        services._save(TimeEntry(user=employee, started_at=utc(2026, 3, 1, 9), ended_at=utc(2026, 3, 1, 8)))
    assert excinfo.value.field == "ended_at"
    assert TimeEntry.objects.count() == 1
