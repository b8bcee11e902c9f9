"""`compliance/violations/` (who sees whose, filters, bad input, query count) and the `warnings`
that entry writes answer with (create, update, bulk, timer stop), or the 409 of block mode."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from timetracking import services
from timetracking.models import TimeEntry
from timetracking.tests.conftest import NOW
from timetracking.tests.factories import TimeEntryFactory, utc

pytestmark = pytest.mark.django_db

VIOLATIONS_URL = reverse("api:compliance-violations")
ENTRIES_URL = reverse("api:time-entry-list")
BULK_URL = reverse("api:time-entry-bulk")


def long_day(user, day=9):
    """11 h without a break on 2026-03-<day> (Berlin 08:00–19:00): daily maximum and breaks."""
    return TimeEntryFactory(user=user, started_at=utc(2026, 3, day, 7), ended_at=utc(2026, 3, day, 18))


def users_in(response):
    assert response.status_code == 200, response.json()
    return {row["user"] for row in response.json()["results"]}


# --- compliance/violations/ -----------------------------------------------------------------------


@pytest.fixture
def everyone_long_days(employee, colleague, outsider, manager):
    for user in (employee, colleague, outsider, manager):
        long_day(user)
    return {"employee": employee, "colleague": colleague, "outsider": outsider, "manager": manager}


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("employee", {"employee"}),
        ("manager", {"employee", "colleague", "manager"}),
        ("other_manager", {"outsider"}),
        ("outsider", {"outsider"}),
        ("hr", {"employee", "colleague", "outsider", "manager"}),
    ],
)
def test_who_sees_whose_violations(request, client_for, everyone_long_days, other_manager, hr, frozen, who, sees):
    viewer = request.getfixturevalue(who)
    assert users_in(client_for(viewer).get(VIOLATIONS_URL)) == {everyone_long_days[name].pk for name in sees}


def test_a_violation_carries_rule_user_period_and_figures(client_for, employee, frozen):
    long_day(employee)
    rows = client_for(employee).get(VIOLATIONS_URL, {"from": "2026-03-09", "to": "2026-03-09"}).json()["results"]
    daily = next(row for row in rows if row["rule"] == "daily_hours")
    assert daily["user"] == employee.pk
    assert (daily["period_start"], daily["period_end"]) == ("2026-03-09", "2026-03-09")
    assert (daily["actual"], daily["limit"], daily["unit"]) == ("11.00", "10.00", "hours")
    assert daily["rule_label"] == "Maximum daily working time" and daily["message"]
    assert {row["rule"] for row in rows} == {"daily_hours", "breaks"}


@pytest.mark.parametrize("who", ["employee", "colleague", "other_manager", "outsider"])
def test_someone_elses_violations_are_404(request, client_for, employee, manager, who):
    long_day(manager)
    viewer = request.getfixturevalue(who)
    assert client_for(viewer).get(VIOLATIONS_URL, {"user": manager.pk}).status_code == 404
    assert client_for(viewer).get(VIOLATIONS_URL, {"user": 999999}).status_code == 404


def test_manager_and_hr_filter_on_one_user(client_for, employee, colleague, manager, hr, frozen):
    long_day(employee)
    long_day(colleague)
    for viewer in (manager, hr):
        assert users_in(client_for(viewer).get(VIOLATIONS_URL, {"user": employee.pk})) == {employee.pk}


def test_filters_on_rule_and_days(client_for, employee, frozen):
    long_day(employee, day=2)
    long_day(employee, day=9)
    client = client_for(employee)
    rows = client.get(VIOLATIONS_URL, {"rule": "daily_hours"}).json()["results"]
    assert [row["period_start"] for row in rows] == ["2026-03-02", "2026-03-09"]
    rows = client.get(VIOLATIONS_URL, {"from": "2026-03-05", "to": "2026-03-15", "rule": "daily_hours"}).json()
    assert [row["period_start"] for row in rows["results"]] == ["2026-03-09"]
    assert client.get(VIOLATIONS_URL, {"from": "2026-02-01", "to": "2026-02-28"}).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),
        ({"from": "2024-01-01", "to": "2026-03-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"rule": "lunch"}, "rule"),
        ({"user": "abc"}, "user"),
    ],
)
def test_bad_query_is_400(client_for, employee, frozen, params, field):
    response = client_for(employee).get(VIOLATIONS_URL, params)
    assert response.status_code == 400 and field in response.json()


def test_violations_need_authentication(api_client):
    assert api_client.get(VIOLATIONS_URL).status_code in (401, 403)


def test_violations_query_count_does_not_grow(client_for, hr, frozen, django_assert_max_num_queries):
    def make(count):
        for _ in range(count):
            user = UserFactory()
            long_day(user)
            long_day(user, day=2)

    make(2)
    client = client_for(hr)
    with django_assert_max_num_queries(10) as captured:
        assert client.get(VIOLATIONS_URL).status_code == 200
    make(15)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        response = client.get(VIOLATIONS_URL)
    assert response.json()["count"] == 4 * 17  # daily maximum + breaks, two days each


# --- warnings on entry writes -----------------------------------------------------------------------


def test_create_answers_with_warnings_and_keeps_every_field(client_for, employee, frozen):
    client = client_for(employee)
    ok = client.post(ENTRIES_URL, {"started_at": "2026-03-09T08:00:00+01:00", "duration": "2:00"})
    assert ok.status_code == 201 and ok.json()["warnings"] == []
    plain_fields = set(client.get(reverse("api:time-entry-detail", args=[ok.json()["id"]])).json())
    assert plain_fields | {"warnings"} == set(ok.json())

    long = client.post(
        ENTRIES_URL, {"started_at": "2026-03-09T10:00:00+01:00", "ended_at": "2026-03-09T18:30:00+01:00"}
    )
    assert long.status_code == 201
    warnings = long.json()["warnings"]
    assert {warning["rule"] for warning in warnings} == {"daily_hours", "breaks"}
    daily = next(warning for warning in warnings if warning["rule"] == "daily_hours")
    assert daily["actual"] == "10.50" and daily["user"] == employee.pk


def test_an_existing_violation_elsewhere_is_not_repeated(client_for, employee, frozen):
    long_day(employee, day=2)
    response = client_for(employee).post(ENTRIES_URL, {"started_at": "2026-03-09T08:00:00+01:00", "duration": "1h"})
    assert response.json()["warnings"] == []


def test_update_warns_when_it_creates_a_violation(client_for, employee, frozen):
    entry = TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 7), ended_at=utc(2026, 3, 9, 12))
    response = client_for(employee).patch(
        reverse("api:time-entry-detail", args=[entry.pk]), {"ended_at": "2026-03-09T14:30:00+01:00"}
    )
    assert response.status_code == 200
    assert [warning["rule"] for warning in response.json()["warnings"]] == ["breaks"]


def test_bulk_judges_all_rows_together(client_for, employee, frozen):
    rows = [
        {"started_at": "2026-03-09T08:00:00+01:00", "ended_at": "2026-03-09T14:00:00+01:00"},  # 6 h in a row
        # 7:30 h that day: alone the first row needs no break, with this one the 30 min before it are it.
        {"started_at": "2026-03-09T14:30:00+01:00", "ended_at": "2026-03-09T16:00:00+01:00"},
    ]
    response = client_for(employee).post(BULK_URL, {"entries": rows}, format="json")
    assert response.status_code == 201 and response.json()["warnings"] == []

    late = [{"started_at": "2026-03-09T16:30:00+01:00", "ended_at": "2026-03-09T20:30:00+01:00"}]  # 11 h, 1 h of breaks
    response = client_for(employee).post(BULK_URL, {"entries": late}, format="json")
    assert response.status_code == 201
    assert [warning["rule"] for warning in response.json()["warnings"]] == ["daily_hours"]


def test_timer_stop_warns(client_for, employee, frozen):
    services.timer_start(user=employee, started_at=NOW - timedelta(hours=10, minutes=30))
    response = client_for(employee).post(reverse("api:timer-stop"), {})
    assert response.status_code == 200
    assert "daily_hours" in {warning["rule"] for warning in response.json()["warnings"]}


def test_timer_switch_warns_about_the_stopped_timer(client_for, employee, frozen):
    services.timer_start(user=employee, started_at=NOW - timedelta(hours=6, minutes=30))
    response = client_for(employee).post(reverse("api:timer-start"), {"switch": True})
    assert response.status_code == 201
    assert [warning["rule"] for warning in response.json()["warnings"]] == ["breaks"]


# --- block mode -------------------------------------------------------------------------------------------


def test_block_mode_refuses_a_violating_write_with_409(client_for, employee, settings, frozen):
    settings.WORKING_TIME_BLOCK_ON_VIOLATION = True
    client = client_for(employee)
    response = client.post(
        ENTRIES_URL, {"started_at": "2026-03-09T08:00:00+01:00", "ended_at": "2026-03-09T18:30:00+01:00"}
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "compliance_violation"
    assert {violation["rule"] for violation in body["violations"]} == {"daily_hours", "breaks"}
    assert not TimeEntry.objects.exists()
    # A compliant entry is still saved.
    assert client.post(ENTRIES_URL, {"started_at": "2026-03-09T08:00:00+01:00", "duration": "4h"}).status_code == 201


def test_block_mode_refuses_the_whole_bulk_request(client_for, employee, settings, frozen):
    settings.WORKING_TIME_BLOCK_ON_VIOLATION = True
    rows = [
        {"started_at": "2026-03-09T08:00:00+01:00", "ended_at": "2026-03-09T12:00:00+01:00"},
        {"started_at": "2026-03-09T12:00:00+01:00", "ended_at": "2026-03-09T15:00:00+01:00"},
    ]
    response = client_for(employee).post(BULK_URL, {"entries": rows}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "compliance_violation"
    assert not TimeEntry.objects.exists()


def test_block_mode_refuses_a_timer_stop(client_for, employee, settings, frozen):
    services.timer_start(user=employee, started_at=NOW - timedelta(hours=10, minutes=30))
    settings.WORKING_TIME_BLOCK_ON_VIOLATION = True
    response = client_for(employee).post(reverse("api:timer-stop"), {})
    assert response.status_code == 409
    assert TimeEntry.objects.get().is_running
