"""The dashboard panel: the timer with and without htmx, today's entries and the week total."""

from datetime import timedelta

import pytest
from django.urls import reverse

from timetracking.models import TimeEntry
from timetracking.tests.conftest import NOW
from timetracking.tests.factories import ProjectFactory, TaskFactory, TimeEntryFactory, utc

pytestmark = pytest.mark.django_db

START_URL = reverse("timetracking:timer-start")
STOP_URL = reverse("timetracking:timer-stop")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def logged_in(client, employee):
    client.force_login(employee)
    return client


def test_dashboard_shows_the_start_form_today_and_week(logged_in, employee, frozen):
    TimeEntryFactory(user=employee, description="morning work", started_at=utc(2026, 3, 10, 8))
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 10))
    html = logged_in.get("/").content.decode()
    assert "Start timer" in html and "morning work" in html
    assert "09:00–10:00" in html  # local (Berlin) times, not UTC
    assert 'data-testid="week-total">3:00<' in html


def test_start_and_stop_without_javascript(logged_in, employee, frozen):
    task = TaskFactory()
    data = {"timer-project": task.project.pk, "timer-task": task.pk, "timer-description": "Coding"}
    response = logged_in.post(START_URL, data)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert TimeEntry.objects.running().get().task == task
    html = logged_in.get("/").content.decode()
    assert "Timer running" in html and "Stop timer" in html and "Switch" in html
    frozen.shift(timedelta(minutes=30))
    assert logged_in.post(STOP_URL).status_code == 302
    assert TimeEntry.objects.get().duration == timedelta(minutes=30)


def test_start_and_stop_with_htmx_returns_the_panel(logged_in, frozen):
    response = logged_in.post(START_URL, {"timer-description": "htmx"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<article") or 'id="timetracking-widget"' in html
    assert "Timer running" in html and "<html" not in html
    frozen.shift(timedelta(minutes=1))
    html = logged_in.post(STOP_URL, **HTMX).content.decode()
    assert "Start timer" in html and "Timer running" not in html


def test_switch(logged_in, frozen):
    logged_in.post(START_URL, {"timer-description": "first"})
    frozen.shift(timedelta(minutes=10))
    logged_in.post(START_URL, {"timer-description": "second", "timer-switch": "on"})
    first, second = TimeEntry.objects.order_by("started_at")
    assert first.ended_at == second.started_at == NOW + timedelta(minutes=10) and second.is_running


def test_second_start_without_switch_shows_the_conflict(logged_in, frozen):
    logged_in.post(START_URL, {"timer-description": "first"})
    html = logged_in.post(START_URL, {"timer-description": "second"}, **HTMX).content.decode()
    assert "already running" in html
    response = logged_in.post(START_URL, {"timer-description": "second"}, follow=True)
    assert "already running" in response.content.decode()
    assert TimeEntry.objects.count() == 1


def test_stop_without_timer_shows_an_error(logged_in):
    response = logged_in.post(STOP_URL, follow=True)
    assert "No timer is running" in response.content.decode()


def test_start_with_an_archived_project_is_refused(logged_in):
    project = ProjectFactory(active=False)
    html = logged_in.post(START_URL, {"timer-project": project.pk}, **HTMX).content.decode()
    assert 'role="alert"' in html
    assert not TimeEntry.objects.exists()


def test_next_must_be_local(logged_in, frozen):
    response = logged_in.post(START_URL, {"next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_timer_pages_are_post_only(logged_in):
    assert logged_in.get(START_URL).status_code == 405
    assert logged_in.get(reverse("timetracking:timer")).status_code == 200


def test_dashboard_query_count_does_not_grow(logged_in, employee, frozen, django_assert_max_num_queries):
    def make(count, offset):
        for n in range(count):
            task = TaskFactory()
            start = utc(2026, 3, 9, 0) + timedelta(hours=offset + n)
            TimeEntryFactory(user=employee, project=task.project, task=task, started_at=start)

    make(2, 0)
    with django_assert_max_num_queries(25) as captured:
        assert logged_in.get("/").status_code == 200
    few = len(captured.captured_queries)
    make(20, 3)
    with django_assert_max_num_queries(few):
        assert logged_in.get("/").status_code == 200
