"""Period close: submit → approve (locked) / reject → reopen, through services and `periods/`.

A locked week refuses every entry write (create, update, delete, bulk, timer start/stop/switch,
admin) with 409 `period_locked`, for everyone including HR, until it is reopened with a reason.
"""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from timetracking import services
from timetracking.models import TimeEntry, TimesheetPeriod
from timetracking.tests.conftest import NOW
from timetracking.tests.factories import TimeEntryFactory, utc
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:period-list")
SUBMIT_URL = reverse("api:period-submit")
ENTRIES_URL = reverse("api:time-entry-list")
WEEK = date(2026, 3, 2)  # the week before NOW (Tue 10 March 2026)


def action_url(period, name):
    return reverse(f"api:period-{name}", args=[period.pk])


def approved_week(user, approver, week=WEEK):
    period = services.period_submit(user=user, day=week)
    return services.period_approve(actor=approver, period=period)


# --- submit ------------------------------------------------------------------------------------------


def test_submit_any_day_of_the_week(client_for, employee, frozen):
    response = client_for(employee).post(SUBMIT_URL, {"week": "2026-03-05"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["week_start"], body["week_end"], body["status"]) == ("2026-03-02", "2026-03-08", "submitted")
    assert body["user"] == employee.pk and body["submitted_at"] and body["is_locked"] is False


def test_submit_the_current_week_but_not_a_future_one(client_for, employee, frozen):
    client = client_for(employee)
    assert client.post(SUBMIT_URL, {"week": "2026-03-10"}).status_code == 200
    response = client.post(SUBMIT_URL, {"week": "2026-03-16"})
    assert response.status_code == 400 and "week" in response.json()


@pytest.mark.parametrize("body", [{}, {"week": "soon"}, {"week": ""}])
def test_submit_bad_input_is_400(client_for, employee, frozen, body):
    response = client_for(employee).post(SUBMIT_URL, body)
    assert response.status_code == 400 and "week" in response.json()


def test_submit_twice_is_409_and_an_approved_week_cannot_be_resubmitted(client_for, employee, manager, frozen):
    client = client_for(employee)
    client.post(SUBMIT_URL, {"week": "2026-03-02"})
    response = client.post(SUBMIT_URL, {"week": "2026-03-02"})
    assert response.status_code == 409 and response.json()["code"] == "already_submitted"
    services.period_approve(actor=manager, period=TimesheetPeriod.objects.get())
    response = client.post(SUBMIT_URL, {"week": "2026-03-02"})
    assert response.status_code == 409 and response.json()["code"] == "period_locked"


def test_a_week_is_in_the_users_time_zone(employee, frozen):
    employee.timezone = "Pacific/Auckland"  # already Wednesday 11 March 01:00 there
    employee.save()
    period = services.period_submit(user=employee, day=date(2026, 3, 11))
    assert period.week_start == date(2026, 3, 9)


# --- approve / reject / reopen: who may --------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status_code"),
    [
        ("employee", 403),  # their own week
        ("colleague", 404),
        ("other_manager", 404),
        ("outsider", 404),
        ("manager", 200),
        ("hr", 200),
    ],
)
def test_who_may_approve(
    request, client_for, employee, colleague, other_manager, outsider, hr, frozen, who, status_code
):
    period = services.period_submit(user=employee, day=WEEK)
    response = client_for(request.getfixturevalue(who)).post(action_url(period, "approve"))
    assert response.status_code == status_code
    period.refresh_from_db()
    assert period.status == ("approved" if status_code == 200 else "submitted")


def test_a_manager_cannot_approve_their_own_week(client_for, manager, hr, frozen):
    period = services.period_submit(user=manager, day=WEEK)
    response = client_for(manager).post(action_url(period, "approve"))
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    assert client_for(hr).post(action_url(period, "approve")).status_code == 200


def test_hr_cannot_approve_their_own_week(client_for, hr, frozen):
    period = services.period_submit(user=hr, day=WEEK)
    assert client_for(hr).post(action_url(period, "approve")).status_code == 403


def test_approve_twice_is_409(client_for, employee, manager, hr, frozen):
    period = services.period_submit(user=employee, day=WEEK)
    assert client_for(manager).post(action_url(period, "approve")).status_code == 200
    response = client_for(hr).post(action_url(period, "approve"))
    assert response.status_code == 409 and response.json()["code"] == "already_decided"


def test_a_draft_cannot_be_approved(employee, manager, frozen):
    period = TimesheetPeriod.objects.create(user=employee, week_start=WEEK)
    with pytest.raises(services.TimeTrackingConflict):
        services.period_approve(actor=manager, period=period)


def test_approve_refuses_a_week_with_a_running_timer(employee, manager, frozen):
    services.timer_start(user=employee, started_at=utc(2026, 3, 8, 20))  # Sunday evening, still running
    period = services.period_submit(user=employee, day=WEEK)
    with pytest.raises(services.TimeTrackingConflict) as error:
        services.period_approve(actor=manager, period=period)
    assert error.value.code == "timer_running"


def test_reject_sends_the_week_back_with_a_note(client_for, employee, manager, frozen):
    period = services.period_submit(user=employee, day=WEEK)
    assert client_for(manager).post(action_url(period, "reject"), {}).status_code == 400
    assert client_for(manager).post(action_url(period, "reject"), {"note": "x" * 1001}).status_code == 400
    assert client_for(employee).post(action_url(period, "reject"), {"note": "no"}).status_code == 403
    response = client_for(manager).post(action_url(period, "reject"), {"note": "Friday is missing"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["note"]) == ("draft", "Friday is missing")
    # The owner fixes it and submits again.
    assert client_for(employee).post(SUBMIT_URL, {"week": "2026-03-02"}).json()["status"] == "submitted"


@pytest.mark.parametrize(("who", "status_code"), [("employee", 403), ("outsider", 404), ("other_manager", 404)])
def test_who_may_not_reopen(request, client_for, employee, manager, outsider, other_manager, frozen, who, status_code):
    period = approved_week(employee, manager)
    response = client_for(request.getfixturevalue(who)).post(action_url(period, "reopen"), {"reason": "why not"})
    assert response.status_code == status_code


def test_reopen_needs_a_reason(client_for, employee, manager, frozen):
    period = approved_week(employee, manager)
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 1001}):
        response = client_for(manager).post(action_url(period, "reopen"), body)
        assert response.status_code == 400 and "reason" in response.json()
    period.refresh_from_db()
    assert period.status == "approved"


def test_only_an_approved_week_can_be_reopened(client_for, employee, hr, frozen):
    period = services.period_submit(user=employee, day=WEEK)
    response = client_for(hr).post(action_url(period, "reopen"), {"reason": "typo"})
    assert response.status_code == 409


# --- the lock -------------------------------------------------------------------------------------------


@pytest.fixture
def locked(employee, manager, frozen):
    entry = TimeEntryFactory(user=employee, started_at=utc(2026, 3, 4, 8), ended_at=utc(2026, 3, 4, 10))
    approved_week(employee, manager)
    return entry


def assert_locked(response):
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "period_locked"


@pytest.mark.parametrize("who", ["employee", "hr"])
def test_a_locked_week_refuses_create_edit_delete_bulk_for_everyone(request, client_for, employee, locked, hr, who):
    client = client_for(request.getfixturevalue(who))
    detail = reverse("api:time-entry-detail", args=[locked.pk])
    before = TimeEntry.objects.count()
    assert_locked(
        client.post(ENTRIES_URL, {"user": employee.pk, "started_at": "2026-03-05T08:00:00Z", "duration": "1h"})
    )
    assert_locked(client.patch(detail, {"description": "changed"}))
    assert_locked(client.delete(detail))
    rows = [{"user": employee.pk, "started_at": "2026-03-05T08:00:00Z", "duration": "1h"}]
    response = client.post(reverse("api:time-entry-bulk"), {"entries": rows}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["status"] == 409
    assert response.json()["errors"][0]["errors"]["code"] == "period_locked"
    assert TimeEntry.objects.count() == before
    locked.refresh_from_db()
    assert locked.description != "changed"


def test_moving_an_entry_into_or_out_of_a_locked_week_is_refused(employee, manager, locked):
    free = TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))
    with pytest.raises(services.PeriodLocked):
        services.entry_update(entry=free, actor=employee, started_at=utc(2026, 3, 6, 8), ended_at=utc(2026, 3, 6, 9))
    with pytest.raises(services.PeriodLocked):
        services.entry_update(
            entry=locked, actor=employee, started_at=utc(2026, 3, 9, 12), ended_at=utc(2026, 3, 9, 13)
        )


def test_an_entry_crossing_into_a_locked_week_is_refused(employee, locked):
    # Sunday 1 March 23:00 → Monday 2 March 01:00 (Berlin) touches the locked week.
    with pytest.raises(services.PeriodLocked):
        services.entry_create(user=employee, started_at=utc(2026, 3, 1, 22), ended_at=utc(2026, 3, 2, 0))
    # Ending exactly at Monday 00:00 does not touch it.
    services.entry_create(user=employee, started_at=utc(2026, 3, 1, 21), ended_at=utc(2026, 3, 1, 23))


def test_timer_start_stop_and_switch_touching_a_locked_week_are_refused(client_for, employee, locked, frozen):
    client = client_for(employee)
    assert_locked(client.post(reverse("api:timer-start"), {"started_at": "2026-03-08T20:00:00Z"}))
    # A timer started before the week was locked (it cannot be approved while one runs, but
    # an HR correction may have moved things): stopping it inside the locked week is refused.
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 8, 21), ended_at=None)
    assert_locked(client.post(reverse("api:timer-stop"), {"ended_at": "2026-03-08T22:30:00Z"}))
    # Switching stops the running timer: refused too, though the new one starts in a free week.
    assert_locked(client.post(reverse("api:timer-start"), {"switch": True, "started_at": "2026-03-09T06:00:00Z"}))
    assert TimeEntry.objects.for_user(employee).running().count() == 1


def test_other_weeks_and_other_users_are_not_locked(client_for, employee, colleague, locked):
    assert (
        client_for(employee).post(ENTRIES_URL, {"started_at": "2026-03-09T08:00:00Z", "duration": "1h"}).status_code
        == 201
    )
    colleague_entry = {"started_at": "2026-03-04T08:00:00Z", "duration": "1h"}
    assert client_for(colleague).post(ENTRIES_URL, colleague_entry).status_code == 201


def test_reopen_allows_writes_again(client_for, employee, manager, locked):
    period = TimesheetPeriod.objects.get()
    response = client_for(manager).post(action_url(period, "reopen"), {"reason": "Thursday was a holiday"})
    assert response.status_code == 200 and response.json()["status"] == "reopened"
    assert response.json()["reopen_reason"] == "Thursday was a holiday"
    detail = reverse("api:time-entry-detail", args=[locked.pk])
    assert client_for(employee).patch(detail, {"description": "fixed"}).status_code == 200
    assert client_for(employee).delete(detail).status_code == 204
    # ... and it can be submitted and approved again.
    assert client_for(employee).post(SUBMIT_URL, {"week": "2026-03-02"}).json()["status"] == "submitted"
    assert client_for(manager).post(action_url(period, "approve")).json()["status"] == "approved"


def test_the_admin_refuses_deleting_an_entry_of_a_locked_week(admin_client, locked):
    client = admin_client
    url = reverse("admin:timetracking_timeentry_delete", args=[locked.pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert TimeEntry.objects.filter(pk=locked.pk).exists()
    response = client.post(
        reverse("admin:timetracking_timeentry_changelist"),
        {"action": "delete_selected", "_selected_action": [locked.pk], "post": "yes"},
    )
    assert TimeEntry.objects.filter(pk=locked.pk).exists()


# --- audit trail and webhooks -----------------------------------------------------------------------------


def test_every_transition_is_audited_and_approval_published(employee, manager, hr, frozen):
    period = services.period_submit(user=employee, day=WEEK)
    services.period_reject(actor=manager, period=period, note="Friday?")
    services.period_submit(user=employee, day=WEEK)
    services.period_approve(actor=manager, period=period)
    services.period_reopen(actor=hr, period=period, reason="correction")
    events = list(AuditEvent.objects.filter(object_type="timetracking.timesheetperiod").order_by("pk"))
    assert [(event.action, event.actor) for event in events] == [
        ("period.submitted", employee),
        ("period.rejected", manager),
        ("period.submitted", employee),
        ("period.approved", manager),
        ("period.reopened", hr),
    ]
    assert all(event.object_id == str(period.pk) for event in events)
    assert events[3].changes["status"] == ["submitted", "approved"]
    assert events[4].changes["reason"] == [None, "correction"]
    [locked_event] = OutboxEvent.objects.filter(event_type="period.locked")
    assert locked_event.payload["user"] == employee.pk and locked_event.payload["week_start"] == "2026-03-02"
    assert locked_event.payload["approved_by"] == manager.pk


def test_a_refused_decision_leaves_no_trace(employee, frozen):
    period = services.period_submit(user=employee, day=WEEK)
    with pytest.raises(services.PeriodNotAllowed):
        services.period_approve(actor=employee, period=period)
    assert not AuditEvent.objects.filter(action="period.approved").exists()
    assert not OutboxEvent.objects.filter(event_type="period.locked").exists()


# --- periods/ list -----------------------------------------------------------------------------------------


@pytest.fixture
def periods(employee, colleague, outsider, manager, frozen):
    return {
        user.username: services.period_submit(user=user, day=WEEK) for user in (employee, colleague, outsider, manager)
    }


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
def test_who_sees_which_periods(request, client_for, periods, other_manager, hr, who, sees):
    response = client_for(request.getfixturevalue(who)).get(LIST_URL)
    assert {row["username"] for row in response.json()["results"]} == sees


def test_someone_elses_period_is_404(client_for, periods, employee, outsider):
    url = reverse("api:period-detail", args=[periods["outsider"].pk])
    assert client_for(employee).get(url).status_code == 404
    assert client_for(outsider).get(url).status_code == 200


def test_period_filters(client_for, hr, employee, manager, periods):
    services.period_approve(actor=manager, period=periods["employee"])
    services.period_submit(user=employee, day=date(2026, 2, 23))
    client = client_for(hr)
    rows = client.get(LIST_URL, {"status": "approved"}).json()["results"]
    assert [(row["username"], row["week_start"]) for row in rows] == [("employee", "2026-03-02")]
    rows = client.get(LIST_URL, {"user": employee.pk}).json()["results"]
    assert [row["week_start"] for row in rows] == ["2026-03-02", "2026-02-23"]
    rows = client.get(LIST_URL, {"user": employee.pk, "from": "2026-02-20", "to": "2026-02-28"}).json()["results"]
    assert [row["week_start"] for row in rows] == ["2026-02-23"]
    assert client.get(LIST_URL, {"status": "done"}).status_code == 400
    assert client.get(LIST_URL, {"from": "2026-03-05", "to": "2026-03-01"}).status_code == 400


def test_periods_query_count_does_not_grow(client_for, hr, frozen, django_assert_max_num_queries):
    from accounts.tests.factories import UserFactory

    def make(count, weeks_back):
        for _ in range(count):
            services.period_submit(user=UserFactory(), day=WEEK - timedelta(weeks=weeks_back))

    make(2, 0)
    client = client_for(hr)
    with django_assert_max_num_queries(10) as captured:
        assert client.get(LIST_URL).status_code == 200
    make(20, 1)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        assert client.get(LIST_URL).json()["count"] == 22


def test_periods_are_read_only_through_the_api(client_for, employee, periods):
    url = reverse("api:period-detail", args=[periods["employee"].pk])
    assert client_for(employee).patch(url, {"status": "approved"}).status_code == 405
    assert client_for(employee).delete(url).status_code == 405
    assert client_for(employee).post(LIST_URL, {"week_start": "2026-03-02"}).status_code == 405


def test_now_is_a_tuesday():
    assert NOW.date() == date(2026, 3, 10)


def test_a_manager_cannot_delete_entries_through_the_admin(client, manager, employee, frozen):
    entry = TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))
    client.force_login(manager)
    response = client.post(reverse("admin:timetracking_timeentry_delete", args=[entry.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert TimeEntry.objects.filter(pk=entry.pk).exists()


def test_hr_deletes_an_entry_of_an_open_week_through_the_admin(admin_client, admin_user, employee, frozen):
    entry = TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))
    response = admin_client.post(reverse("admin:timetracking_timeentry_delete", args=[entry.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not TimeEntry.objects.filter(pk=entry.pk).exists()
    assert AuditEvent.objects.filter(action="time_entry.deleted", actor=admin_user).exists()


def test_period_admin_lists_and_approves_through_the_service(admin_client, admin_user, employee, frozen):
    period = services.period_submit(user=employee, day=WEEK)
    client, hr = admin_client, admin_user
    assert client.get(reverse("admin:timetracking_timesheetperiod_changelist")).status_code == 200
    assert client.get(reverse("admin:timetracking_timesheetperiod_change", args=[period.pk])).status_code == 200
    client.post(
        reverse("admin:timetracking_timesheetperiod_changelist"),
        {"action": "approve", "_selected_action": [period.pk]},
    )
    period.refresh_from_db()
    assert period.status == "approved" and period.decided_by == hr
    assert AuditEvent.objects.filter(action="period.approved", actor=hr).exists()


def test_period_admin_changelist_does_not_grow(admin_client, frozen, django_assert_max_num_queries):
    from accounts.tests.factories import UserFactory

    def make(count, weeks_back):
        for _ in range(count):
            services.period_submit(user=UserFactory(), day=WEEK - timedelta(weeks=weeks_back))

    url = reverse("admin:timetracking_timesheetperiod_changelist")
    make(2, 0)
    with django_assert_max_num_queries(20) as captured:
        assert admin_client.get(url).status_code == 200
    make(15, 1)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        assert admin_client.get(url).status_code == 200
