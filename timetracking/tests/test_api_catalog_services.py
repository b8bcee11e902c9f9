"""The catalog endpoints write through the catalog services: audited, the same answers as before."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from timetracking.models import Client, Project, Tag, Task
from timetracking.services import catalog
from timetracking.tests.factories import ClientFactory, ProjectFactory, TagFactory, TaskFactory

pytestmark = pytest.mark.django_db


def actions():
    return sorted(AuditEvent.objects.values_list("action", flat=True))


def test_writes_through_the_api_are_audited(client_for, hr, employee):
    api = client_for(hr)
    acme = api.post(reverse("api:client-list"), {"name": "Acme"}).json()
    project = api.post(
        reverse("api:project-list"), {"client": acme["id"], "name": "Website", "members": [employee.pk]}, format="json"
    )
    assert project.status_code == 201
    assert project.json()["client_name"] == "Acme" and project.json()["members"] == [employee.pk]
    project = project.json()
    task = api.post(reverse("api:task-list"), {"project": project["id"], "name": "Design"}).json()
    tag = api.post(reverse("api:tag-list"), {"name": "review"}).json()
    assert actions() == ["client.created", "project.created", "tag.created", "task.created"]
    created = AuditEvent.objects.get(action="project.created")
    assert (created.actor, created.object_id) == (hr, str(project["id"]))
    assert created.changes["members"] == [None, [employee.pk]]

    url = reverse("api:project-detail", args=[project["id"]])
    response = api.patch(url, {"name": "Web", "active": False})
    assert response.status_code == 200 and response.json()["name"] == "Web" and response.json()["active"] is False
    assert response.json() == api.get(url).json()
    assert AuditEvent.objects.get(action="project.updated").changes == {
        "name": ["Website", "Web"],
        "active": [True, False],
    }
    # Archiving again through the API changes nothing, so it writes no second event.
    assert api.patch(url, {"active": False}).status_code == 200
    assert actions().count("project.updated") == 1

    assert api.delete(reverse("api:tag-detail", args=[tag["id"]])).status_code == 204
    assert api.delete(reverse("api:task-detail", args=[task["id"]])).status_code == 204
    assert api.delete(url).status_code == 204
    deleted = AuditEvent.objects.get(action="project.deleted")
    assert deleted.object_id == str(project["id"]) and deleted.changes["name"] == ["Web", None]
    assert {"tag.deleted", "task.deleted"} <= set(actions())


def test_an_employee_cannot_write_the_catalog_and_leaves_no_trace(client_for, employee):
    api = client_for(employee)
    project = ProjectFactory()
    task = TaskFactory(project=project)
    tag = TagFactory()
    assert api.post(reverse("api:client-list"), {"name": "Mine"}).status_code == 403
    assert api.post(reverse("api:project-list"), {"name": "Mine"}).status_code == 403
    assert api.post(reverse("api:task-list"), {"project": project.pk, "name": "Mine"}).status_code == 403
    for name, pk in [("client", project.client.pk), ("project", project.pk), ("task", task.pk), ("tag", tag.pk)]:
        url = reverse(f"api:{name}-detail", args=[pk])
        response = api.patch(url, {"name": "Renamed"})
        assert response.status_code == 403
        assert response.json()["detail"] == "Only HR and managers can change clients, projects, tasks and tags."
        assert api.delete(url).status_code == 403
    assert api.patch(reverse("api:project-detail", args=[project.pk]), {"active": False}).status_code == 403
    assert Project.objects.get().active and Client.objects.count() == 1 and Task.objects.count() == 1
    assert not AuditEvent.objects.exists()
    # Tags: anyone creates (audited), as entries do.
    assert api.post(reverse("api:tag-list"), {"name": "mine"}).status_code == 201
    assert actions() == ["tag.created"]


def test_duplicate_names_answer_the_same_400_as_before(client_for, hr):
    api = client_for(hr)
    acme = ClientFactory(name="Acme")
    ProjectFactory(client=acme, name="Website", code="WEB")
    TagFactory(name="deep work")
    response = api.post(reverse("api:client-list"), {"name": " ACME "})
    assert (response.status_code, response.json()) == (400, {"name": ["A client with this name exists."]})
    response = api.post(reverse("api:tag-list"), {"name": "Deep   Work"})
    assert (response.status_code, response.json()) == (400, {"name": ["A tag with this name exists."]})
    response = api.post(reverse("api:project-list"), {"client": acme.pk, "name": "WEBSITE"})
    assert response.json() == {"name": ["This client already has a project with this name."]}
    response = api.post(reverse("api:project-list"), {"name": "Other", "code": "WEB"})
    # DRF's validator of the code's unique index answers first, as it did before the services.
    assert response.json() == {"code": ["project with this code already exists."]}
    other = ClientFactory(name="Globex")
    response = api.patch(reverse("api:client-detail", args=[other.pk]), {"name": "acme"})
    assert (response.status_code, response.json()) == (400, {"name": ["A client with this name exists."]})
    assert not AuditEvent.objects.exists()


def test_a_race_lost_on_the_unique_index_is_a_409(client_for, hr, monkeypatch):
    ClientFactory(name="Acme")
    # As if a second request had checked before the first saved: only the index is left to refuse it.
    monkeypatch.setattr(catalog, "_duplicates", lambda instance: {})
    monkeypatch.setattr(Client, "validate_constraints", lambda self, exclude=None: None)
    response = client_for(hr).post(reverse("api:client-list"), {"name": "acme"})
    assert response.status_code == 409 and response.json()["code"] == "duplicate"
    assert Client.objects.count() == 1 and not AuditEvent.objects.exists()


def test_a_tag_name_is_collapsed_by_the_service(client_for, manager, employee):
    tag = Tag.objects.create(name="focus")
    response = client_for(manager).patch(reverse("api:tag-detail", args=[tag.pk]), {"name": "  deep \t work "})
    assert response.status_code == 200 and response.json()["name"] == "deep work"
    assert AuditEvent.objects.get(action="tag.updated").changes == {"name": ["focus", "deep work"]}
