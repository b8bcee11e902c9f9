"""`clients/`, `projects/`, `tasks/`, `tags/`: everyone reads, HR and managers write."""

import pytest
from django.urls import reverse

from timetracking.models import Client, Project, Tag
from timetracking.tests.factories import ClientFactory, ProjectFactory, TagFactory, TaskFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "allowed"), [("employee", False), ("manager", True), ("hr", True), ("outsider", False)]
)
def test_who_may_create_clients_and_projects(request, client_for, employee, manager, hr, outsider, who, allowed):
    client = client_for(request.getfixturevalue(who))
    response = client.post(reverse("api:client-list"), {"name": f"Client of {who}"})
    assert response.status_code == (201 if allowed else 403)
    response = client.post(reverse("api:project-list"), {"name": f"Project of {who}", "code": who})
    assert response.status_code == (201 if allowed else 403)
    assert client.get(reverse("api:project-list")).status_code == 200


def test_anyone_creates_tags_but_only_hr_and_managers_rename_them(client_for, employee, manager):
    response = client_for(employee).post(reverse("api:tag-list"), {"name": "  deep   work "})
    assert response.status_code == 201 and response.json()["name"] == "deep work"
    assert client_for(employee).post(reverse("api:tag-list"), {"name": "Deep Work"}).status_code == 400
    tag_url = reverse("api:tag-detail", args=[response.json()["id"]])
    assert client_for(employee).patch(tag_url, {"name": "focus"}).status_code == 403
    assert client_for(manager).patch(tag_url, {"name": "focus"}).status_code == 200
    assert Tag.objects.get().name == "focus"


def test_a_partial_update_answers_every_field_of_a_project(client_for, hr):
    """`client_name` of a project without a client is null in a PATCH answer too (found by Schemathesis)."""
    client = client_for(hr)
    project = ProjectFactory(client=None)
    url = reverse("api:project-detail", args=[project.pk])
    response = client.patch(url, {"name": "Renamed"})
    assert response.status_code == 200
    assert response.json() == client.get(url).json()
    assert response.json()["client_name"] is None
    with_client = client.patch(url, {"client": ClientFactory(name="Acme").pk})
    assert with_client.json()["client_name"] == "Acme"


def test_project_validation(client_for, hr):
    client = client_for(hr)
    acme = ClientFactory(name="Acme")
    ProjectFactory(client=acme, name="Website", code="WEB")
    url = reverse("api:project-list")
    response = client.post(url, {"client": acme.pk, "name": "website"})
    assert response.status_code == 400 and "name" in response.json()
    response = client.post(url, {"name": "Other", "code": "WEB"})
    assert response.status_code == 400 and "code" in response.json()
    response = client.post(url, {"name": "Other", "color": "red"})
    assert response.status_code == 400 and "color" in response.json()
    response = client.post(url, {"name": "Other", "budget_hours": "-1"})
    assert response.status_code == 400 and "budget_hours" in response.json()
    response = client.post(url, {"name": "x" * 201})
    assert response.status_code == 400 and "name" in response.json()
    assert Project.objects.count() == 1


def test_client_and_task_names_are_unique_case_insensitively(client_for, hr):
    client = client_for(hr)
    ClientFactory(name="Acme")
    assert client.post(reverse("api:client-list"), {"name": "ACME"}).status_code == 400
    task = TaskFactory(name="Design")
    response = client.post(reverse("api:task-list"), {"project": task.project.pk, "name": "design"})
    assert response.status_code == 400
    assert Client.objects.count() == 2  # Acme and the task's project's client


def test_deleting_a_project_with_entries_is_409(client_for, hr, employee):
    project = ProjectFactory()
    TimeEntryFactory(user=employee, project=project)
    response = client_for(hr).delete(reverse("api:project-detail", args=[project.pk]))
    assert response.status_code == 409 and response.json()["code"] == "in_use"
    response = client_for(hr).delete(reverse("api:client-detail", args=[project.client.pk]))
    assert response.status_code == 409
    assert client_for(hr).delete(reverse("api:project-detail", args=[ProjectFactory().pk])).status_code == 204


def test_loggable_filter(client_for, employee, colleague):
    open_project = ProjectFactory()
    ProjectFactory(members=[colleague])
    ProjectFactory(active=False)
    mine = ProjectFactory(members=[employee])
    response = client_for(employee).get(reverse("api:project-list"), {"loggable": "true"})
    assert sorted(row["id"] for row in response.json()["results"]) == sorted([open_project.pk, mine.pk])


def test_members_are_listed(client_for, employee, colleague):
    project = ProjectFactory(members=[employee, colleague])
    data = client_for(employee).get(reverse("api:project-detail", args=[project.pk])).json()
    assert sorted(data["members"]) == sorted([employee.pk, colleague.pk])


@pytest.mark.parametrize("name", ["client-list", "project-list", "task-list", "tag-list"])
def test_catalog_lists_do_not_grow_with_rows(client_for, employee, django_assert_max_num_queries, name):
    client = client_for(employee)
    for _ in range(3):
        ProjectFactory(members=[employee])
        TaskFactory()
        TagFactory()
    with django_assert_max_num_queries(4) as captured:
        assert client.get(reverse(f"api:{name}")).status_code == 200
    few = len(captured.captured_queries)
    for _ in range(10):
        ProjectFactory(members=[employee])
        TaskFactory()
        TagFactory()
    with django_assert_max_num_queries(few):
        assert client.get(reverse(f"api:{name}")).status_code == 200
