"""The catalog admin writes through the catalog services: every save, inline task, delete and
archive is audited; only HR and managers write (the model permission alone is not enough)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.tests.factories import UserFactory
from timetracking.models import Client, Project, Tag, Task
from timetracking.tests.factories import ClientFactory, ProjectFactory, TagFactory, TaskFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db


def actions():
    """The catalog's audit events (signing in to the admin writes its own, auth.login)."""
    return sorted(AuditEvent.objects.exclude(action__startswith="auth.").values_list("action", flat=True))


def project_form(project=None, *, tasks=(), new_tasks=(), deleted=(), **fields):
    """The POST of the project add/change page: the project's fields and its tasks inline."""
    data = {
        "client": project.client_id if project and project.client_id else "",
        "name": project.name if project else "",
        "code": project.code if project else "",
        "color": project.color if project else "#3b82f6",
        "budget_hours": "",
        "members": [member.pk for member in project.members.all()] if project else [],
        "tasks-TOTAL_FORMS": str(len(tasks) + len(new_tasks)),
        "tasks-INITIAL_FORMS": str(len(tasks)),
        "tasks-MIN_NUM_FORMS": "0",
        "tasks-MAX_NUM_FORMS": "1000",
    }
    if project is None or project.active:
        data["active"] = "on"
    if project is None or project.billable:
        data["billable"] = "on"
    for index, task in enumerate(tasks):
        prefix = f"tasks-{index}-"
        data |= {f"{prefix}id": task.pk, f"{prefix}project": task.project_id, f"{prefix}name": task.name}
        if task.active:
            data[f"{prefix}active"] = "on"
        if task in deleted:
            data[f"{prefix}DELETE"] = "on"
    for index, name in enumerate(new_tasks, start=len(tasks)):
        data |= {f"tasks-{index}-name": name, f"tasks-{index}-active": "on"}
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def test_adding_and_changing_a_project_with_its_tasks_is_audited(admin_client, admin_user, employee):
    acme = ClientFactory(name="Acme")
    response = admin_client.post(
        reverse("admin:timetracking_project_add"),
        project_form(client=acme.pk, name=" Website ", code="WEB", members=[employee.pk], new_tasks=["Design"]),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    project = Project.objects.get()
    assert (project.name, list(project.members.all())) == ("Website", [employee])
    assert actions() == ["project.created", "task.created"]
    created = AuditEvent.objects.get(action="project.created")
    assert created.actor == admin_user and created.changes["members"] == [None, [employee.pk]]

    design = Task.objects.get()
    response = admin_client.post(
        reverse("admin:timetracking_project_change", args=[project.pk]),
        project_form(project, name="Web", members=[], tasks=[design], deleted=[design], new_tasks=["Build"]),
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.name == "Web" and not project.members.exists()
    assert list(Task.objects.values_list("name", flat=True)) == ["Build"]
    assert AuditEvent.objects.get(action="project.updated").changes == {
        "name": ["Website", "Web"],
        "members": [[employee.pk], []],
    }
    assert actions() == ["project.created", "project.updated", "task.created", "task.created", "task.deleted"]


def test_duplicate_tasks_inline_are_form_errors(admin_client):
    task = TaskFactory(name="Design")
    change = reverse("admin:timetracking_project_change", args=[task.project.pk])
    response = admin_client.post(change, project_form(task.project, tasks=[task], new_tasks=["DESIGN"]))
    assert response.status_code == 200  # the form again, not a 500
    (errors,) = [inline.formset.errors for inline in response.context["inline_admin_formsets"]]
    assert errors == [{}, {"name": ["This project already has a task with this name."]}]
    response = admin_client.post(change, project_form(task.project, tasks=[task], new_tasks=["Build", "build "]))
    (errors,) = [inline.formset.errors for inline in response.context["inline_admin_formsets"]]
    assert errors == [{}, {}, {"name": ["Two tasks here have this name."]}]
    assert Task.objects.count() == 1 and actions() == []


def test_a_task_renamed_inline_is_audited(admin_client):
    task = TaskFactory(name="Design")
    response = admin_client.post(
        reverse("admin:timetracking_project_change", args=[task.project.pk]),
        project_form(task.project, tasks=[task], **{"tasks-0-name": "Designs"}),
    )
    assert response.status_code == 302
    assert Task.objects.get().name == "Designs"
    assert actions() == ["task.updated"]  # the project itself did not change


def test_the_archive_action_is_audited_and_skips_archived_projects(admin_client, admin_user):
    project, archived = ProjectFactory(), ProjectFactory(active=False)
    changelist = reverse("admin:timetracking_project_changelist")
    response = admin_client.post(
        changelist, {"action": "archive", "_selected_action": [project.pk, archived.pk]}, follow=True
    )
    assert Project.objects.get(pk=project.pk).active is False
    (event,) = AuditEvent.objects.filter(action="project.archived")
    assert (event.actor, event.object_id, event.changes) == (admin_user, str(project.pk), {"active": [True, False]})
    shown = [str(message) for message in response.context["messages"]]
    assert "1 project(s) archived." in shown and any("already archived" in message for message in shown)
    admin_client.post(changelist, {"action": "unarchive", "_selected_action": [project.pk]})
    assert Project.objects.get(pk=project.pk).active is True
    assert actions() == ["project.archived", "project.unarchived"]


def test_deletes_are_audited_and_one_in_use_is_refused(admin_client, employee):
    client = ClientFactory()
    response = admin_client.post(reverse("admin:timetracking_client_delete", args=[client.pk]), {"post": "yes"})
    assert response.status_code == 302 and not Client.objects.filter(pk=client.pk).exists()
    tags = [TagFactory(), TagFactory()]
    admin_client.post(
        reverse("admin:timetracking_tag_changelist"),
        {"action": "delete_selected", "_selected_action": [tag.pk for tag in tags], "post": "yes"},
    )
    assert not Tag.objects.exists()
    assert actions() == ["client.deleted", "tag.deleted", "tag.deleted"]
    used = ProjectFactory()
    TimeEntryFactory(user=employee, project=used)
    response = admin_client.post(reverse("admin:timetracking_project_delete", args=[used.pk]), {"post": "yes"})
    assert response.status_code == 200  # the "cannot delete: protected" page
    assert Project.objects.filter(pk=used.pk).exists() and "project.deleted" not in actions()


def test_a_duplicate_name_is_a_form_error_with_the_services_message(admin_client):
    TagFactory(name="deep work")
    response = admin_client.post(reverse("admin:timetracking_tag_add"), {"name": "Deep   Work"})
    assert response.status_code == 200  # the form again, not a 500
    assert response.context["adminform"].form.errors == {"name": ["A tag with this name exists."]}
    ClientFactory(name="Acme")
    response = admin_client.post(reverse("admin:timetracking_client_add"), {"name": "ACME"})
    assert response.context["adminform"].form.errors == {"name": ["A client with this name exists."]}
    assert Tag.objects.count() == 1 and Client.objects.count() == 1 and actions() == []


@pytest.fixture
def staff_with_catalog_permissions():
    """`make(user)`: the user made staff with every model permission on the catalog."""

    def make(user):
        user.is_staff = True
        user.save()
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="timetracking", content_type__model__in=["client", "project", "task", "tag"]
            )
        )
        return user

    return make


def test_an_employee_with_the_model_permissions_cannot_write_the_catalog(client, staff_with_catalog_permissions):
    employee = staff_with_catalog_permissions(UserFactory(username="staff-employee"))
    client.force_login(employee)
    project = ProjectFactory(name="Website")
    assert client.get(reverse("admin:timetracking_project_changelist")).status_code == 200  # reads
    assert client.get(reverse("admin:timetracking_client_add")).status_code == 403
    assert client.post(reverse("admin:timetracking_client_add"), {"name": "Mine"}).status_code == 403
    change = reverse("admin:timetracking_project_change", args=[project.pk])
    assert client.post(change, project_form(project, name="Renamed")).status_code == 403
    delete = reverse("admin:timetracking_project_delete", args=[project.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    client.post(
        reverse("admin:timetracking_project_changelist"), {"action": "archive", "_selected_action": [project.pk]}
    )
    project.refresh_from_db()
    assert (project.name, project.active) == ("Website", True)
    assert not Client.objects.filter(name="Mine").exists() and actions() == []


def test_a_manager_with_the_model_permissions_writes_the_catalog(
    client, manager, employee, staff_with_catalog_permissions
):
    client.force_login(staff_with_catalog_permissions(manager))
    response = client.post(reverse("admin:timetracking_client_add"), {"name": "Acme"})
    assert response.status_code == 302 and Client.objects.filter(name="Acme").exists()
    assert AuditEvent.objects.get(action="client.created").actor == manager
