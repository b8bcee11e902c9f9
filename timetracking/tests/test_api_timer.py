"""`timer/`, `timer/start/`, `timer/stop/`."""

from datetime import timedelta

import pytest
from django.urls import reverse

from timetracking.models import TimeEntry
from timetracking.tests.conftest import NOW
from timetracking.tests.factories import ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db

TIMER_URL = reverse("api:timer")
START_URL = reverse("api:timer-start")
STOP_URL = reverse("api:timer-stop")


def test_start_current_stop(client_for, employee, frozen):
    client = client_for(employee)
    assert client.get(TIMER_URL).status_code == 204
    task = TaskFactory()
    response = client.post(START_URL, {"task": task.pk, "description": "Coding", "tags": ["dev"]})
    assert response.status_code == 201, response.json()
    started = response.json()
    assert started["is_running"] and started["ended_at"] is None and started["project"] == task.project.pk
    assert client.get(TIMER_URL).json()["id"] == started["id"]
    frozen.shift(timedelta(minutes=45))
    response = client.post(STOP_URL, {})
    assert response.status_code == 200
    assert response.json()["duration_seconds"] == 45 * 60 and not response.json()["is_running"]
    assert client.get(TIMER_URL).status_code == 204


def test_second_start_is_409_unless_switch(client_for, employee, frozen):
    client = client_for(employee)
    first = client.post(START_URL, {"description": "first"}).json()
    response = client.post(START_URL, {"description": "second"})
    assert response.status_code == 409 and response.json()["code"] == "timer_running"
    frozen.shift(timedelta(minutes=5))
    response = client.post(START_URL, {"description": "second", "switch": True})
    assert response.status_code == 201
    assert TimeEntry.objects.get(pk=first["id"]).ended_at == NOW + timedelta(minutes=5)
    assert TimeEntry.objects.running().get().description == "second"


def test_stop_without_timer_is_409(client_for, employee):
    response = client_for(employee).post(STOP_URL, {})
    assert response.status_code == 409 and response.json()["code"] == "no_timer"


def test_edit_the_running_timer(client_for, employee, frozen):
    client = client_for(employee)
    assert client.patch(TIMER_URL, {"description": "x"}).status_code == 409
    client.post(START_URL, {})
    project = ProjectFactory()
    response = client.patch(TIMER_URL, {"project": project.pk, "description": "renamed", "tags": ["a", "b"]})
    assert response.status_code == 200, response.json()
    assert response.json()["project"] == project.pk and len(response.json()["tags"]) == 2
    assert client.patch(TIMER_URL, {"started_at": (NOW + timedelta(hours=1)).isoformat()}).status_code == 400


def test_timer_is_per_user(client_for, employee, colleague, frozen):
    client_for(employee).post(START_URL, {})
    assert client_for(colleague).get(TIMER_URL).status_code == 204
    assert client_for(colleague).post(START_URL, {}).status_code == 201
    frozen.shift(timedelta(minutes=1))
    assert client_for(colleague).post(STOP_URL, {}).status_code == 200
    assert TimeEntry.objects.running().get().user == employee


def test_start_refuses_archived_project_and_foreign_task(client_for, employee):
    client = client_for(employee)
    response = client.post(START_URL, {"project": ProjectFactory(active=False).pk})
    assert response.status_code == 400 and "project" in response.json()
    response = client.post(START_URL, {"project": ProjectFactory().pk, "task": TaskFactory().pk})
    assert response.status_code == 400 and "task" in response.json()
    assert not TimeEntry.objects.exists()


def test_start_refuses_non_members(client_for, employee, colleague):
    response = client_for(employee).post(START_URL, {"project": ProjectFactory(members=[colleague]).pk})
    assert response.status_code == 400 and "project" in response.json()


def test_stop_a_forgotten_timer_at_a_given_time(client_for, employee, frozen):
    client = client_for(employee)
    client.post(START_URL, {"started_at": (NOW - timedelta(hours=20)).isoformat()})
    response = client.post(STOP_URL, {})
    assert response.status_code == 400 and "ended_at" in response.json()
    response = client.post(STOP_URL, {"ended_at": (NOW - timedelta(hours=12)).isoformat()})
    assert response.status_code == 200 and response.json()["duration_seconds"] == 8 * 3600
