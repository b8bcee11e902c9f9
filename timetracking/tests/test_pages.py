"""The week timesheet (/time/) and the entry pages: add, edit, delete, copy last week, read-only team view."""

import re
from datetime import timedelta

import pytest
from django import forms
from django.urls import reverse

from timetracking.models import TimeEntry, TimesheetRow
from timetracking.tests.factories import ProjectFactory, TaskFactory, TimeEntryFactory, utc

pytestmark = pytest.mark.django_db

WEEK_URL = reverse("timetracking:week")
CREATE_URL = reverse("timetracking:entry-create")


@pytest.fixture
def logged_in(client, employee):
    client.force_login(employee)
    return client


def field_error(html, field):
    match = re.search(rf'id="id_{field}_error"[^>]*>([^<]*)<', html)
    return match.group(1) if match else None


def week_body(html):
    """The week's own part of the page (not the header's timer or the recent entries beside it)."""
    start = html.index('id="week-body"')
    return html[start : html.index('id="recent-entries"', start)] if 'id="recent-entries"' in html else html[start:]


def test_week_requires_login(client):
    assert client.get(WEEK_URL).status_code == 302


def test_week_shows_monday_to_sunday_with_day_and_week_totals(logged_in, employee, frozen):
    project = ProjectFactory(name="Website")
    TimeEntryFactory(user=employee, project=project, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9, 30))
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 15, 20), ended_at=utc(2026, 3, 15, 21))  # Sunday 21:00
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 15, 23), ended_at=utc(2026, 3, 16, 0))  # next Monday
    response = logged_in.get(WEEK_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Week of Mon 9 Mar 2026" in html
    assert "Monday 9 March" in html and "Sunday 15 March" in html
    assert 'data-testid="week-total">2:30<' in html
    assert "Website" in html
    assert "09:00–10:30" in html  # local (Berlin) times, not UTC


def test_previous_and_next_week(logged_in, employee, frozen):
    TimeEntryFactory(user=employee, description="last week's work", started_at=utc(2026, 3, 3, 8))
    html = logged_in.get(WEEK_URL).content.decode()
    assert "?week=2026-03-02" in html and "?week=2026-03-16" in html
    assert "last week&#x27;s work" not in week_body(html)  # (recent entries, beside it, do offer it)
    assert "last week&#x27;s work" in logged_in.get(WEEK_URL, {"week": "2026-03-04"}).content.decode()
    assert logged_in.get(WEEK_URL, {"week": "garbage"}).status_code == 200


def test_add_an_entry(logged_in, employee, frozen):
    task = TaskFactory()
    response = logged_in.post(
        CREATE_URL,
        {
            "date": "2026-03-09",
            "start": "09:00",
            "end": "10:30",
            "project": task.project.pk,
            "task": task.pk,
            "description": "Planning",
            "tags": "meeting, planning",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{WEEK_URL}?week=2026-03-09"
    entry = TimeEntry.objects.get()
    assert (entry.started_at, entry.ended_at) == (utc(2026, 3, 9, 8), utc(2026, 3, 9, 9, 30))  # Berlin = UTC+1
    assert sorted(tag.name for tag in entry.tags.all()) == ["meeting", "planning"]


def test_add_with_a_duration_past_midnight(logged_in, employee, frozen):
    response = logged_in.post(CREATE_URL, {"date": "2026-03-09", "start": "22:00", "duration": "4:00"})
    assert response.status_code == 302
    assert TimeEntry.objects.get().ended_at == utc(2026, 3, 10, 1)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"date": "2026-03-09", "start": "10:00", "end": "09:00"}, "end"),
        ({"date": "2026-03-09", "start": "10:00"}, "end"),
        ({"date": "2026-03-09", "start": "10:00", "duration": "nonsense"}, "duration"),
        ({"date": "2026-03-09", "start": "00:00", "duration": "20:00"}, "duration"),
        ({"date": "not a date", "start": "10:00", "end": "11:00"}, "date"),
        ({"date": "2026-03-09", "start": "10:00", "end": "11:00", "description": "x" * 1001}, "description"),
        ({"date": "2026-03-09", "start": "10:00", "end": "11:00", "tags": "x" * 51}, "tags"),
    ],
)
def test_add_errors_are_shown_next_to_the_field_and_nothing_is_saved(logged_in, frozen, data, field):
    response = logged_in.post(CREATE_URL, data)
    assert response.status_code == 400  # the page again, the error at its field
    assert field_error(response.content.decode(), field)
    assert not TimeEntry.objects.exists()


def test_add_archived_project_error_is_next_to_the_project(logged_in, frozen):
    project = ProjectFactory(active=False)
    # An archived project is not offered in the picker: the form refuses the choice itself.
    response = logged_in.post(
        CREATE_URL, {"date": "2026-03-09", "start": "10:00", "end": "11:00", "project": project.pk}
    )
    assert response.status_code == 400 and field_error(response.content.decode(), "project")
    assert not TimeEntry.objects.exists()


def test_add_a_foreign_task_error_is_next_to_the_task(logged_in, frozen):
    project, task = ProjectFactory(), TaskFactory()
    data = {"date": "2026-03-09", "start": "10:00", "end": "11:00", "project": project.pk, "task": task.pk}
    response = logged_in.post(CREATE_URL, data)
    assert response.status_code == 400
    assert "belongs to another project" in field_error(response.content.decode(), "task")


def test_add_an_overlap_shows_the_conflict(logged_in, employee, frozen):
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 10))
    response = logged_in.post(CREATE_URL, {"date": "2026-03-09", "start": "10:00", "end": "12:00"})
    assert response.status_code == 409
    assert "overlaps your entry" in response.content.decode()
    assert TimeEntry.objects.count() == 1


def test_edit_an_entry(logged_in, employee, frozen):
    entry = TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))
    url = reverse("timetracking:entry-edit", args=[entry.pk])
    html = logged_in.get(url).content.decode()
    assert 'value="09:00"' in html and 'value="10:00"' in html  # local times
    response = logged_in.post(url, {"date": "2026-03-09", "start": "09:00", "end": "11:15", "description": "longer"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.ended_at == utc(2026, 3, 9, 10, 15) and entry.description == "longer"


def test_edit_errors_keep_the_entry_unchanged(logged_in, employee, frozen):
    entry = TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))
    url = reverse("timetracking:entry-edit", args=[entry.pk])
    response = logged_in.post(url, {"date": "2026-03-09", "start": "09:00", "end": "08:00", "tags": "new"})
    assert response.status_code == 400 and field_error(response.content.decode(), "end")
    entry.refresh_from_db()
    assert entry.ended_at == utc(2026, 3, 9, 9) and not entry.tags.exists()


def test_delete_an_entry(logged_in, employee):
    entry = TimeEntryFactory(user=employee)
    url = reverse("timetracking:entry-delete", args=[entry.pk])
    assert logged_in.get(url).status_code == 200
    assert logged_in.post(url).status_code == 302
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize("who", ["colleague", "manager", "outsider"])
def test_someone_elses_entry_pages_are_404(request, client, employee, who):
    entry = TimeEntryFactory(user=employee)
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("timetracking:entry-edit", args=[entry.pk])).status_code == 404
    assert client.post(reverse("timetracking:entry-delete", args=[entry.pk])).status_code == 404
    assert TimeEntry.objects.exists()


def test_a_manager_opens_a_reports_week_read_only(client, manager, employee, frozen):
    TimeEntryFactory(user=employee, description="report's work", started_at=utc(2026, 3, 9, 8))
    client.force_login(manager)
    html = client.get(WEEK_URL).content.decode()
    assert f"user={employee.pk}" in html  # the team links
    response = client.get(WEEK_URL, {"user": employee.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert "read-only" in html and "report&#x27;s work" in html
    assert 'action="/time/entries/new/"' not in html and "/edit/" not in html


def test_hr_opens_anyones_week_read_only(client, hr, outsider):
    client.force_login(hr)
    response = client.get(WEEK_URL, {"user": outsider.pk})
    assert response.status_code == 200 and "read-only" in response.content.decode()


@pytest.mark.parametrize("who", ["colleague", "outsider", "other_manager"])
def test_others_cannot_open_someones_week(request, client, employee, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(WEEK_URL, {"user": employee.pk}).status_code == 404
    assert client.get(WEEK_URL, {"user": "abc"}).status_code == 404


def test_copy_last_weeks_projects(logged_in, employee, frozen):
    task = TaskFactory()
    TimeEntryFactory(user=employee, project=task.project, task=task, started_at=utc(2026, 3, 3, 8))
    response = logged_in.post(reverse("timetracking:copy-last-week"), {"week": "2026-03-09"})
    assert response.status_code == 302
    row = TimesheetRow.objects.get(user=employee)
    assert (row.week_start.isoformat(), row.task) == ("2026-03-09", task)
    html = logged_in.get(WEEK_URL).content.decode()
    # The row's cells: one input per day, each saving its project and task.
    assert html.count(f'"project": "{task.project.pk}", "task": "{task.pk}"') == 7
    logged_in.post(reverse("timetracking:copy-last-week"), {"week": "2026-03-09"})
    assert TimesheetRow.objects.count() == 1
    # An empty pinned row can be removed again.
    assert "Remove the row" in html
    remove = {"week": "2026-03-09", "project": task.project.pk, "task": task.pk}
    assert logged_in.post(reverse("timetracking:row-remove"), remove).status_code == 302
    assert not TimesheetRow.objects.exists()
    assert logged_in.post(reverse("timetracking:row-remove"), {"project": "x"}).status_code == 404


def test_week_page_query_count_does_not_grow_with_entries(logged_in, employee, frozen, django_assert_max_num_queries):
    def make(count, offset):
        for n in range(count):
            task = TaskFactory()
            start = utc(2026, 3, 9, 6) + timedelta(hours=offset + n)
            TimeEntryFactory(user=employee, project=task.project, task=task, started_at=start)

    make(2, 0)
    with django_assert_max_num_queries(20) as captured:
        assert logged_in.get(WEEK_URL).status_code == 200
    few = len(captured.captured_queries)
    make(20, 3)
    with django_assert_max_num_queries(few):
        assert logged_in.get(WEEK_URL).status_code == 200


def test_nav_links_to_the_timesheet(logged_in):
    assert f'href="{WEEK_URL}"' in logged_in.get("/").content.decode()


@pytest.mark.parametrize("value", ["", "2", "x", None])
def test_picker_select_renders_what_django_select_renders(value):
    from django.test.html import parse_html

    from timetracking.forms import PickerSelect

    choices = [
        ("", "— No task —"),
        ("Acme · <Site> & co", [("1", "Design"), ("2", 'Build "it"')]),
        ("Internal", [("3", "Meetings")]),
    ]
    attrs = {"id": "id_task", "required": True, "class": "picker"}
    fast = PickerSelect(choices=choices).render("task", value, attrs=attrs)
    stock = forms.Select(choices=choices).render("task", value, attrs=attrs)
    assert parse_html(fast) == parse_html(stock)
    assert ('<option value="2" selected>' in fast) == (value == "2")


def test_a_timer_form_posted_without_htmx_never_lands_on_a_post_only_url(client, employee):
    """The bar an htmx answer renders names that answer's URL as `next`; posted natively (before
    htmx took the form over), it must land on a page, not on /time/timer/stop/ (a 405)."""
    from django.urls import reverse

    client.force_login(employee)
    client.post(reverse("timetracking:timer-start"), {"description": "Quick call", "next": "/time/"})
    response = client.post(
        reverse("timetracking:timer-stop"), {"keep": "1", "next": reverse("timetracking:timer-stop")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    back = client.post(reverse("timetracking:timer-start"), {"description": "Again", "next": "/time/"})
    assert back["Location"] == "/time/"
