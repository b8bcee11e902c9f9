"""Compliance and period close on the pages: violations on /time/ and the dashboard, warnings
after saving, block mode, submitting a week, a locked week read-only, and the team page."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from timetracking import services
from timetracking.models import TimeEntry, TimesheetPeriod
from timetracking.tests.conftest import NOW
from timetracking.tests.factories import TimeEntryFactory, utc

pytestmark = pytest.mark.django_db

WEEK_URL = reverse("timetracking:week")
TEAM_URL = reverse("timetracking:team")
CREATE_URL = reverse("timetracking:entry-create")
SUBMIT_URL = reverse("timetracking:period-submit")
WEEK = date(2026, 3, 2)


def long_day(user, day=9):
    return TimeEntryFactory(user=user, started_at=utc(2026, 3, day, 7), ended_at=utc(2026, 3, day, 18))


def as_user(client, user):
    client.force_login(user)
    return client


# --- week page ----------------------------------------------------------------------------------------


def test_week_page_lists_the_weeks_violations(client, employee, frozen):
    as_user(client, employee)
    assert "No working-time rule was breached" in client.get(WEEK_URL).content.decode()
    long_day(employee)
    html = client.get(WEEK_URL).content.decode()
    assert 'data-rule="daily_hours"' in html and 'data-rule="breaks"' in html
    assert "11:00 h of work" in html


def test_saving_a_violating_entry_warns_but_saves(client, employee, frozen):
    as_user(client, employee)
    response = client.post(CREATE_URL, {"date": "2026-03-09", "start": "08:00", "end": "18:30"}, follow=True)
    assert response.status_code == 200 and TimeEntry.objects.count() == 1
    html = response.content.decode()
    assert "Entry added." in html and "Working-time rule:" in html and "10:30 h of work" in html


def test_editing_into_a_violation_warns(client, employee, frozen):
    entry = TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 7), ended_at=utc(2026, 3, 9, 12))
    as_user(client, employee)
    response = client.post(
        reverse("timetracking:entry-edit", args=[entry.pk]),
        {"date": "2026-03-09", "start": "08:00", "end": "14:30"},
        follow=True,
    )
    assert "Working-time rule:" in response.content.decode()


def test_block_mode_shows_the_violation_as_a_form_error(client, employee, settings, frozen):
    settings.WORKING_TIME_BLOCK_ON_VIOLATION = True
    as_user(client, employee)
    response = client.post(CREATE_URL, {"date": "2026-03-09", "start": "08:00", "end": "18:30"})
    assert response.status_code == 409
    assert "This would breach the working-time rules" in response.content.decode()
    assert not TimeEntry.objects.exists()


def test_submit_the_week_from_the_week_page(client, employee, frozen):
    as_user(client, employee)
    html = client.get(WEEK_URL).content.decode()
    assert "Submit week for approval" in html and 'data-testid="period-badge">Draft<' in html
    response = client.post(SUBMIT_URL, {"week": "2026-03-09"})
    assert response.status_code == 302 and response.headers["Location"] == f"{WEEK_URL}?week=2026-03-09"
    html = client.get(WEEK_URL).content.decode()
    assert "Submitted" in html and "Submit week for approval" not in html
    # Twice: a message, not an error page.
    response = client.post(SUBMIT_URL, {"week": "2026-03-09"}, follow=True)
    assert "already submitted" in response.content.decode()


def test_a_future_week_has_no_submit_button_and_refuses(client, employee, frozen):
    as_user(client, employee)
    assert "Submit week for approval" not in client.get(WEEK_URL, {"week": "2026-03-16"}).content.decode()
    response = client.post(SUBMIT_URL, {"week": "2026-03-16"}, follow=True)
    assert "has not started yet" in response.content.decode()
    assert not TimesheetPeriod.objects.exists()


@pytest.fixture
def locked_entry(employee, manager, frozen):
    entry = TimeEntryFactory(user=employee, started_at=utc(2026, 3, 4, 8), ended_at=utc(2026, 3, 4, 10))
    services.period_approve(actor=manager, period=services.period_submit(user=employee, day=WEEK))
    return entry


def test_a_locked_week_is_read_only(client, employee, locked_entry):
    as_user(client, employee)
    html = client.get(WEEK_URL, {"week": "2026-03-02"}).content.decode()
    assert "approved and locked" in html
    assert 'id="add-entry"' not in html
    assert reverse("timetracking:entry-edit", args=[locked_entry.pk]) not in html
    assert "Submit week for approval" not in html


def test_a_locked_week_refuses_writes_through_the_pages(client, employee, locked_entry):
    as_user(client, employee)
    response = client.post(CREATE_URL, {"date": "2026-03-05", "start": "08:00", "end": "09:00"}, follow=True)
    assert "is approved and locked; it must be reopened" in response.content.decode()
    response = client.post(
        reverse("timetracking:entry-edit", args=[locked_entry.pk]),
        {"date": "2026-03-04", "start": "09:00", "end": "12:00"},
    )
    assert response.status_code == 409 and "approved and locked" in response.content.decode()
    response = client.post(reverse("timetracking:entry-delete", args=[locked_entry.pk]), follow=True)
    assert "approved and locked" in response.content.decode()
    assert TimeEntry.objects.count() == 1
    locked_entry.refresh_from_db()
    assert locked_entry.ended_at == utc(2026, 3, 4, 10)


# --- team page ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["employee", "outsider"])
def test_the_team_page_is_for_managers_and_hr(client, request, who):
    assert as_user(client, request.getfixturevalue(who)).get(TEAM_URL).status_code == 403


def test_team_page_requires_login(client):
    assert client.get(TEAM_URL).status_code == 302


def test_team_page_shows_hours_violations_and_status(client, manager, employee, colleague, outsider, frozen):
    long_day(employee)
    long_day(outsider)
    services.period_submit(user=colleague, day=WEEK)
    html = as_user(client, manager).get(TEAM_URL).content.decode()
    assert f'data-user-id="{employee.pk}"' in html and f'data-user-id="{colleague.pk}"' in html
    assert f'data-user-id="{outsider.pk}"' not in html
    assert "11:00" in html and 'data-rule="daily_hours"' in html
    assert 'data-testid="violation-count">2<' in html  # daily maximum + breaks, the employee's only
    # The colleague's last week waits in the queue.
    period = TimesheetPeriod.objects.get(user=colleague)
    assert f'data-period-id="{period.pk}"' in html


def _team_row(html, user):
    start = html.index(f'data-user-id="{user.pk}"')
    return html[start : html.index("</tr>", start)]


def test_team_page_expects_the_contract_so_far_and_rounds_to_the_minute(client, manager, employee, frozen):
    # NOW is a Tuesday noon: a 40 h Monday-to-Friday contract expects Monday's 8:00 in full and
    # Tuesday's only as far as it is worked (nothing yet), not 16:00 and not the week's 40:00.
    employee.weekly_hours, employee.working_weekdays = 40, "12345"
    employee.save(update_fields=["weekly_hours", "working_weekdays"])
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 7), ended_at=utc(2026, 3, 9, 15, 10, 30))  # 8:10:30
    row = _team_row(as_user(client, manager).get(TEAM_URL).content.decode(), employee)
    assert ">8:11<" in row  # to the nearest minute, not cut to 8:10
    # Expected to date 8:00; the whole week's 40:00 only in its own column, beside it.
    assert ">8:00<" in row and row.count(">40:00<") == 1 and '<td class="numeric muted">40:00</td>' in row
    assert ">+0:11<" in row  # the difference of the figures shown: 8:11 − 8:00


@pytest.mark.parametrize(
    ("tuesday_hours", "expected", "difference"),
    [(3, "11:00", "+0:00"), (10, "16:00", "+2:00")],
)
def test_team_page_counts_today_as_far_as_it_is_worked(
    client, manager, employee, frozen, tuesday_hours, expected, difference
):
    # Monday 8:00 worked; Tuesday (today) 3 h so far → expected 8:00 + 3:00, nobody behind yet;
    # 10 h today → today's share is capped at its 8:00, the 2:00 beyond it is ahead.
    employee.weekly_hours, employee.working_weekdays = 40, "12345"
    employee.save(update_fields=["weekly_hours", "working_weekdays"])
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 7), ended_at=utc(2026, 3, 9, 15))
    TimeEntryFactory(user=employee, started_at=NOW - timedelta(hours=tuesday_hours), ended_at=NOW)
    row = _team_row(as_user(client, manager).get(TEAM_URL).content.decode(), employee)
    assert f">{expected}<" in row and f">{difference}<" in row


def test_team_page_expects_the_whole_week_once_it_is_over_and_nothing_before(client, manager, employee, frozen):
    employee.weekly_hours, employee.working_weekdays = 40, "12345"
    employee.save(update_fields=["weekly_hours", "working_weekdays"])
    as_user(client, manager)
    last_week = _team_row(client.get(TEAM_URL, {"week": "2026-03-02"}).content.decode(), employee)
    next_week = _team_row(client.get(TEAM_URL, {"week": "2026-03-16"}).content.decode(), employee)
    assert ">40:00<" in last_week and ">−40:00<" in last_week
    assert ">0:00<" in next_week and ">+0:00<" in next_week


def test_hr_sees_everyone_on_the_team_page(client, hr, employee, outsider, frozen):
    html = as_user(client, hr).get(TEAM_URL).content.decode()
    assert f'data-user-id="{employee.pk}"' in html and f'data-user-id="{outsider.pk}"' in html


def test_approve_reject_and_reopen_on_the_team_page(client, manager, employee, colleague, frozen):
    period = services.period_submit(user=employee, day=WEEK)
    other = services.period_submit(user=colleague, day=WEEK)
    as_user(client, manager)
    response = client.post(reverse("timetracking:period-approve", args=[period.pk]), {"next": TEAM_URL})
    assert response.status_code == 302 and response.headers["Location"] == TEAM_URL
    period.refresh_from_db()
    assert period.status == "approved"
    client.post(reverse("timetracking:period-reject", args=[other.pk]), {"note": "Friday?"})
    other.refresh_from_db()
    assert (other.status, other.note) == ("draft", "Friday?")

    response = client.post(reverse("timetracking:period-reopen", args=[period.pk]), {"reason": ""}, follow=True)
    assert "Give a reason." in response.content.decode()
    period.refresh_from_db()
    assert period.status == "approved"
    client.post(reverse("timetracking:period-reopen", args=[period.pk]), {"reason": "Wrong project on Tuesday"})
    period.refresh_from_db()
    assert (period.status, period.reopen_reason) == ("reopened", "Wrong project on Tuesday")


def test_deciding_someone_elses_week_is_404_and_ones_own_is_refused(client, employee, other_manager, manager, frozen):
    period = services.period_submit(user=employee, day=WEEK)
    as_user(client, other_manager)
    assert client.post(reverse("timetracking:period-approve", args=[period.pk])).status_code == 404
    assert client.get(reverse("timetracking:period-approve", args=[period.pk])).status_code == 405
    own = services.period_submit(user=manager, day=WEEK)
    response = as_user(client, manager).post(reverse("timetracking:period-approve", args=[own.pk]), follow=True)
    assert "cannot approve your own week" in response.content.decode()
    own.refresh_from_db()
    assert own.status == "submitted"


def test_an_unsafe_next_is_ignored(client, manager, employee, frozen):
    period = services.period_submit(user=employee, day=WEEK)
    response = as_user(client, manager).post(
        reverse("timetracking:period-approve", args=[period.pk]), {"next": "https://evil.example/"}
    )
    assert response.headers["Location"] == f"{TEAM_URL}?week=2026-03-02"


def test_team_page_query_count_does_not_grow(client, manager, frozen, django_assert_max_num_queries):
    def make(count):
        for _ in range(count):
            user = UserFactory(manager=manager)
            long_day(user)
            services.period_submit(user=user, day=WEEK)
            services.period_submit(user=user, day=date(2026, 3, 9))

    make(2)
    as_user(client, manager)
    with django_assert_max_num_queries(25) as captured:
        assert client.get(TEAM_URL).status_code == 200
    make(12)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        assert client.get(TEAM_URL).status_code == 200


def test_week_page_query_count_with_violations_does_not_grow(client, employee, frozen, django_assert_max_num_queries):
    as_user(client, employee)
    long_day(employee)
    with django_assert_max_num_queries(25) as captured:
        assert client.get(WEEK_URL).status_code == 200
    for day in (10, 11, 12):
        long_day(employee, day=day)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        assert client.get(WEEK_URL).status_code == 200


# --- dashboard --------------------------------------------------------------------------------------------


def test_dashboard_shows_violations_and_the_approval_queue(client, employee, manager, frozen):
    long_day(employee)
    html = as_user(client, employee).get("/").content.decode()
    assert 'data-testid="dashboard-violations"' in html and "11:00 h of work" in html
    assert "waiting for your approval" not in html
    services.period_submit(user=employee, day=WEEK)
    html = as_user(client, manager).get("/").content.decode()
    assert 'data-testid="waiting-approvals">1 week waiting for your approval' in html


def test_stopping_the_timer_on_the_dashboard_warns(client, employee, frozen):
    services.timer_start(user=employee, started_at=NOW - timedelta(hours=10, minutes=30))
    as_user(client, employee)
    response = client.post(reverse("timetracking:timer-stop"), HTTP_HX_REQUEST="true")
    assert "Working-time rule:" in response.content.decode()


def test_team_link_in_the_navigation_for_managers_only(client, manager, employee):
    assert f'href="{TEAM_URL}"' in as_user(client, manager).get("/").content.decode()
    assert f'href="{TEAM_URL}"' not in as_user(client, employee).get("/").content.decode()
