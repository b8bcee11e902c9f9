"""The catalog services: who may write, names and duplicates, archive, delete, and one audit event per write."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent
from timetracking import services
from timetracking.models import Client, Project, Tag, Task
from timetracking.tests.factories import ClientFactory, ProjectFactory, TagFactory, TaskFactory, TimeEntryFactory
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


def audit(action):
    return list(AuditEvent.objects.filter(action=action))


def test_create_is_audited_with_every_field(manager, employee):
    acme = services.client_create(actor=manager, name="  Acme ")
    project = services.project_create(
        actor=manager, client=acme, name="Website", code="WEB", budget_hours=Decimal("10"), members=[employee]
    )
    task = services.task_create(actor=manager, project=project, name="Design")
    assert acme.name == "Acme"  # trimmed
    (client_event,) = audit("client.created")
    assert (client_event.actor, client_event.object_type, client_event.object_id) == (
        manager,
        "timetracking.client",
        str(acme.pk),
    )
    assert client_event.changes == {"name": [None, "Acme"]}
    (project_event,) = audit("project.created")
    assert project_event.changes["client"] == [None, acme.pk]
    assert project_event.changes["members"] == [None, [employee.pk]]
    assert project_event.changes["budget_hours"] == [None, "10"]
    assert list(project.members.all()) == [employee]
    (task_event,) = audit("task.created")
    assert task_event.object_id == str(task.pk)
    assert task_event.changes == {"project": [None, project.pk], "name": [None, "Design"], "active": [None, True]}
    assert not OutboxEvent.objects.exists()  # no webhook event exists for the catalog


def test_employees_may_not_write_the_catalog_but_may_create_tags(employee):
    project = ProjectFactory()
    for write in (
        lambda: services.client_create(actor=employee, name="Mine"),
        lambda: services.project_create(actor=employee, name="Mine"),
        lambda: services.task_create(actor=employee, project=project, name="Mine"),
        lambda: services.catalog_update(actor=employee, instance=project, name="Renamed"),
        lambda: services.catalog_archive(actor=employee, instance=project),
        lambda: services.catalog_delete(actor=employee, instance=project),
    ):
        with pytest.raises(services.CatalogNotAllowed) as refused:
            write()
        assert refused.value.kind == "forbidden"
    assert Project.objects.get().name == project.name and Project.objects.get().active
    assert not AuditEvent.objects.exists()
    tag = services.tag_create(actor=employee, name=" deep   work ")
    assert tag.name == "deep work"
    with pytest.raises(services.CatalogNotAllowed):
        services.catalog_update(actor=employee, instance=tag, name="focus")


@pytest.mark.parametrize(
    ("make", "field", "message"),
    [
        (lambda actor: services.client_create(actor=actor, name="ACME"), "name", "A client with this name exists."),
        (lambda actor: services.tag_create(actor=actor, name="Deep  WORK"), "name", "A tag with this name exists."),
        (
            lambda actor: services.project_create(actor=actor, client=Client.objects.get(), name="website"),
            "name",
            "This client already has a project with this name.",
        ),
        (
            lambda actor: services.project_create(actor=actor, name="Other", code="WEB"),
            "code",
            "Another project uses this code.",
        ),
        (
            lambda actor: services.task_create(actor=actor, project=Project.objects.get(), name=" DESIGN "),
            "name",
            "This project already has a task with this name.",
        ),
    ],
)
def test_duplicates_are_refused_case_insensitively(hr, make, field, message):
    acme = ClientFactory(name="Acme")
    TaskFactory(project=ProjectFactory(client=acme, name="Website", code="WEB"), name="Design")
    TagFactory(name="deep work")
    with pytest.raises(ValidationError) as refused:
        make(hr)
    assert refused.value.message_dict == {field: [message]}
    assert (Client.objects.count(), Project.objects.count(), Task.objects.count(), Tag.objects.count()) == (1, 1, 1, 1)
    assert not AuditEvent.objects.exists()


def test_a_rename_to_another_rows_name_is_refused_but_to_its_own_is_not(hr):
    ClientFactory(name="Acme")
    globex = ClientFactory(name="Globex")
    with pytest.raises(ValidationError):
        services.catalog_update(actor=hr, instance=globex, name="acme")
    services.catalog_update(actor=hr, instance=globex, name="GLOBEX")
    assert Client.objects.get(pk=globex.pk).name == "GLOBEX"


def test_model_rules_are_checked(hr):
    with pytest.raises(ValidationError) as refused:
        services.project_create(actor=hr, name="Colours", color="red", budget_hours=Decimal("-1"))
    assert set(refused.value.message_dict) == {"color", "budget_hours"}
    with pytest.raises(ValidationError) as refused:
        services.client_create(actor=hr, name="x" * 201)
    assert set(refused.value.message_dict) == {"name"}
    assert not Project.objects.exists() and not Client.objects.exists()


def test_an_update_writes_and_audits_only_what_changes(hr, employee, colleague):
    project = ProjectFactory(name="Website", members=[employee])
    stale = Project.objects.get(pk=project.pk)
    Project.objects.filter(pk=project.pk).update(active=False)  # archived meanwhile
    updated = services.catalog_update(actor=hr, instance=stale, name="Web", members=[employee, colleague])
    project.refresh_from_db()
    assert (project.name, project.active) == ("Web", False)  # the rename did not reopen it
    assert updated.name == "Web"
    (event,) = audit("project.updated")
    assert event.changes == {
        "name": ["Website", "Web"],
        "members": [[employee.pk], sorted([employee.pk, colleague.pk])],
    }
    services.catalog_update(actor=hr, instance=project, name="Web")
    assert len(audit("project.updated")) == 1  # nothing changed, nothing audited


def test_an_update_of_an_unknown_field_is_refused(hr):
    with pytest.raises(services.TimeTrackingError) as refused:
        services.catalog_update(actor=hr, instance=ClientFactory(), created_at=None)
    assert "created_at" in refused.value.message


def test_archive_and_reopen_are_audited_and_twice_is_a_conflict(manager, employee):
    # (the employee fixture reports to the manager: without a report, a manager is not one)
    project = ProjectFactory()
    services.catalog_archive(actor=manager, instance=project)
    assert Project.objects.get(pk=project.pk).active is False
    (event,) = audit("project.archived")
    assert (event.actor, event.object_id, event.changes) == (manager, str(project.pk), {"active": [True, False]})
    with pytest.raises(services.TimeTrackingConflict) as again:
        services.catalog_archive(actor=manager, instance=project)
    assert again.value.code == "already_archived"
    services.catalog_unarchive(actor=manager, instance=project)
    assert Project.objects.get(pk=project.pk).active is True
    assert audit("project.unarchived")[0].changes == {"active": [False, True]}
    with pytest.raises(services.TimeTrackingConflict) as again:
        services.catalog_unarchive(actor=manager, instance=project)
    assert again.value.code == "already_open"
    task = services.catalog_archive(actor=manager, instance=TaskFactory())
    assert task.active is False and audit("task.archived")
    with pytest.raises(services.TimeTrackingError) as refused:
        services.catalog_archive(actor=manager, instance=ClientFactory())
    assert refused.value.code == "not_archivable"


def test_delete_is_audited_and_one_in_use_is_refused(hr, employee):
    project = ProjectFactory(members=[employee])
    project_id = project.pk
    services.catalog_delete(actor=hr, instance=project)
    (event,) = audit("project.deleted")
    assert (event.actor, event.object_id) == (hr, str(project_id))
    assert event.changes["name"] == [project.name, None] and event.changes["members"] == [[employee.pk], None]
    used = ProjectFactory()
    TimeEntryFactory(user=employee, project=used)
    with pytest.raises(services.TimeTrackingConflict) as refused:
        services.catalog_delete(actor=hr, instance=used)
    assert refused.value.code == "in_use"
    with pytest.raises(services.TimeTrackingConflict):
        services.catalog_delete(actor=hr, instance=used.client)  # a client with projects
    assert Project.objects.filter(pk=used.pk).exists()
    assert len(audit("project.deleted")) == 1 and not audit("client.deleted")


def test_the_system_writes_without_an_actor(employee):
    client = services.client_create(actor=None, name="Seeded")
    (event,) = audit("client.created")
    assert (event.actor, event.actor_username) == (None, "")
    services.catalog_delete(instance=client)  # the callers that name no actor
    assert audit("client.deleted")


def test_members_are_for_projects_only(hr, employee):
    with pytest.raises(services.TimeTrackingError) as refused:
        services.catalog_update(actor=hr, instance=ClientFactory(), members=[employee])
    assert "members" in refused.value.message  # not a field of clients
    with pytest.raises(services.TimeTrackingError):
        services.catalog_create(actor=hr, instance=Client(name="Acme"), members=[employee])
    assert not Client.objects.filter(name="Acme").exists()
