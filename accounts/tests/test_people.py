"""HR manages people through `users/`: create, edit, deactivate (someone leaving) and reactivate.
Who may not, the bad input of every rule, and everything a deactivation ends."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import AuditEvent, OutgoingEmail, User
from accounts.tests.factories import PASSWORD, UserFactory
from leave import services as leave_services
from leave.models import CalendarFeedToken, LeaveRequest, LeaveStatus
from leave.tests.factories import LeaveRequestFactory, LeaveTypeFactory
from timetracking.models import TimeEntry
from timetracking.tests.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:user-list")
TOKEN_URL = reverse("api:token_obtain_pair")
ME_URL = reverse("api:user-me")


def detail(user):
    return reverse("api:user-detail", args=[user.pk])


def deactivate_url(user):
    return reverse("api:user-deactivate", args=[user.pk])


def reactivate_url(user):
    return reverse("api:user-reactivate", args=[user.pk])


NEW_PERSON = {
    "username": "dana",
    "email": "dana@example.com",
    "first_name": "Dana",
    "last_name": "Berg",
    "timezone": "Europe/Vienna",
    "country": "AT",
    "subdivision": "9",
    "weekly_hours": "30.00",
    "working_weekdays": "1234",
}


# --- Create ---------------------------------------------------------------------------------------


def test_hr_creates_a_person_with_no_usable_password(client_for, hr, manager):
    response = client_for(hr).post(LIST_URL, {**NEW_PERSON, "manager": manager.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "dana" and body["manager"] == manager.pk and body["is_active"] is True
    assert body["weekly_hours"] == "30.00" and body["working_weekdays"] == "1234"
    dana = User.objects.get(username="dana")
    assert not dana.has_usable_password()
    assert (dana.timezone, dana.country, dana.subdivision) == ("Europe/Vienna", "AT", "9")
    event = AuditEvent.objects.get(action="accounts.user_created", object_id=str(dana.pk))
    assert event.actor == hr and event.changes["email"] == [None, "dana@example.com"]


def test_a_created_person_cannot_log_in_until_they_set_a_password(client_for, hr):
    client_for(hr).post(LIST_URL, NEW_PERSON, format="json")
    for password in ("", "!", PASSWORD):
        assert APIClient().post(TOKEN_URL, {"username": "dana", "password": password}).status_code in (400, 401)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("is_staff", True),
        ("is_superuser", True),
        ("password", "chosen-by-hr-123"),
        ("groups", [1]),
        ("is_active", False),
    ],
)
def test_create_never_assigns_roles_password_or_state(client_for, hr, field, value):
    response = client_for(hr).post(LIST_URL, {**NEW_PERSON, field: value}, format="json")
    assert response.status_code == 201, response.json()
    dana = User.objects.get(username="dana")
    assert not dana.is_staff and not dana.is_superuser and dana.is_active
    assert not dana.has_usable_password() and not dana.groups.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"country": "XX"}, "country"),
        ({"subdivision": "ZZ"}, "subdivision"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"username": ""}, "username"),
        ({"username": "has space!"}, "username"),
        ({"weekly_hours": "90"}, "weekly_hours"),
        ({"weekly_hours": "-1"}, "weekly_hours"),
        ({"weekly_hours": "lots"}, "weekly_hours"),
        ({"working_weekdays": "8"}, "working_weekdays"),
        ({"manager": 999999}, "manager"),
        ({"manager": "boss"}, "manager"),
    ],
)
def test_create_bad_input_is_400_at_the_field_and_writes_nothing(client_for, hr, changes, field):
    response = client_for(hr).post(LIST_URL, {**NEW_PERSON, **changes}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert not User.objects.filter(email="dana@example.com").exists()
    assert not AuditEvent.objects.filter(action="accounts.user_created").exists()


def test_create_duplicate_username_or_email_is_400(client_for, hr, employee):
    for clash in ({"username": employee.username}, {"email": employee.email}):
        response = client_for(hr).post(LIST_URL, {**NEW_PERSON, **clash}, format="json")
        assert response.status_code == 400
        assert next(iter(clash)) in response.json()
    assert User.objects.count() == 3  # hr, employee, manager


def test_create_without_email_is_400(client_for, hr):
    person = {key: value for key, value in NEW_PERSON.items() if key != "email"}
    response = client_for(hr).post(LIST_URL, person, format="json")
    assert response.status_code == 400 and "email" in response.json()


@pytest.mark.parametrize("who", ["employee", "manager"])
def test_only_hr_creates_people(client_for, request, who):
    response = client_for(request.getfixturevalue(who)).post(LIST_URL, NEW_PERSON, format="json")
    assert response.status_code == 403
    assert not User.objects.filter(username="dana").exists()


def test_anonymous_cannot_create_people(db):
    assert APIClient().post(LIST_URL, NEW_PERSON, format="json").status_code == 401


# --- Edit -----------------------------------------------------------------------------------------


def test_hr_edits_contract_and_manager_audited(client_for, hr, employee, other_manager):
    response = client_for(hr).patch(
        detail(employee), {"weekly_hours": "20.00", "manager": other_manager.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    employee.refresh_from_db()
    assert employee.weekly_hours == 20 and employee.manager == other_manager
    event = AuditEvent.objects.get(action="accounts.user_updated", object_id=str(employee.pk))
    assert event.changes["weekly_hours"] == ["40.00", "20.00"]
    assert event.changes["manager"][1] == other_manager.pk


def test_a_manager_cycle_is_refused_however_deep(client_for, hr, manager, employee):
    grandchild = UserFactory(manager=employee)
    for new_manager in (employee, grandchild):
        response = client_for(hr).patch(detail(manager), {"manager": new_manager.pk}, format="json")
        assert response.status_code == 400, response.json()
        assert "manager" in response.json()
    assert response.json()["code"] == "manager_cycle"
    manager.refresh_from_db()
    assert manager.manager is None


def test_oneself_as_manager_is_refused(client_for, hr, employee):
    response = client_for(hr).patch(detail(employee), {"manager": employee.pk}, format="json")
    assert response.status_code == 400 and "manager" in response.json()


def test_a_deactivated_manager_is_refused(client_for, hr, employee, other_manager):
    other_manager.is_active = False
    other_manager.save()
    response = client_for(hr).patch(detail(employee), {"manager": other_manager.pk}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "inactive"


def test_edit_never_assigns_roles_or_state(client_for, hr, employee):
    response = client_for(hr).patch(
        detail(employee), {"is_staff": True, "is_superuser": True, "is_active": False}, format="json"
    )
    assert response.status_code == 200
    employee.refresh_from_db()
    assert not employee.is_staff and not employee.is_superuser and employee.is_active


def test_put_is_not_offered(client_for, hr, employee):
    assert client_for(hr).put(detail(employee), NEW_PERSON, format="json").status_code == 405


@pytest.mark.parametrize("who", ["employee", "manager"])
def test_only_hr_edits_people(client_for, request, employee, who):
    response = client_for(request.getfixturevalue(who)).patch(detail(employee), {"weekly_hours": "1"}, format="json")
    assert response.status_code == 403
    employee.refresh_from_db()
    assert employee.weekly_hours == 40


def test_editing_someone_unknown_is_404(client_for, hr):
    response = client_for(hr).patch(reverse("api:user-detail", args=[999999]), {"first_name": "X"}, format="json")
    assert response.status_code == 404


# --- Leaving --------------------------------------------------------------------------------------


def tokens_of(user):
    response = APIClient().post(TOKEN_URL, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    return response.json()


def test_deactivating_someone_ends_everything_they_had_running(client_for, hr, employee, manager):
    tokens = tokens_of(employee)
    _, key = services.api_key_create(user=employee, name="script")
    feed = leave_services.feed_token_get_or_create(user=employee).token
    running = TimeEntryFactory(user=employee, started_at=timezone.now() - timedelta(hours=2), ended_at=None)
    vacation = LeaveTypeFactory()
    pending = LeaveRequestFactory(user=employee, leave_type=vacation, status=LeaveStatus.PENDING)
    approved = LeaveRequestFactory(
        user=employee,
        leave_type=vacation,
        status=LeaveStatus.APPROVED,
        decided_at=timezone.now(),
        start_date=pending.end_date + timedelta(7),
        end_date=pending.end_date + timedelta(8),
    )
    session = APIClient()
    session.force_login(employee)

    response = client_for(hr).post(deactivate_url(employee))

    assert response.status_code == 200, response.json()
    assert response.json()["is_active"] is False
    employee.refresh_from_db()
    assert not employee.is_active
    # Logins, tokens, keys and feeds end.
    assert APIClient().post(TOKEN_URL, {"username": employee.username, "password": PASSWORD}).status_code == 401
    assert APIClient().post(reverse("api:token_refresh"), {"refresh": tokens["refresh"]}).status_code == 401
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert keyed.get(ME_URL).status_code == 401
    assert not CalendarFeedToken.objects.filter(token=feed).exists()
    assert session.get(ME_URL).status_code in (401, 403)
    # The running timer is stopped, kept as an entry.
    running.refresh_from_db()
    assert running.ended_at is not None and TimeEntry.objects.filter(pk=running.pk).exists()
    # The pending request is withdrawn, its approver told; approved leave stays.
    pending.refresh_from_db()
    approved.refresh_from_db()
    assert pending.status == LeaveStatus.CANCELLED and pending.decided_by == hr
    assert approved.status == LeaveStatus.APPROVED
    mail = OutgoingEmail.objects.get(user=manager, subject__startswith="Leave request withdrawn")
    assert "has left" in mail.body
    event = AuditEvent.objects.get(action="accounts.user_deactivated", object_id=str(employee.pk))
    assert event.actor == hr
    assert event.changes["timer_stopped"] == [None, 1]
    assert event.changes["leave_requests_withdrawn"] == [None, 1]
    # History stays.
    assert LeaveRequest.objects.filter(user=employee).count() == 2


def test_deactivating_in_the_admin_runs_the_same_leaving_steps(employee):
    running = TimeEntryFactory(user=employee, started_at=timezone.now() - timedelta(minutes=30), ended_at=None)
    pending = LeaveRequestFactory(user=employee, status=LeaveStatus.PENDING)
    user = User.objects.get(pk=employee.pk)
    user.is_active = False
    user.save()
    running.refresh_from_db()
    pending.refresh_from_db()
    assert running.ended_at is not None and pending.status == LeaveStatus.CANCELLED
    assert AuditEvent.objects.get(action="accounts.user_deactivated").actor is None


def test_a_timer_older_than_an_entry_may_last_stops_at_that_limit(client_for, hr, employee, settings):
    started = timezone.now() - timedelta(hours=settings.TIME_ENTRY_MAX_HOURS + 5)
    running = TimeEntryFactory(user=employee, started_at=started, ended_at=None)
    assert client_for(hr).post(deactivate_url(employee)).status_code == 200
    running.refresh_from_db()
    assert running.ended_at == started + timedelta(hours=settings.TIME_ENTRY_MAX_HOURS)


def test_deactivating_twice_is_409_and_changes_nothing_more(client_for, hr, employee):
    assert client_for(hr).post(deactivate_url(employee)).status_code == 200
    response = client_for(hr).post(deactivate_url(employee))
    assert response.status_code == 409 and response.json()["code"] == "already_inactive"
    assert AuditEvent.objects.filter(action="accounts.user_deactivated").count() == 1


def test_hr_cannot_deactivate_themself(client_for, hr):
    response = client_for(hr).post(deactivate_url(hr))
    assert response.status_code == 409 and response.json()["code"] == "self"
    hr.refresh_from_db()
    assert hr.is_active


@pytest.mark.parametrize("who", ["employee", "manager", "colleague"])
def test_only_hr_deactivates(client_for, request, employee, who):
    target = employee if who != "employee" else request.getfixturevalue("colleague")
    response = client_for(request.getfixturevalue(who)).post(deactivate_url(target))
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.is_active


def test_reactivating_lets_them_log_in_again_and_brings_back_nothing(client_for, hr, employee):
    pending = LeaveRequestFactory(user=employee, status=LeaveStatus.PENDING)
    client_for(hr).post(deactivate_url(employee))
    response = client_for(hr).post(reactivate_url(employee))
    assert response.status_code == 200 and response.json()["is_active"] is True
    assert tokens_of(employee)["access"]
    pending.refresh_from_db()
    assert pending.status == LeaveStatus.CANCELLED
    assert AuditEvent.objects.filter(action="accounts.user_reactivated", actor=hr).count() == 1
    again = client_for(hr).post(reactivate_url(employee))
    assert again.status_code == 409 and again.json()["code"] == "already_active"


def test_only_hr_reactivates(client_for, manager, employee):
    employee.is_active = False
    employee.save()
    assert client_for(manager).post(reactivate_url(employee)).status_code == 403
    employee.refresh_from_db()
    assert not employee.is_active


def test_the_list_filters_deactivated_people(client_for, hr, employee, colleague):
    client_for(hr).post(deactivate_url(employee))
    rows = client_for(hr).get(LIST_URL, {"is_active": "false"}).json()["results"]
    assert [row["username"] for row in rows] == [employee.username]


def test_deactivating_someone_invited_kills_the_invitation(client_for, hr):
    created = client_for(hr).post(LIST_URL, NEW_PERSON, format="json").json()
    assert client_for(hr).post(reverse("api:user-invite", args=[created["id"]])).status_code == 200
    dana = User.objects.get(pk=created["id"])
    assert dana.invited_at is not None
    assert client_for(hr).post(deactivate_url(dana)).status_code == 200
    dana.refresh_from_db()
    assert dana.invited_at is None
    event = AuditEvent.objects.get(action="accounts.user_deactivated", object_id=str(dana.pk))
    assert event.changes["invitation_revoked"] == [None, 1]
