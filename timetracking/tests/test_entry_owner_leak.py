"""The `user` of a new entry tells nothing about which user ids exist: anyone but HR gets one
answer for every id but their own (the probe told "Invalid pk" from "You can only log your own
time" and so learnt which ids exist)."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from timetracking.models import TimeEntry

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:time-entry-list")
BULK_URL = reverse("api:time-entry-bulk")
BODY = {"started_at": "2026-11-16T09:00:00+01:00", "ended_at": "2026-11-16T10:00:00+01:00"}


@pytest.mark.parametrize("role", ["employee", "manager"])
def test_an_existing_and_a_missing_user_id_get_the_same_answer(client_for, employee, manager, outsider, role):
    caller = {"employee": employee, "manager": manager}[role]
    client = client_for(caller)
    other = employee if caller == manager else outsider
    missing = max(UserFactory._meta.model.objects.values_list("pk", flat=True)) + 1000
    existing = client.post(LIST_URL, {**BODY, "user": other.pk}, format="json")
    absent = client.post(LIST_URL, {**BODY, "user": missing}, format="json")
    assert existing.status_code == absent.status_code == 400
    assert existing.json() == absent.json()
    assert existing.json()["user"] == ["You can only log your own time."]
    bulk_existing = client.post(BULK_URL, {"entries": [{**BODY, "user": other.pk}]}, format="json")
    bulk_absent = client.post(BULK_URL, {"entries": [{**BODY, "user": missing}]}, format="json")
    assert bulk_existing.status_code == bulk_absent.status_code == 400
    assert bulk_existing.json() == bulk_absent.json()
    assert not TimeEntry.objects.exists()


def test_naming_yourself_still_works(client_for, employee):
    response = client_for(employee).post(LIST_URL, {**BODY, "user": employee.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["user"] == employee.pk


def test_hr_logs_time_for_anyone_and_learns_of_a_missing_id(client_for, hr, outsider):
    client = client_for(hr)
    assert client.post(LIST_URL, {**BODY, "user": outsider.pk}, format="json").status_code == 201
    missing = client.post(LIST_URL, {**BODY, "user": 10**9}, format="json")
    assert missing.status_code == 400
    assert "does not exist" in missing.json()["user"][0]
