"""The week grid's writes: a cell set to a duration (services.timesheet_cell_set and its page), rows
added, last week copied with its hours, a deletion undone; their bad input and who may not.

The clock stands at Tuesday 10 March 2026, 13:00 in Berlin (conftest NOW); the week is 9-15 March."""

import json
import re
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditEvent
from timetracking import services
from timetracking.models import TimeEntry, TimesheetRow
from timetracking.tests.factories import ProjectFactory, TaskFactory, TimeEntryFactory, utc

pytestmark = pytest.mark.django_db

CELL_URL = reverse("timetracking:grid-cell")
ROW_URL = reverse("timetracking:row-add")
COPY_URL = reverse("timetracking:copy-last-week")
RESTORE_URL = reverse("timetracking:entry-restore")
MONDAY = date(2026, 3, 9)
HTMX = {"HTTP_HX_REQUEST": "true"}


def berlin(employee, day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=employee.tzinfo)


@pytest.fixture
def task():
    return TaskFactory(name="Frontend", project=ProjectFactory(name="Website"))


def set_cell(employee, value, *, day=MONDAY, task=None, project=None):
    project = project if project is not None else (task.project if task else None)
    return services.timesheet_cell_set(user=employee, actor=employee, day=day, project=project, task=task, value=value)


# --- services.timesheet_cell_set -------------------------------------------------------------------


def test_an_empty_cell_gets_an_entry_at_nine(employee, task, frozen):
    change = set_cell(employee, "1:30", task=task)
    assert change.action == "created"
    entry = TimeEntry.objects.get()
    assert (entry.started_at, entry.duration) == (berlin(employee, MONDAY, 9), timedelta(minutes=90))
    assert (entry.project, entry.task, entry.user) == (task.project, task, employee)


def test_a_new_cell_entry_starts_where_the_days_last_entry_ends(employee, task, frozen):
    TimeEntryFactory(user=employee, started_at=berlin(employee, MONDAY, 8), ended_at=berlin(employee, MONDAY, 12, 15))
    set_cell(employee, "2h", task=task)
    entry = TimeEntry.objects.get(task=task)
    assert (entry.started_at, entry.ended_at) == (berlin(employee, MONDAY, 12, 15), berlin(employee, MONDAY, 14, 15))


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [("1:30", 90), ("1.5", 90), ("1,5", 90), ("1.5h", 90), ("90m", 90), ("1h30m", 90), (" 2h ", 120), ("1.50 h", 90)],
)
def test_every_spelling_of_the_grammar(employee, task, frozen, typed, minutes):
    set_cell(employee, typed, task=task)
    assert TimeEntry.objects.get().duration == timedelta(minutes=minutes)


def test_one_entry_changes_its_duration_and_keeps_its_start(employee, task, frozen):
    entry = TimeEntryFactory(
        user=employee,
        project=task.project,
        task=task,
        started_at=berlin(employee, MONDAY, 10),
        ended_at=berlin(employee, MONDAY, 11),
    )
    assert set_cell(employee, "2:45", task=task).action == "updated"
    entry.refresh_from_db()
    assert (entry.started_at, entry.duration) == (berlin(employee, MONDAY, 10), timedelta(hours=2, minutes=45))
    assert set_cell(employee, "2:45", task=task).action == "unchanged"


@pytest.mark.parametrize("cleared", ["", "0", "0:00", "  "])
def test_clearing_a_cell_deletes_its_entry_with_an_undo(employee, task, frozen, cleared):
    TimeEntryFactory(
        user=employee,
        project=task.project,
        task=task,
        started_at=berlin(employee, MONDAY, 10),
        ended_at=berlin(employee, MONDAY, 11),
    )
    change = set_cell(employee, cleared, task=task)
    assert change.action == "deleted" and change.undo
    assert not TimeEntry.objects.exists()
    restored = services.entry_restore(user=employee, token=change.undo)
    assert (restored.started_at, restored.task) == (berlin(employee, MONDAY, 10), task)


def test_clearing_an_empty_cell_does_nothing(employee, task, frozen):
    assert set_cell(employee, "", task=task).action == "unchanged"
    assert not TimeEntry.objects.exists()


def test_a_cell_of_several_entries_is_refused(employee, task, frozen):
    for hour in (8, 14):
        TimeEntryFactory(
            user=employee,
            project=task.project,
            task=task,
            started_at=berlin(employee, MONDAY, hour),
            ended_at=berlin(employee, MONDAY, hour + 1),
        )
    with pytest.raises(services.TimeTrackingConflict) as refused:
        set_cell(employee, "5h", task=task)
    assert refused.value.code == "several_entries"
    assert sorted(entry.duration for entry in TimeEntry.objects.all()) == [timedelta(hours=1)] * 2


def test_a_cell_with_the_running_timer_is_refused(employee, task, frozen):
    services.timer_start(user=employee, project=task.project, task=task)
    with pytest.raises(services.TimeTrackingConflict) as refused:
        set_cell(employee, "1h", day=date(2026, 3, 10), task=task)
    assert refused.value.code == "timer_running"


@pytest.mark.parametrize("typed", ["abc", "1.5.5", "-1", "25h", "1:75", "x" * 200])
def test_a_bad_value_is_a_field_error_and_writes_nothing(employee, task, frozen, typed):
    with pytest.raises(services.TimeTrackingError) as refused:
        set_cell(employee, typed, task=task)
    assert refused.value.field == "duration" or refused.value.field == "value"
    assert not TimeEntry.objects.exists()


def test_an_archived_or_foreign_project_is_refused(employee, outsider, frozen):
    archived = ProjectFactory(active=False)
    members_only = ProjectFactory(members=[outsider])
    for project in (archived, members_only):
        with pytest.raises(services.TimeTrackingError):
            set_cell(employee, "1h", project=project)
    foreign_task = TaskFactory()
    with pytest.raises(services.TimeTrackingError) as refused:
        services.timesheet_cell_set(
            user=employee, actor=employee, day=MONDAY, project=ProjectFactory(), task=foreign_task, value="1h"
        )
    assert refused.value.code == "foreign_task"
    assert not TimeEntry.objects.exists()


def test_a_cell_in_a_locked_week_is_refused(employee, manager, task, frozen):
    services.period_approve(actor=manager, period=services.period_submit(user=employee, day=MONDAY))
    with pytest.raises(services.PeriodLocked):
        set_cell(employee, "1h", task=task)
    assert not TimeEntry.objects.exists()


def test_a_cell_entry_that_breaks_a_rule_comes_with_its_warning(employee, task, frozen):
    change = set_cell(employee, "11h", task=task)
    assert change.action == "created" and change.warnings
    assert {violation.rule for violation in change.warnings} >= {"daily_hours"}


def test_a_cell_write_is_audited_like_any_entry(employee, task, frozen):
    set_cell(employee, "1h", task=task)
    set_cell(employee, "2h", task=task)
    set_cell(employee, "", task=task)
    actions = (
        AuditEvent.objects.filter(action__startswith="time_entry.").order_by("id").values_list("action", flat=True)
    )
    assert list(actions) == ["time_entry.created", "time_entry.updated", "time_entry.deleted"]


# --- Undo ---------------------------------------------------------------------------------------------------


def test_an_undo_token_is_its_owners_and_expires(employee, colleague, frozen):
    entry = TimeEntryFactory(
        user=employee, started_at=berlin(employee, MONDAY, 10), ended_at=berlin(employee, MONDAY, 11)
    )
    token = services.entry_undo_token(entry)
    services.entry_delete(entry=entry, actor=employee)
    with pytest.raises(services.TimeTrackingError) as refused:
        services.entry_restore(user=colleague, token=token)
    assert refused.value.code == "invalid"
    with pytest.raises(services.TimeTrackingError) as refused:
        services.entry_restore(user=employee, token=token[:-2] + "xx")
    assert refused.value.code == "invalid"
    later = datetime.now(tz=employee.tzinfo) + timedelta(seconds=services.UNDO_SECONDS + 1)
    with time_machine.travel(later), pytest.raises(services.TimeTrackingError) as refused:
        services.entry_restore(user=employee, token=token)
    assert refused.value.code == "expired"
    assert not TimeEntry.objects.exists()


def test_an_undo_that_would_overlap_is_refused(employee, frozen):
    entry = TimeEntryFactory(
        user=employee, started_at=berlin(employee, MONDAY, 10), ended_at=berlin(employee, MONDAY, 11)
    )
    token = services.entry_undo_token(entry)
    services.entry_delete(entry=entry, actor=employee)
    TimeEntryFactory(user=employee, started_at=berlin(employee, MONDAY, 10, 30), ended_at=berlin(employee, MONDAY, 12))
    with pytest.raises(services.TimeTrackingConflict):
        services.entry_restore(user=employee, token=token)
    assert TimeEntry.objects.count() == 1


# --- Copy last week with its hours --------------------------------------------------------------------------


def test_copy_with_hours_copies_the_same_local_times(employee, task, frozen):
    last_monday = MONDAY - timedelta(days=7)
    TimeEntryFactory(
        user=employee,
        project=task.project,
        task=task,
        description="Build",
        started_at=berlin(employee, last_monday, 8),
        ended_at=berlin(employee, last_monday, 12),
    )
    TimeEntryFactory(
        user=employee,
        started_at=berlin(employee, last_monday + timedelta(days=3), 13),
        ended_at=berlin(employee, last_monday + timedelta(days=3), 14),
    )
    # Already here: Thursday 13:30 overlaps the copy of last Thursday's 13:00-14:00, which is skipped.
    TimeEntryFactory(
        user=employee,
        started_at=berlin(employee, MONDAY + timedelta(days=3), 13, 30),
        ended_at=berlin(employee, MONDAY + timedelta(days=3), 15),
    )
    copied, skipped = services.timesheet_copy_previous_week_hours(user=employee, actor=employee, week_start=MONDAY)
    assert (copied, skipped) == (1, 1)
    copy = TimeEntry.objects.get(started_at=berlin(employee, MONDAY, 8))
    assert (copy.ended_at, copy.task, copy.description) == (berlin(employee, MONDAY, 12), task, "Build")
    assert TimesheetRow.objects.filter(user=employee, week_start=MONDAY, task=task).exists()


def test_copy_with_hours_keeps_wall_clock_times_across_a_clock_change(employee, frozen):
    # 23 March 2026 is the Monday after Europe's spring change (29 March is the Sunday of it): copy
    # 23 March into 30 March.
    TimeEntryFactory(
        user=employee,
        started_at=berlin(employee, date(2026, 3, 23), 9),
        ended_at=berlin(employee, date(2026, 3, 23), 17),
    )
    assert services.timesheet_copy_previous_week_hours(user=employee, actor=employee, week_start=date(2026, 3, 30)) == (
        1,
        0,
    )
    copy = TimeEntry.objects.get(started_at__gte=utc(2026, 3, 30))
    assert (copy.started_at, copy.ended_at) == (
        berlin(employee, date(2026, 3, 30), 9),
        berlin(employee, date(2026, 3, 30), 17),
    )


def test_copy_with_hours_into_a_locked_week_is_refused(employee, manager, frozen):
    TimeEntryFactory(
        user=employee,
        started_at=berlin(employee, MONDAY - timedelta(days=7), 9),
        ended_at=berlin(employee, MONDAY - timedelta(days=7), 10),
    )
    services.period_approve(actor=manager, period=services.period_submit(user=employee, day=MONDAY))
    with pytest.raises(services.PeriodLocked):
        services.timesheet_copy_previous_week_hours(user=employee, actor=employee, week_start=MONDAY)
    assert TimeEntry.objects.count() == 1 and not TimesheetRow.objects.exists()


# --- Rows -------------------------------------------------------------------------------------------------------


def test_a_row_is_pinned_once(employee, task, frozen):
    services.timesheet_row_add(user=employee, week_start=MONDAY, project=task.project, task=task)
    services.timesheet_row_add(user=employee, week_start=MONDAY, project=task.project, task=task)
    assert TimesheetRow.objects.filter(user=employee).count() == 1


def test_a_row_of_a_project_one_may_not_log_to_is_refused(employee, outsider, frozen):
    with pytest.raises(services.TimeTrackingError):
        services.timesheet_row_add(user=employee, week_start=MONDAY, project=ProjectFactory(members=[outsider]))
    with pytest.raises(services.TimeTrackingError):
        services.timesheet_row_add(user=employee, week_start=MONDAY, project=ProjectFactory(active=False))
    assert not TimesheetRow.objects.exists()


# --- The pages ------------------------------------------------------------------------------------------------


@pytest.fixture
def logged_in(client, employee):
    client.force_login(employee)
    return client


def cell_post(task, value, day=MONDAY, **extra):
    return {
        "week": MONDAY.isoformat(),
        "day": day.isoformat(),
        "project": task.project.pk,
        "task": task.pk,
        "value": value,
        **extra,
    }


def test_a_cell_save_answers_with_the_weeks_body(logged_in, employee, task, frozen):
    response = logged_in.post(CELL_URL, cell_post(task, "1:30"), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="week-body"') or 'id="week-body"' in html.split("\n", 5)[4]
    assert "<html" not in html  # a fragment, not a page
    assert 'data-testid="week-total">1:30<' in html and 'data-testid="day-total-2026-03-09">1:30<' in html
    assert 'hx-swap-oob="innerHTML"' in html and "Saved." in html


def test_a_bad_cell_value_is_a_400_with_the_error_at_the_cell(logged_in, employee, task, frozen):
    # Without its row in the grid (a stale page), the error is said above it instead.
    response = logged_in.post(CELL_URL, cell_post(task, "1.5.5"), **HTMX)
    assert response.status_code == 400
    notice = response.content.decode().split('id="tt-notice"', 1)[1]
    assert "Give a duration like 1:30" in notice
    services.timesheet_row_add(user=employee, week_start=MONDAY, project=task.project, task=task)
    response = logged_in.post(CELL_URL, cell_post(task, "1.5.5"), **HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    cell = f"cell-{task.project.pk}-{task.pk}-20260309"
    assert f'id="{cell}-error"' in html and "Give a duration like 1:30" in html
    assert 'value="1.5.5"' in html and 'aria-invalid="true"' in html and f'data-focus="{cell}"' in html
    assert not TimeEntry.objects.exists()


def test_a_cell_of_several_entries_is_a_409(logged_in, employee, task, frozen):
    for hour in (8, 14):
        TimeEntryFactory(
            user=employee,
            project=task.project,
            task=task,
            started_at=berlin(employee, MONDAY, hour),
            ended_at=berlin(employee, MONDAY, hour + 1),
        )
    response = logged_in.post(CELL_URL, cell_post(task, "5h"), **HTMX)
    assert response.status_code == 409 and "several entries" in response.content.decode()


@pytest.mark.parametrize(
    "bad",
    [
        {"day": "2026-03-16"},  # not in the week
        {"day": "garbage"},
        {"project": "abc"},
        {"task": "1.5"},
        {"project": "999999"},
    ],
)
def test_bad_cell_addresses_are_404_and_write_nothing(logged_in, task, frozen, bad):
    response = logged_in.post(CELL_URL, {**cell_post(task, "1h"), **bad}, **HTMX)
    assert response.status_code == 404
    assert not TimeEntry.objects.exists()


def test_a_cell_needs_a_post_and_a_login(client, employee, task, frozen):
    assert client.post(CELL_URL, cell_post(task, "1h")).status_code == 302  # to the login page
    client.force_login(employee)
    assert client.get(CELL_URL).status_code == 405
    assert not TimeEntry.objects.exists()


def test_a_cell_writes_only_the_callers_own_time(client, employee, manager, task, frozen):
    """A manager's cell post with `user=` writes the manager's own time, never the report's."""
    client.force_login(manager)
    client.post(CELL_URL, cell_post(task, "1h", user=employee.pk), **HTMX)
    assert not TimeEntry.objects.filter(user=employee).exists()
    assert TimeEntry.objects.get().user == manager


def test_without_htmx_a_cell_post_goes_back_to_the_week(logged_in, task, frozen):
    response = logged_in.post(CELL_URL, cell_post(task, "1h"))
    assert response.status_code == 302 and response.headers["Location"].endswith("?week=2026-03-09")
    response = logged_in.post(CELL_URL, cell_post(task, "nonsense"), follow=True)
    assert "Give a duration like 1:30" in response.content.decode()


def test_a_cell_save_is_one_round_trip_whose_queries_do_not_grow_with_the_week(
    logged_in, employee, task, frozen, django_assert_max_num_queries
):
    def fill(count, first_day):
        for n in range(count):
            other = TaskFactory(project=task.project)
            day = MONDAY + timedelta(days=(first_day + n) % 7)
            hour = 6 + (first_day + n) // 7
            TimeEntryFactory(
                user=employee,
                project=task.project,
                task=other,
                started_at=berlin(employee, day, hour),
                ended_at=berlin(employee, day, hour, 30),
            )

    fill(2, 0)
    with django_assert_max_num_queries(60) as captured:
        assert logged_in.post(CELL_URL, cell_post(task, "1h", day=date(2026, 3, 14)), **HTMX).status_code == 200
    few = len(captured.captured_queries)
    fill(20, 2)
    with django_assert_max_num_queries(few + 2):  # +2: the cell's entry is found and changed, not created
        assert logged_in.post(CELL_URL, cell_post(task, "2h", day=date(2026, 3, 14)), **HTMX).status_code == 200


def test_add_a_row_through_the_page(logged_in, employee, task, frozen):
    response = logged_in.post(ROW_URL, {"week": "2026-03-09", "row": f"{task.project.pk}:{task.pk}"}, **HTMX)
    assert response.status_code == 200
    assert f'data-focus="cell-{task.project.pk}-{task.pk}-20260309"' in response.content.decode()
    assert TimesheetRow.objects.get(user=employee).task == task
    response = logged_in.post(ROW_URL, {"week": "2026-03-09", "row": ""}, **HTMX)
    assert response.status_code == 400 and "Choose a project" in response.content.decode()
    assert logged_in.post(ROW_URL, {"week": "2026-03-09", "row": "x:y"}, **HTMX).status_code == 404
    archived = ProjectFactory(active=False)
    response = logged_in.post(ROW_URL, {"week": "2026-03-09", "row": str(archived.pk)}, **HTMX)
    assert response.status_code == 400 and "archived" in response.content.decode()


def test_copy_with_hours_through_the_page(logged_in, employee, task, frozen):
    TimeEntryFactory(
        user=employee,
        project=task.project,
        task=task,
        started_at=berlin(employee, MONDAY - timedelta(days=7), 9),
        ended_at=berlin(employee, MONDAY - timedelta(days=7), 11),
    )
    response = logged_in.post(COPY_URL, {"week": "2026-03-09", "hours": "1"}, **HTMX)
    assert response.status_code == 200
    assert "Copied 1 entry from last week." in response.content.decode()
    assert 'data-testid="week-total">2:00<' in response.content.decode()
    response = logged_in.post(COPY_URL, {"week": "2026-03-09", "hours": "1"}, **HTMX)
    assert "1 skipped" in response.content.decode()
    assert TimeEntry.objects.count() == 2


def test_delete_and_undo_through_the_page(logged_in, employee, colleague, client, frozen):
    entry = TimeEntryFactory(
        user=employee, started_at=berlin(employee, MONDAY, 9), ended_at=berlin(employee, MONDAY, 10)
    )
    response = logged_in.post(reverse("timetracking:entry-delete", args=[entry.pk]), **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "Entry deleted." in html and 'id="undo"' in html
    token = json.loads(re.search(r"hx-vals='(\{[^']*\})'", html[html.index('id="undo"') :]).group(1))["token"]
    assert not TimeEntry.objects.exists()
    # Someone else cannot use it.
    client.force_login(colleague)
    assert client.post(RESTORE_URL, {"token": token, "week": "2026-03-09"}, **HTMX).status_code == 400
    assert not TimeEntry.objects.exists()
    logged_in.force_login(employee)
    response = logged_in.post(RESTORE_URL, {"token": token, "week": "2026-03-09"}, **HTMX)
    assert response.status_code == 200 and "Entry restored." in response.content.decode()
    assert TimeEntry.objects.get(user=employee).started_at == berlin(employee, MONDAY, 9)
    assert logged_in.post(RESTORE_URL, {"token": "garbage", "week": "2026-03-09"}, **HTMX).status_code == 400


def test_edit_in_place_through_the_page(logged_in, employee, frozen):
    entry = TimeEntryFactory(
        user=employee, started_at=berlin(employee, MONDAY, 9), ended_at=berlin(employee, MONDAY, 10)
    )
    html = logged_in.get(
        reverse("timetracking:week"), {"week": "2026-03-09", "edit": entry.pk}, **HTMX
    ).content.decode()
    assert (
        f'hx-post="{reverse("timetracking:entry-edit", args=[entry.pk])}"' in html and 'data-focus="id_start"' in html
    )
    url = reverse("timetracking:entry-edit", args=[entry.pk])
    response = logged_in.post(url, {"date": "2026-03-09", "start": "09:00", "end": "08:00"}, **HTMX)
    assert response.status_code == 400
    assert 'data-focus="id_end"' in response.content.decode() and 'id="id_end_error"' in response.content.decode()
    response = logged_in.post(url, {"date": "2026-03-09", "start": "09:00", "end": "12:00"}, **HTMX)
    assert response.status_code == 200 and "Entry saved." in response.content.decode()
    entry.refresh_from_db()
    assert entry.duration == timedelta(hours=3)


@pytest.mark.parametrize("who", ["colleague", "manager", "outsider"])
def test_someone_elses_entry_cannot_be_opened_for_editing_in_a_week(request, client, employee, who, frozen):
    entry = TimeEntryFactory(
        user=employee, started_at=berlin(employee, MONDAY, 9), ended_at=berlin(employee, MONDAY, 10)
    )
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("timetracking:week"), {"week": "2026-03-09", "edit": entry.pk}, **HTMX).status_code == 404


def test_a_new_entry_form_opens_on_a_day_after_its_last_entry(logged_in, employee, frozen):
    TimeEntryFactory(user=employee, started_at=berlin(employee, MONDAY, 8), ended_at=berlin(employee, MONDAY, 11, 40))
    html = logged_in.get(
        reverse("timetracking:week"), {"week": "2026-03-09", "new": "2026-03-09"}, **HTMX
    ).content.decode()
    assert 'id="add-entry"' in html and 'name="start" value="11:40"' in html
    html = logged_in.get(reverse("timetracking:week"), {"new": "today"}).content.decode()
    assert 'name="date" value="2026-03-10"' in html and 'name="start" value="09:00"' in html
    # A day outside the week opens nothing.
    html = logged_in.get(reverse("timetracking:week"), {"week": "2026-03-09", "new": "2026-04-01"}).content.decode()
    assert 'id="add-entry"' not in html


def test_a_new_entry_error_is_a_400_in_the_open_form(logged_in, frozen):
    response = logged_in.post(
        reverse("timetracking:entry-create"), {"date": "2026-03-09", "start": "10:00", "duration": "1.5.5"}, **HTMX
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="add-entry"' in html and 'id="id_duration_error"' in html and 'data-focus="id_duration"' in html
    assert not TimeEntry.objects.exists()
