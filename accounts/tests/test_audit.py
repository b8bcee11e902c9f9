"""The audit trail: written by services, append-only in the database, HR-only reads, purge."""

from datetime import timedelta

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AuditEvent
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:audit-event-list")


def test_record_stores_actor_object_changes_and_redacts_secrets(employee):
    event = services.audit_record(
        actor=employee,
        action="user.updated",
        obj=employee,
        changes=services.audit_changes(
            {"first_name": "A", "password": "old-hash"}, {"first_name": "B", "password": "new-hash"}
        ),
    )
    event.refresh_from_db()
    assert event.actor_username == "employee"
    assert (event.object_type, event.object_id) == ("accounts.user", str(employee.pk))
    assert event.changes == {"first_name": ["A", "B"], "password": ["[redacted]", "[redacted]"]}
    assert "old-hash" not in str(event.changes)


def test_orm_update_is_refused_by_the_database(employee):
    event = services.audit_record(actor=employee, action="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    event.refresh_from_db()
    assert event.action == "x"


def test_orm_delete_is_refused_by_the_database(employee):
    event = services.audit_record(actor=employee, action="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "statement", ["UPDATE accounts_auditevent SET action = 'x'", "DELETE FROM accounts_auditevent"]
)
def test_raw_sql_update_and_delete_are_refused(employee, statement):
    services.audit_record(actor=employee, action="kept")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.filter(action="kept").count() == 1


def test_purge_removes_only_old_events_and_records_that_it_did(employee):
    with time_machine.travel(timezone.now() - timedelta(days=200)):
        services.audit_record(actor=employee, action="old")
    services.audit_record(actor=employee, action="recent")
    assert services.audit_purge(older_than_days=180) == 1
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert actions == {"recent", "audit.purged"}
    purge_event = AuditEvent.objects.get(action="audit.purged")
    assert purge_event.changes["deleted"] == [None, 1]
    # The permit never outlives the purge.
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM accounts_auditpurgepermit")
        assert cursor.fetchone()[0] == 0


def test_purge_task_uses_the_retention_setting(employee, settings):
    from accounts.tasks import purge_audit_events

    settings.AUDIT_RETENTION_DAYS = 10
    with time_machine.travel(timezone.now() - timedelta(days=11)):
        services.audit_record(actor=employee, action="old")
    assert purge_audit_events.delay().get() == 1


def test_login_and_failed_login_are_audited_without_the_password(client, employee):
    client.post(reverse("accounts:login"), {"username": "employee", "password": "wrong-guess"})
    client.post(reverse("accounts:login"), {"username": "employee", "password": PASSWORD})
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.object_id == "employee"
    assert failed.ip_address == "127.0.0.1"
    assert failed.request_id
    assert AuditEvent.objects.filter(action="auth.login", actor=employee).count() == 1
    assert not AuditEvent.objects.filter(changes__icontains="wrong-guess").exists()


def test_hr_reads_and_filters_the_trail(client_for, hr, employee):
    services.audit_record(actor=employee, action="thing.done", obj=employee)
    services.audit_record(actor=hr, action="other.done")
    response = client_for(hr).get(LIST_URL, {"actor": employee.pk})
    assert response.status_code == 200
    assert [row["action"] for row in response.json()["results"]] == ["thing.done"]
    by_object = client_for(hr).get(LIST_URL, {"object_type": "accounts.user", "object_id": employee.pk})
    assert by_object.json()["count"] == 1


@pytest.mark.parametrize("who", ["employee", "manager"])
def test_non_hr_may_not_read_the_trail(client_for, request, who):
    user = request.getfixturevalue(who)
    assert client_for(user).get(LIST_URL).status_code == 403


def test_the_api_cannot_change_or_delete_events(client_for, hr, employee):
    event = services.audit_record(actor=employee, action="x")
    detail = reverse("api:audit-event-detail", args=[event.pk])
    client = client_for(hr)
    assert client.post(LIST_URL, {"action": "forged"}).status_code == 405
    assert client.patch(detail, {"action": "forged"}).status_code == 405
    assert client.delete(detail).status_code == 405


def test_admin_is_read_only(client, hr, employee):
    event = services.audit_record(actor=employee, action="x")
    client.force_login(hr)
    assert client.get(reverse("admin:accounts_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:accounts_auditevent_delete", args=[event.pk])).status_code == 403


def test_audit_list_query_count_does_not_grow(client_for, hr, employee, django_assert_max_num_queries):
    for _ in range(3):
        services.audit_record(actor=employee, action="x")
    client = client_for(hr)
    with django_assert_max_num_queries(5) as few:
        client.get(LIST_URL)
    for _ in range(20):
        services.audit_record(actor=employee, action="x")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(LIST_URL)
