"""Every entry write is audited and published to webhooks in its own transaction; a refused one leaves nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from timetracking.tests.factories import utc
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:time-entry-list")


def events(action):
    return list(AuditEvent.objects.filter(action=action)), list(OutboxEvent.objects.filter(event_type=action))


def test_create_update_delete_are_audited_and_published(client_for, employee):
    client = client_for(employee)
    entry = client.post(
        LIST_URL, {"started_at": "2026-03-09T08:00:00Z", "duration": "1:30", "tags": ["review"], "description": "a"}
    ).json()
    (audit,), (outbox,) = events("time_entry.created")
    assert (audit.actor, audit.object_type, audit.object_id) == (employee, "timetracking.timeentry", str(entry["id"]))
    assert audit.changes["description"] == [None, "a"] and audit.changes["tags"] == [None, ["review"]]
    assert outbox.payload["id"] == entry["id"] and outbox.payload["hours"] == "1.50"
    assert outbox.payload["user"] == employee.pk and outbox.payload["tags"] == ["review"]

    client.patch(reverse("api:time-entry-detail", args=[entry["id"]]), {"description": "b"})
    (audit,), (outbox,) = events("time_entry.updated")
    assert audit.changes == {"description": ["a", "b"]}
    assert outbox.payload["description"] == "b"

    client.delete(reverse("api:time-entry-detail", args=[entry["id"]]))
    (audit,), (outbox,) = events("time_entry.deleted")
    assert audit.object_id == str(entry["id"]) and outbox.payload == {"id": entry["id"], "user": employee.pk}


def test_refused_writes_leave_no_audit_event_and_no_webhook(client_for, employee):
    client = client_for(employee)
    client.post(LIST_URL, {"started_at": "2026-03-09T08:00:00Z", "duration": "2:00"})
    audit_count, outbox_count = AuditEvent.objects.count(), OutboxEvent.objects.count()
    assert client.post(LIST_URL, {"started_at": "2026-03-09T09:00:00Z", "duration": "2:00"}).status_code == 409
    rows = [
        {"started_at": "2026-03-09T12:00:00Z", "duration": "1:00"},
        {"started_at": "2026-03-09T12:30:00Z", "duration": "1:00"},
    ]
    assert client.post(reverse("api:time-entry-bulk"), {"entries": rows}).status_code == 400
    assert (AuditEvent.objects.count(), OutboxEvent.objects.count()) == (audit_count, outbox_count)


def test_timer_start_switch_and_stop_are_published(client_for, employee, frozen):
    client = client_for(employee)
    client.post(reverse("api:timer-start"), {"description": "first"})
    frozen.shift(timedelta(minutes=5))
    client.post(reverse("api:timer-start"), {"description": "second", "switch": True})
    frozen.shift(timedelta(minutes=5))
    client.post(reverse("api:timer-stop"), {})
    assert [event.event_type for event in OutboxEvent.objects.order_by("id")] == [
        "time_entry.created",
        "time_entry.updated",
        "time_entry.created",
        "time_entry.updated",
    ]
    stop = AuditEvent.objects.filter(action="time_entry.updated").order_by("id").last()
    assert stop.changes["ended_at"][0] is None and stop.changes["ended_at"][1]
    assert utc(2026, 3, 10, 12).isoformat()[:10] in stop.changes["ended_at"][1]
