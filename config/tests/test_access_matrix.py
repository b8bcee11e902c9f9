"""Object- and function-level access across the whole API (issue 7, proofs 3–5):

* IDOR: every object route owned by one employee × GET/PUT/PATCH/DELETE by another user of
  the same role (a colleague in the same team, and an outsider in another team) → 404 and no
  row changed; list endpoints never return the foreign rows.
* Function-level: an employee on approvals, ledger adjustments, the audit trail, webhooks,
  others' API keys and /admin/ → 403 (or 404 / the admin login).
* Mass assignment: `user`, `status`, `decided_by`, `is_staff`, balances and timestamps sent
  to writable endpoints are ignored or refused, never stored.
"""

from datetime import date

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from accounts.models import ApiKey
from accounts.services import api_key_create
from leave.models import LeaveRequest
from leave.tests.factories import LeaveRequestFactory, LeaveTypeFactory
from timetracking.models import TimeEntry
from timetracking.tests.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db


def snapshot(instance):
    instance.refresh_from_db()
    return model_to_dict(instance)


def owned_objects(employee):
    """(detail route name, instance) of each kind of object that belongs to one user."""
    entry = TimeEntryFactory(user=employee)
    leave_request = LeaveRequestFactory(user=employee)
    api_key, _ = api_key_create(user=employee, name="script")
    return [
        ("api:time-entry-detail", entry),
        ("api:leave-request-detail", leave_request),
        ("api:api-key-detail", api_key),
    ]


@pytest.mark.parametrize("intruder_name", ["colleague", "outsider"])
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_someone_elses_objects_are_404_and_unchanged(client_for, request, employee, intruder_name, method):
    intruder = request.getfixturevalue(intruder_name)
    client = client_for(intruder)
    for route, instance in owned_objects(employee):
        before = snapshot(instance)
        url = reverse(route, args=[instance.pk])
        response = getattr(client, method)(url, {"description": "pwned", "name": "pwned"}, format="json")
        assert response.status_code in (404, 405), (route, method, response.status_code)
        if response.status_code == 405:
            # The method does not exist on this route for anyone (PUT on API keys, DELETE on
            # leave requests, which are cancelled instead): it says nothing about the object.
            assert method != "get", route
        assert type(instance).objects.filter(pk=instance.pk).exists(), (route, method)
        assert snapshot(instance) == before, (route, method)


@pytest.mark.parametrize("intruder_name", ["colleague", "outsider"])
def test_lists_never_show_someone_elses_rows(client_for, request, employee, intruder_name):
    intruder = request.getfixturevalue(intruder_name)
    client = client_for(intruder)
    objects = owned_objects(employee)
    for route, instance in objects:
        list_url = reverse(route.replace("-detail", "-list"))
        ids = [row["id"] for row in client.get(list_url, {"page_size": 500}).json()["results"]]
        assert instance.pk not in ids, route


def test_the_manager_reads_but_another_manager_does_not(client_for, employee, manager, other_manager):
    entry = TimeEntryFactory(user=employee)
    url = reverse("api:time-entry-detail", args=[entry.pk])
    assert client_for(manager).get(url).status_code == 200
    assert client_for(other_manager).get(url).status_code == 404


class TestFunctionLevelAccess:
    def test_an_employee_cannot_approve_or_reject(self, client_for, employee, colleague):
        leave_request = LeaveRequestFactory(user=colleague)
        client = client_for(employee)
        for action in ("approve", "reject"):
            response = client.post(
                reverse(f"api:leave-request-{action}", args=[leave_request.pk]), {"note": "x"}, format="json"
            )
            assert response.status_code in (403, 404), action
        leave_request.refresh_from_db()
        assert leave_request.status == "pending"

    def test_an_employee_cannot_read_the_audit_trail_or_manage_webhooks(self, client_for, employee):
        client = client_for(employee)
        assert client.get(reverse("api:audit-event-list")).status_code == 403
        assert client.get(reverse("api:webhook-list")).status_code == 403
        response = client.post(
            reverse("api:webhook-list"), {"url": "https://e.com/h", "events": ["time_entry.created"]}, format="json"
        )
        assert response.status_code == 403

    def test_an_employee_cannot_see_or_revoke_someone_elses_api_key(self, client_for, employee, outsider):
        api_key, _ = api_key_create(user=outsider, name="theirs")
        url = reverse("api:api-key-detail", args=[api_key.pk])
        assert client_for(employee).get(url).status_code == 404
        assert client_for(employee).delete(url).status_code == 404
        assert ApiKey.objects.get(pk=api_key.pk).revoked_at is None

    def test_an_employee_cannot_use_the_admin(self, client, employee):
        client.force_login(employee)
        response = client.get("/admin/")
        assert response.status_code == 302 and "/admin/login/" in response.headers["Location"]
        response = client.get("/admin/leave/ledgerentry/add/")
        assert response.status_code == 302

    def test_a_manager_cannot_adjust_ledgers_in_the_admin(self, client, manager):
        client.force_login(manager)
        assert client.get("/admin/leave/ledgerentry/add/").status_code in (302, 403)


class TestMassAssignment:
    def test_time_entry_fields_the_caller_does_not_own(self, client_for, employee, outsider):
        response = client_for(employee).post(
            reverse("api:time-entry-list"),
            {
                "started_at": "2026-03-02T08:00:00Z",
                "ended_at": "2026-03-02T09:00:00Z",
                "user": outsider.pk,
                "created_at": "2000-01-01T00:00:00Z",
                "source": "import",
            },
            format="json",
        )
        if response.status_code == 201:
            entry = TimeEntry.objects.get(pk=response.json()["id"])
            assert entry.user == employee
            assert entry.created_at.year != 2000
        else:
            assert response.status_code == 400 and "user" in response.json()
        assert not TimeEntry.objects.filter(user=outsider).exists()

    def test_leave_request_status_and_decider_are_not_writable(self, client_for, employee, manager):
        leave_type = LeaveTypeFactory(requires_approval=True, deducts_allowance=False)
        response = client_for(employee).post(
            reverse("api:leave-request-list"),
            {
                "leave_type": leave_type.pk,
                "start_date": "2031-03-03",
                "end_date": "2031-03-03",
                "status": "approved",
                "decided_by": manager.pk,
                "amount": "0.5",
                "user": manager.pk,
            },
            format="json",
        )
        assert response.status_code in (201, 400), response.json()
        for leave_request in LeaveRequest.objects.filter(start_date=date(2031, 3, 3)):
            assert leave_request.status == "pending"
            assert leave_request.decided_by is None
            assert leave_request.user == employee
            assert leave_request.amount == 1

    def test_profile_roles_cannot_be_self_assigned(self, client_for, employee):
        client_for(employee).patch(
            reverse("api:user-me"), {"is_staff": True, "is_superuser": True, "manager": None}, format="json"
        )
        employee.refresh_from_db()
        assert not employee.is_staff and not employee.is_superuser and employee.manager_id is not None
