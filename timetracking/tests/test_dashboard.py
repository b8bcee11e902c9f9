"""The header timer's pages (start, stop, switch, keep or discard, continue, suggestions, state)
with and without htmx, and the dashboard's time panel."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent
from timetracking.models import TimeEntry
from timetracking.tests.conftest import NOW
from timetracking.tests.factories import ProjectFactory, TagFactory, TaskFactory, TimeEntryFactory, utc

pytestmark = pytest.mark.django_db

START_URL = reverse("timetracking:timer-start")
STOP_URL = reverse("timetracking:timer-stop")
DISCARD_URL = reverse("timetracking:timer-discard")
SUGGEST_URL = reverse("timetracking:timer-suggestions")
STATE_URL = reverse("timetracking:timer-state")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def logged_in(client, employee):
    client.force_login(employee)
    return client


def start(client, description="", **fields):
    data = {"timer-description": description, **{f"timer-{name}": value for name, value in fields.items()}}
    return client.post(START_URL, data, **HTMX)


# --- The bar on every page ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/time/", "/leave/", "/reports/", "/factories/", "/accounts/password/"])
def test_every_page_carries_the_timer(logged_in, path):
    html = logged_in.get(path).content.decode()
    assert 'id="header-timer"' in html and "What are you working on?" in html


def test_the_bar_shows_the_running_timer_on_any_page(logged_in, employee, frozen):
    project = ProjectFactory(name="Website")
    TimeEntryFactory(
        user=employee, project=project, description="Navigation", started_at=NOW - timedelta(minutes=42), ended_at=None
    )
    html = logged_in.get("/leave/").content.decode()
    assert "is-running" in html and "Navigation" in html and "Website" in html
    assert 'data-tt-elapsed="2520"' in html and ">Stop<" in html


def test_the_header_costs_one_query(logged_in, employee, frozen):
    """The timer adds one query to a page: the running entry with its project and task."""
    TimeEntryFactory(user=employee, project=TaskFactory().project, started_at=NOW - timedelta(minutes=5), ended_at=None)
    with CaptureQueriesContext(connection) as captured:
        assert logged_in.get("/accounts/password/").status_code == 200
    timer_queries = [query["sql"] for query in captured.captured_queries if "timetracking_timeentry" in query["sql"]]
    assert len(timer_queries) == 1
    # A page that renders no header (the admin, the API) pays nothing.
    logged_in.force_login(employee)
    with CaptureQueriesContext(connection) as captured:
        logged_in.get("/api/v1/users/me/")
    assert not [query for query in captured.captured_queries if "timetracking_timeentry" in query["sql"]]


def test_signed_out_there_is_no_bar_and_no_timer_page(client):
    assert 'id="header-timer"' not in client.get("/accounts/login/").content.decode()
    assert client.get(STATE_URL).status_code == 302
    assert client.post(START_URL, {"timer-description": "x"}).status_code == 302
    assert not TimeEntry.objects.exists()


# --- Start, stop, switch ------------------------------------------------------------------------


def test_start_and_stop_without_javascript(logged_in, employee, frozen):
    task = TaskFactory()
    data = {"timer-project": task.project.pk, "timer-task": task.pk, "timer-description": "Coding", "next": "/leave/"}
    response = logged_in.post(START_URL, data)
    assert response.status_code == 302 and response.headers["Location"] == "/leave/"
    assert TimeEntry.objects.running().get().task == task
    frozen.shift(timedelta(minutes=30))
    assert logged_in.post(STOP_URL).status_code == 302
    assert TimeEntry.objects.get().duration == timedelta(minutes=30)


def test_start_with_htmx_answers_the_bar_and_tells_the_page(logged_in, frozen):
    response = start(logged_in, "htmx")
    assert response.status_code == 200 and response["HX-Trigger"] == "timer-changed"
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="header-timer"') and "<html" not in html
    assert "is-running" in html and "htmx" in html and "Timer started." in html
    frozen.shift(timedelta(minutes=2))
    response = logged_in.post(STOP_URL, **HTMX)
    assert response.status_code == 200 and "is-running" not in response.content.decode()


def test_shorthand_picks_project_task_and_tags(logged_in, frozen):
    task = TaskFactory(name="Frontend", project=ProjectFactory(name="Web site"))
    assert start(logged_in, "Fix login @website/front #bug #urgent").status_code == 200
    entry = TimeEntry.objects.running().get()
    assert (entry.project, entry.task, entry.description) == (task.project, task, "Fix login")
    assert sorted(tag.name for tag in entry.tags.all()) == ["bug", "urgent"]


@pytest.mark.parametrize(
    ("text", "message"),
    [("Work @nothing", "No project you can log to matches"), ("Work @proj", "matches several projects")],
)
def test_bad_shorthand_is_shown_at_the_box(logged_in, text, message):
    ProjectFactory(name="Project A")
    ProjectFactory(name="Project B")
    response = start(logged_in, text)
    html = response.content.decode()
    assert response.status_code == 400 and message in html
    assert 'aria-invalid="true"' in html and 'id="timer-error" role="alert"' in html
    assert f'value="{text}"' in html  # what was typed stays in the box
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize("value", ["abc", "-3", "1.5", "99999999999999999999"])
def test_a_mangled_suggestion_is_refused_in_words(logged_in, value):
    response = start(logged_in, "x", project=value)
    assert response.status_code == 400 and "Pick the suggestion again" in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_a_project_one_may_not_log_to_is_refused(logged_in, other_manager):
    private = ProjectFactory(members=[other_manager])
    archived = ProjectFactory(active=False)
    assert "not a member" in start(logged_in, "x", project=private.pk).content.decode()
    assert "archived" in start(logged_in, "x", project=archived.pk).content.decode()
    assert start(logged_in, "x", project=10**6).status_code == 400
    assert not TimeEntry.objects.exists()


def test_switch(logged_in, frozen):
    start(logged_in, "first")
    frozen.shift(timedelta(minutes=10))
    assert start(logged_in, "second", switch="on").status_code == 200
    first, second = TimeEntry.objects.order_by("started_at")
    assert first.ended_at == second.started_at == NOW + timedelta(minutes=10) and second.is_running


def test_second_start_without_switch_is_a_conflict(logged_in, frozen):
    start(logged_in, "first")
    response = start(logged_in, "second")
    assert response.status_code == 409 and "already running" in response.content.decode()
    response = logged_in.post(START_URL, {"timer-description": "second"}, follow=True)
    assert "already running" in response.content.decode()
    assert TimeEntry.objects.count() == 1


def test_stop_without_timer_is_a_conflict(logged_in):
    response = logged_in.post(STOP_URL, **HTMX)
    assert response.status_code == 409 and "No timer is running" in response.content.decode()
    assert "No timer is running" in logged_in.post(STOP_URL, follow=True).content.decode()


def test_next_must_be_local(logged_in, frozen):
    response = logged_in.post(START_URL, {"next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_timer_writes_are_post_only(logged_in):
    for url in (START_URL, STOP_URL, DISCARD_URL, reverse("timetracking:timer-continue", args=[1])):
        assert logged_in.get(url).status_code == 405
    assert logged_in.post(SUGGEST_URL).status_code == 405


# --- A short timer: keep or discard --------------------------------------------------------------


def test_a_short_timer_asks_before_it_is_kept(logged_in, employee, frozen, settings):
    settings.TIMER_MIN_SECONDS = 60
    start(logged_in, "oops")
    frozen.shift(timedelta(seconds=4))
    response = logged_in.post(STOP_URL, **HTMX)
    html = response.content.decode()
    assert response.status_code == 409 and "ran for 4 seconds only" in html
    assert "Keep it" in html and "Discard it" in html
    assert TimeEntry.objects.running().exists()  # nothing was decided yet
    response = logged_in.post(STOP_URL, {"keep": "1"}, **HTMX)
    assert response.status_code == 200
    assert TimeEntry.objects.get().duration == timedelta(seconds=4)


def test_a_short_timer_can_be_discarded(logged_in, employee, frozen):
    start(logged_in, "oops")
    frozen.shift(timedelta(seconds=4))
    logged_in.post(STOP_URL, **HTMX)
    response = logged_in.post(DISCARD_URL, **HTMX)
    assert response.status_code == 200 and response["HX-Trigger"] == "timer-changed"
    assert not TimeEntry.objects.exists()
    assert AuditEvent.objects.filter(action="time_entry.deleted", actor=employee).count() == 1
    response = logged_in.post(DISCARD_URL, **HTMX)
    assert response.status_code == 409 and "No timer is running" in response.content.decode()


def test_a_long_enough_timer_stops_without_a_question(logged_in, frozen, settings):
    settings.TIMER_MIN_SECONDS = 60
    start(logged_in, "real work")
    frozen.shift(timedelta(seconds=60))
    assert logged_in.post(STOP_URL, **HTMX).status_code == 200
    assert TimeEntry.objects.get().duration == timedelta(seconds=60)


def test_without_javascript_a_short_timer_asks_on_the_next_page(logged_in, frozen):
    start(logged_in, "oops")
    response = logged_in.post(STOP_URL, {"next": "/leave/"}, follow=True)
    assert "Keep it" in response.content.decode() and TimeEntry.objects.running().exists()


# --- Continue a recent entry ---------------------------------------------------------------------


def test_continue_restarts_what_an_entry_was(logged_in, employee, frozen):
    task = TaskFactory()
    old = TimeEntryFactory(
        user=employee,
        project=task.project,
        task=task,
        description="Review",
        billable=False,
        tags=[TagFactory(name="qa")],
    )
    response = logged_in.post(reverse("timetracking:timer-continue", args=[old.pk]), **HTMX)
    assert response.status_code == 200 and "Review" in response.content.decode()
    running = TimeEntry.objects.running().get()
    assert (running.project, running.task, running.description, running.billable) == (
        task.project,
        task,
        "Review",
        False,
    )
    assert [tag.name for tag in running.tags.all()] == ["qa"] and running.started_at == NOW


def test_continue_switches_from_a_running_timer(logged_in, employee, frozen):
    old = TimeEntryFactory(user=employee, description="Earlier")
    start(logged_in, "now")
    frozen.shift(timedelta(minutes=5))
    logged_in.post(reverse("timetracking:timer-continue", args=[old.pk]), **HTMX)
    assert TimeEntry.objects.running().get().description == "Earlier"
    assert TimeEntry.objects.get(description="now").ended_at == NOW + timedelta(minutes=5)


def test_someone_elses_entry_does_not_continue(logged_in, outsider, manager):
    for owner in (outsider, manager):
        entry = TimeEntryFactory(user=owner)
        assert logged_in.post(reverse("timetracking:timer-continue", args=[entry.pk]), **HTMX).status_code == 404
    assert not TimeEntry.objects.running().exists()


# --- Suggestions and state ---------------------------------------------------------------------


def test_suggestions_offer_recent_distinct_combinations(logged_in, employee, outsider):
    task = TaskFactory(name="Backend", project=ProjectFactory(name="Shop"))
    for hour in range(3):  # the same combination three times: offered once
        TimeEntryFactory(
            user=employee,
            project=task.project,
            task=task,
            description="API work",
            started_at=utc(2026, 3, 2, 8 + 2 * hour),
        )
    TimeEntryFactory(user=employee, description="Emails", started_at=utc(2026, 3, 3, 8))
    TimeEntryFactory(user=outsider, description="Secret plans")
    html = logged_in.get(SUGGEST_URL).content.decode()
    assert html.count('role="option"') == 2 and "Secret plans" not in html
    assert html.index("Emails") < html.index("API work")  # newest first
    assert f'data-project="{task.project.pk}" data-task="{task.pk}"' in html
    html = logged_in.get(SUGGEST_URL, {"timer-description": "shop"}).content.decode()
    assert html.count('role="option"') == 1 and "API work" in html


def test_after_an_at_sign_projects_and_tasks_are_offered(logged_in, other_manager):
    task = TaskFactory(name="Design", project=ProjectFactory(name="Website"))
    ProjectFactory(name="Webshop private", members=[other_manager])
    html = logged_in.get(SUGGEST_URL, {"timer-description": "Mockups @web"}).content.decode()
    assert "Website" in html and "Website · Design" in html and "private" not in html
    assert 'data-strip-token="1"' in html and f'data-task="{task.pk}"' in html


def test_suggestions_cost_the_same_for_many_entries(logged_in, employee, django_assert_max_num_queries):
    def make(count, day):
        for n in range(count):
            TimeEntryFactory(
                user=employee,
                project=TaskFactory().project,
                description=f"d{day}-{n}",
                tags=[TagFactory()],
                started_at=utc(2026, 3, day, n),
            )

    make(2, 2)
    with django_assert_max_num_queries(10) as captured:
        logged_in.get(SUGGEST_URL)
    few = len(captured.captured_queries)
    make(20, 3)
    with django_assert_max_num_queries(few):
        assert logged_in.get(SUGGEST_URL).content.decode().count('role="option"') == 8


def test_state_is_small_and_says_what_runs(logged_in, employee, frozen):
    assert json.loads(logged_in.get(STATE_URL).content) == {"running": None, "elapsed": 0}
    start(logged_in, "x")
    frozen.shift(timedelta(seconds=90))
    response = logged_in.get(STATE_URL)
    assert json.loads(response.content) == {"running": TimeEntry.objects.get().pk, "elapsed": 90}
    assert response["Cache-Control"] == "no-store"


def test_the_bar_alone(logged_in):
    html = logged_in.get(reverse("timetracking:timer-bar")).content.decode()
    assert html.lstrip().startswith('<section id="header-timer"') and "<html" not in html


# --- The dashboard's time panel ------------------------------------------------------------------


def test_dashboard_shows_today_the_week_and_recent_entries(logged_in, employee, frozen):
    TimeEntryFactory(user=employee, description="morning work", started_at=utc(2026, 3, 10, 8))
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 10))
    html = logged_in.get("/").content.decode()
    assert "morning work" in html and "09:00–10:00" in html  # local (Berlin) times, not UTC
    assert 'data-testid="week-total">3:00<' in html
    assert 'data-testid="recent-entries"' in html and "Continue morning work" in html


def test_dashboard_offers_five_recent_entries_and_links_to_the_rest(logged_in, employee, frozen):
    for day in range(1, 8):  # seven different descriptions, on seven days of March
        TimeEntryFactory(
            user=employee, description=f"task {day}", started_at=utc(2026, 3, day, 8), ended_at=utc(2026, 3, day, 9)
        )
    html = logged_in.get("/").content.decode()
    recent = html[html.index('data-testid="recent-entries"') :]
    recent = recent[: recent.index("</section>")]
    assert recent.count("<li>") == 5 and "Continue task 7" in recent and "Continue task 2" not in recent
    assert "More recent entries on the timesheet" in recent
    # The timesheet shows all ten it keeps, without the link to itself.
    week = logged_in.get(reverse("timetracking:week")).content.decode()
    listed = week[week.index('data-testid="recent-entries"') :]
    listed = listed[: listed.index("</section>")]
    assert listed.count("<li>") == 7 and "More recent entries" not in listed


def test_dashboard_puts_time_in_the_main_column_and_the_other_panels_beside_it(logged_in, frozen):
    html = logged_in.get("/").content.decode()
    main = html[html.index('class="dashboard-main"') : html.index('class="dashboard-side"')]
    side = html[html.index('class="dashboard-side"') :]
    assert 'id="timetracking-widget"' in main and "Leave" in side and "This week vs expected" in side
    assert 'id="timetracking-widget"' not in side


def test_dashboard_empty_state_says_what_to_do(logged_in, frozen):
    html = logged_in.get("/").content.decode()
    assert "Nothing logged today yet" in html and "one click to start again" in html


def test_dashboard_shows_three_violations_and_links_the_rest(logged_in, employee, frozen):
    # Five days of 11 hours without a break: each breaches the daily maximum and the break rule.
    for day in range(2, 7):
        TimeEntryFactory(user=employee, started_at=utc(2026, 3, day, 6), ended_at=utc(2026, 3, day, 17))
    html = logged_in.get("/").content.decode()
    assert html.count('class="tt-violation"') == 3 and "7 more on the timesheet" in html


def test_dashboard_query_count_does_not_grow(logged_in, employee, frozen, django_assert_max_num_queries):
    def make(count, offset):
        for n in range(count):
            task = TaskFactory()
            start = utc(2026, 3, 9, 0) + timedelta(hours=offset + n)
            TimeEntryFactory(user=employee, project=task.project, task=task, started_at=start, tags=[TagFactory()])

    make(2, 0)
    with django_assert_max_num_queries(25) as captured:
        assert logged_in.get("/").status_code == 200
    few = len(captured.captured_queries)
    make(20, 3)
    with django_assert_max_num_queries(few):
        assert logged_in.get("/").status_code == 200
