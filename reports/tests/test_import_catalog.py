"""An import creates the missing clients, projects and tasks through the catalog services: audited,
refused for employees, and forgotten again when the row that created them is refused."""

import pytest

from accounts.models import AuditEvent
from reports import services
from reports.tests.factories import TimeEntryFactory, utc
from timetracking.models import Client, Project, Task

pytestmark = pytest.mark.django_db

HEADER = "User,Email,Client,Project,Task,Description,Billable,Start,End,Tags\n"


def _rows(user, *lines):
    return services.parse_upload(data=(HEADER + "".join(lines)).encode(), file_format="native", user=user)


def _line(client, project, task, start, end):
    return f",,{client},{project},{task},,No,{start},{end},\n"


def test_created_catalog_rows_are_audited_with_the_importer_as_actor(manager, employee):
    rows = _rows(manager, _line("Acme", "Website", "Design", "2026-03-02T09:00:00+01:00", "2026-03-02T10:00:00+01:00"))
    result = services.entries_import(actor=manager, user=manager, rows=rows, create_missing=True)
    assert result["created"] == 1
    project = Project.objects.get(name="Website")
    assert project.client.name == "Acme" and Task.objects.get().project == project
    events = {event.action: event for event in AuditEvent.objects.filter(action__endswith=".created")}
    assert {"client.created", "project.created", "task.created"} <= set(events)
    assert events["project.created"].actor == manager
    assert events["project.created"].object_id == str(project.pk)


def test_an_employee_creates_no_project_and_no_audit_event(employee):
    rows = _rows(employee, _line("", "Website", "", "2026-03-02T09:00:00+01:00", "2026-03-02T10:00:00+01:00"))
    with pytest.raises(services.ImportRefused) as refused:
        services.entries_import(actor=employee, user=employee, rows=rows, create_missing=True)
    assert "only HR and managers" in refused.value.errors[0]["errors"]["project"][0]
    assert not Project.objects.exists()
    assert not AuditEvent.objects.filter(action="project.created").exists()


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_refused_row_does_not_leave_its_new_project_to_the_next_rows(manager, employee, dry_run):
    """The first row creates "Website" and is refused (it overlaps an entry): its savepoint took the
    project back, so the second row creates it again instead of naming a project that is gone."""
    TimeEntryFactory(user=manager, started_at=utc(2026, 3, 2, 8), ended_at=utc(2026, 3, 2, 9))
    rows = _rows(
        manager,
        _line("", "Website", "", "2026-03-02T09:00:00+01:00", "2026-03-02T10:00:00+01:00"),  # overlaps
        _line("", "Website", "", "2026-03-03T09:00:00+01:00", "2026-03-03T10:00:00+01:00"),
    )
    if dry_run:
        result = services.entries_import(actor=manager, user=manager, rows=rows, create_missing=True, dry_run=True)
        assert [row["outcome"] for row in result["preview"]] == ["error", "created"]
        assert [error["row"] for error in result["errors"]] == [2]
    else:
        with pytest.raises(services.ImportRefused) as refused:
            services.entries_import(actor=manager, user=manager, rows=rows, create_missing=True)
        assert [error["row"] for error in refused.value.errors] == [2]  # only the overlap, not "no such project"
    assert not Project.objects.exists() and not Client.objects.exists()
    assert not AuditEvent.objects.filter(action="project.created").exists()
