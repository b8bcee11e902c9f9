"""Signed webhooks through the outbox, against a real HTTP receiver on 127.0.0.1."""

import hashlib
import hmac
import json

import pytest
from django.db import transaction
from django.urls import reverse

from webhooks import services
from webhooks.models import Delivery, Endpoint, OutboxEvent
from webhooks.tasks import deliver, relay_outbox
from webhooks.tests.conftest import Receiver

# The receivers listen on 127.0.0.1: allowed here only (conftest.py), never by default.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_receivers")]


def verify(secret, headers, body):
    """The verification snippet from README, as a receiver would write it."""
    parts = dict(item.split("=", 1) for item in headers["X-Timetrack-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_a_committed_change_is_delivered_signed(receiver, django_capture_on_commit_callbacks):
    endpoint = Endpoint.objects.create(url=receiver.url, events=["time_entry.created"])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.outbox_publish(event_type="time_entry.created", payload={"id": 7, "hours": "1.5"})
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert verify(endpoint.secret, request["headers"], request["body"])
    assert not verify("wrong-secret", request["headers"], request["body"])
    document = json.loads(request["body"])
    assert document["type"] == "time_entry.created" and document["data"] == {"id": 7, "hours": "1.5"}
    assert request["headers"]["X-Timetrack-Event"] == "time_entry.created"
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 1, 204)


def test_a_rolled_back_change_sends_nothing(receiver, django_capture_on_commit_callbacks):
    Endpoint.objects.create(url=receiver.url, events=["time_entry.created"])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.outbox_publish(event_type="time_entry.created", payload={"id": 1})
        raise RuntimeError("the change failed")
    assert OutboxEvent.objects.count() == 0
    relay_outbox.delay()
    assert receiver.requests == []


def test_an_event_survives_a_broker_outage_and_is_sent_later(receiver, django_capture_on_commit_callbacks):
    Endpoint.objects.create(url=receiver.url, events=["leave_request.approved"])
    # execute=False: the on-commit relay never runs, as when the broker is down.
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        services.outbox_publish(event_type="leave_request.approved", payload={"id": 3})
    assert receiver.requests == []
    assert OutboxEvent.objects.pending().count() == 1
    assert relay_outbox.delay().get() == 1  # the periodic relay, once the broker is back
    assert len(receiver.requests) == 1
    assert OutboxEvent.objects.pending().count() == 0


def test_relaying_twice_delivers_once(receiver):
    Endpoint.objects.create(url=receiver.url, events=["production.recorded"])
    services.outbox_publish(event_type="production.recorded", payload={"factory_id": 1})
    relay_outbox.delay()
    relay_outbox.delay()
    OutboxEvent.objects.update(relayed_at=None)  # even a relay that lost its bookkeeping
    relay_outbox.delay()
    assert Delivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_running_a_delivery_task_twice_has_one_effect(receiver):
    Endpoint.objects.create(url=receiver.url, events=["period.locked"])
    services.outbox_publish(event_type="period.locked", payload={"week": "2026-W47"})
    relay_outbox.delay()
    delivery = Delivery.objects.get()
    assert deliver.delay(delivery.pk).get() is True
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_only_subscribed_active_endpoints_receive(receiver):
    other = Receiver()
    try:
        Endpoint.objects.create(url=receiver.url, events=["time_entry.deleted"])
        Endpoint.objects.create(url=other.url, events=["time_entry.created"])
        Endpoint.objects.create(url=other.url, events=["time_entry.deleted"], is_active=False)
        services.outbox_publish(event_type="time_entry.deleted", payload={"id": 1})
        relay_outbox.delay()
        assert len(receiver.requests) == 1
        assert other.requests == []
    finally:
        other.close()


def test_a_failing_receiver_is_retried_then_given_up_and_can_be_resent(
    admin_client, hr, django_capture_on_commit_callbacks
):
    failing = Receiver(status=500)
    try:
        Endpoint.objects.create(url=failing.url, events=["time_entry.created"])
        services.outbox_publish(event_type="time_entry.created", payload={"id": 1})
        relay_outbox.delay()
        delivery = Delivery.objects.get()
        assert delivery.status == "failed"
        assert delivery.attempts == len(failing.requests) > 1
        assert delivery.response_status == 500
        failing.status = 200
        attempts_before = len(failing.requests)
        admin_client.force_login(hr)
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("admin:webhooks_delivery_changelist"),
                {"action": "resend_selected", "_selected_action": [delivery.pk]},
            )
        assert response.status_code == 302
        assert len(failing.requests) == attempts_before + 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.response_status) == ("succeeded", 200)
    finally:
        failing.close()


def test_unreachable_receiver_is_logged_not_raised():
    Endpoint.objects.create(url="http://127.0.0.1:1/nothing", events=["time_entry.created"])
    services.outbox_publish(event_type="time_entry.created", payload={"id": 1})
    relay_outbox.delay()
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.last_error


def test_unknown_event_type_cannot_be_published():
    with pytest.raises(ValueError, match="Unknown webhook event type"):
        services.outbox_publish(event_type="nope.happened", payload={})


class TestApi:
    url = reverse("api:webhook-list")

    def test_hr_registers_an_endpoint_and_sees_its_secret(self, client_for, hr):
        response = client_for(hr).post(
            self.url, {"url": "https://93.184.216.34/hook", "events": ["time_entry.created"]}
        )
        assert response.status_code == 201, response.json()
        assert len(response.json()["secret"]) >= 32

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"url": "https://93.184.216.34/h", "events": ["nope"]}, "events"),
            ({"url": "https://93.184.216.34/h", "events": []}, "events"),
            ({"url": "ftp://93.184.216.34/h", "events": ["time_entry.created"]}, "url"),
            ({"url": "not a url", "events": ["time_entry.created"]}, "url"),
        ],
    )
    def test_bad_input_is_400(self, client_for, hr, payload, field):
        response = client_for(hr).post(self.url, payload, format="json")
        assert response.status_code == 400
        assert field in response.json()
        assert Endpoint.objects.count() == 0

    def test_secret_is_not_writable(self, client_for, hr):
        response = client_for(hr).post(
            self.url, {"url": "https://93.184.216.34/h", "events": ["period.locked"], "secret": "mine"}, format="json"
        )
        assert response.json()["secret"] != "mine"

    @pytest.mark.parametrize("who", ["employee", "manager"])
    def test_non_hr_may_not_manage_webhooks(self, client_for, request, who):
        client = client_for(request.getfixturevalue(who))
        assert client.get(self.url).status_code == 403
        assert client.post(self.url, {"url": "https://e.com/h", "events": ["period.locked"]}).status_code == 403
        assert client.get(reverse("api:webhook-delivery-list")).status_code == 403

    def test_deliveries_list_query_count(self, client_for, hr, receiver, django_assert_num_queries):
        Endpoint.objects.create(url=receiver.url, events=["time_entry.created"])
        for index in range(5):
            services.outbox_publish(event_type="time_entry.created", payload={"id": index})
        relay_outbox.delay()
        with django_assert_num_queries(3):  # HR check + count + one page with its events joined
            response = client_for(hr).get(reverse("api:webhook-delivery-list"))
        assert response.json()["count"] == 5


def test_purge_forgets_old_relayed_events_only():
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from webhooks.tasks import purge_outbox

    with time_machine.travel(timezone.now() - timedelta(days=40)):
        services.outbox_publish(event_type="time_entry.created", payload={"id": 1})
        relay_outbox.delay()
    services.outbox_publish(event_type="time_entry.created", payload={"id": 2})  # recent, not relayed
    assert purge_outbox.delay().get() == 1
    assert list(OutboxEvent.objects.values_list("payload__id", flat=True)) == [2]
