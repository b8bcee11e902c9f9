"""Admin changelists: they load, search/filter, and do not grow in queries with rows."""

import pytest
from django.urls import reverse

from timetracking.models import Project, TimeEntry
from timetracking.tests.factories import ProjectFactory, TagFactory, TaskFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = ["client", "project", "task", "tag", "timeentry"]


def make_rows(users, count):
    for user in users:
        for _ in range(count):
            task = TaskFactory(project=ProjectFactory(members=[user]))
            TimeEntryFactory(user=user, project=task.project, task=task, tags=[TagFactory()])


@pytest.mark.parametrize("model", CHANGELISTS)
def test_changelists_do_not_grow_with_rows(admin_client, admin_user, employee, model, django_assert_max_num_queries):
    url = reverse(f"admin:timetracking_{model}_changelist")
    make_rows([employee], 2)
    with django_assert_max_num_queries(20) as captured:
        assert admin_client.get(url).status_code == 200
    few = len(captured.captured_queries)
    make_rows([employee], 15)
    with django_assert_max_num_queries(few):
        assert admin_client.get(url).status_code == 200


def test_search_filter_and_date_hierarchy(admin_client, employee):
    TimeEntryFactory(user=employee, description="payment webhook")
    url = reverse("admin:timetracking_timeentry_changelist")
    assert "payment webhook" in admin_client.get(url, {"q": "webhook"}).content.decode()
    assert admin_client.get(url, {"source__exact": "timer"}).status_code == 200
    assert admin_client.get(url, {"started_at__year": "2026"}).status_code == 200
    projects_url = reverse("admin:timetracking_project_changelist")
    assert admin_client.get(projects_url, {"q": "x", "active__exact": "1"}).status_code == 200


def test_project_change_page_has_tasks_inline(admin_client):
    project = TaskFactory(name="Inline task").project
    html = admin_client.get(reverse("admin:timetracking_project_change", args=[project.pk])).content.decode()
    assert "Inline task" in html


def test_archive_action(admin_client):
    project = ProjectFactory()
    admin_client.post(
        reverse("admin:timetracking_project_changelist"), {"action": "archive", "_selected_action": [project.pk]}
    )
    assert Project.objects.get(pk=project.pk).active is False


def test_time_entries_are_read_only_in_the_admin(admin_client, employee):
    entry = TimeEntryFactory(user=employee)
    assert admin_client.get(reverse("admin:timetracking_timeentry_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:timetracking_timeentry_change", args=[entry.pk]), {"description": "changed"}
    )
    assert response.status_code == 403
    assert TimeEntry.objects.get().description == entry.description


def test_a_manager_sees_only_their_teams_entries_in_the_admin(client, manager, employee, outsider):
    from django.contrib.auth.models import Permission

    manager.user_permissions.add(Permission.objects.get(codename="view_timeentry"))
    mine = TimeEntryFactory(user=employee, description="alpha-entry")
    TimeEntryFactory(user=outsider, description="beta-entry")
    client.force_login(manager)
    html = client.get(reverse("admin:timetracking_timeentry_changelist")).content.decode()
    assert "alpha-entry" in html and "beta-entry" not in html
    assert client.get(reverse("admin:timetracking_timeentry_change", args=[mine.pk])).status_code == 200


def test_deleting_a_project_in_use_is_refused_by_the_admin(admin_client, employee):
    project = ProjectFactory()
    TimeEntryFactory(user=employee, project=project)
    response = admin_client.post(reverse("admin:timetracking_project_delete", args=[project.pk]), {"post": "yes"})
    assert response.status_code == 200  # the "cannot delete: protected" page
    assert Project.objects.filter(pk=project.pk).exists()
