"""Publishing events, relaying the outbox, signing and sending deliveries."""

import hashlib
import hmac
import http.client
import json
import logging
import time
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import DomainError
from core.tasks import enqueue_on_commit, publish
from webhooks import destinations
from webhooks.models import EVENT_TYPES, Delivery, Endpoint, OutboxEvent

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Timetrack-Signature"
EVENT_HEADER = "X-Timetrack-Event"
DELIVERY_TIMEOUT_SECONDS = 10


class WebhookError(DomainError):
    pass


def outbox_publish(*, event_type: str, payload: Mapping[str, Any]) -> OutboxEvent:
    """Record an event in the caller's transaction; it is relayed once that commits."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown webhook event type {event_type!r}")
    event = OutboxEvent.objects.create(
        event_type=event_type, payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    )

    transaction.on_commit(relay_queue_once)
    return event


RELAY_QUEUED_KEY = "webhooks:relay-queued"
RELAY_PERIOD_SECONDS = 30.0  # the periodic relay (webhooks.apps)


def relay_queue_once() -> None:
    """After a commit that published events, queue a relay, unless one is queued and has not
    started yet: that one will read this commit's events, since a relay clears the flag
    (`relay_started`) before it reads the outbox, and this runs after the commit. A write then
    costs one cache round trip instead of a broker publish. The flag lapses after the periodic
    relay's interval, so a lost relay message delays events by no more than that. Broker or cache
    down: logged, never raised (the events wait in the outbox for the periodic relay)."""
    from webhooks.tasks import relay_outbox  # cycle: webhooks.tasks imports this module

    try:
        if not cache.add(RELAY_QUEUED_KEY, 1, timeout=RELAY_PERIOD_SECONDS):
            return
    except Exception:
        logger.warning("Cache unavailable: queueing the relay anyway.", exc_info=True)
    if not publish(relay_outbox, lost="the periodic relay sends the events"):
        relay_started()


def relay_started() -> None:
    try:
        cache.delete(RELAY_QUEUED_KEY)
    except Exception:
        logger.warning("Cache unavailable: could not clear the relay flag.", exc_info=True)


def endpoint_validate_url(url: str) -> str:
    """Refuse (RefusedDestination, on `url`) a URL that is, or resolves to, an internal address:
    webhooks/destinations.py. Checked again before every delivery."""
    destinations.check(url)
    return url


def endpoint_validate_events(events: Iterable[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise WebhookError(gettext("Unknown event types: {join}.").format(join=", ".join(unknown)), field="events")
    if not events:
        raise WebhookError(gettext("Choose at least one event type."), field="events")
    return sorted(set(events))


@transaction.atomic
def outbox_relay(*, batch_size: int = 500) -> list[int]:
    """Turn pending events into deliveries. Returns the ids of the deliveries created.

    SKIP LOCKED lets several relays run at once without handling an event twice (and the
    unique (endpoint, event) constraint backs that up).
    """
    events = list(OutboxEvent.objects.pending().select_for_update(skip_locked=True).order_by("id")[:batch_size])
    if not events:
        return []
    endpoints = list(Endpoint.objects.filter(is_active=True))
    deliveries = [
        Delivery(endpoint=endpoint, event=event)
        for event in events
        for endpoint in endpoints
        if endpoint.wants(event.event_type)
    ]
    created = Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    OutboxEvent.objects.filter(pk__in=[event.pk for event in events]).update(relayed_at=timezone.now())
    created_ids = list(
        Delivery.objects.filter(event__in=events, status=Delivery.Status.PENDING).values_list("pk", flat=True)
    )
    del created
    return created_ids


def outbox_purge(*, older_than_days: int) -> int:

    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = OutboxEvent.objects.filter(relayed_at__lt=cutoff).delete()
    return deleted


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex. See README "Verifying a webhook"."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def delivery_body(delivery: Delivery) -> bytes:
    event = delivery.event
    document = {
        "id": event.pk,
        "type": event.event_type,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def delivery_send(*, delivery_id: int) -> bool:
    """POST one delivery. Returns True when delivered (2xx); False when it should be retried.

    The URL is checked again here, after resolving its host now (webhooks/destinations.py), and
    the request goes to the addresses just checked. A refused URL is not sent: the refusal is
    recorded as a failed attempt, retried and given up like an unreachable receiver."""
    delivery = Delivery.objects.select_related("endpoint", "event").get(pk=delivery_id)
    if delivery.status == Delivery.Status.SUCCEEDED:
        return True  # a duplicate task run: already delivered, do nothing twice
    status: int | None = None
    error = ""
    try:
        destination = destinations.resolve(delivery.endpoint.url)
    except destinations.RefusedDestination as refusal:
        logger.warning("Webhook delivery %s not sent: %s", delivery.pk, refusal.message)
        error = f"Not sent: {refusal.message}"
    else:
        body = delivery_body(delivery)
        timestamp = str(int(time.time()))
        signature = sign(secret=delivery.endpoint.secret, timestamp=timestamp, body=body)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Timetrack-Webhooks/1",
            EVENT_HEADER: delivery.event.event_type,
            SIGNATURE_HEADER: f"t={timestamp},v1={signature}",
        }
        try:
            status = destinations.post(destination, body=body, headers=headers, timeout=DELIVERY_TIMEOUT_SECONDS)
        except (OSError, http.client.HTTPException, ValueError) as network_error:
            error = str(network_error) or type(network_error).__name__
        else:
            error = "" if 200 <= status < 300 else f"HTTP {status}"
    succeeded = status is not None and 200 <= status < 300
    Delivery.objects.filter(pk=delivery.pk).update(
        attempts=delivery.attempts + 1,
        response_status=status,
        last_error=error[:500],
        last_attempt_at=timezone.now(),
        status=Delivery.Status.SUCCEEDED if succeeded else Delivery.Status.PENDING,
    )
    return succeeded


def delivery_give_up(*, delivery_id: int) -> None:
    Delivery.objects.filter(pk=delivery_id).exclude(status=Delivery.Status.SUCCEEDED).update(
        status=Delivery.Status.FAILED
    )


def delivery_resend(*, delivery: Delivery) -> None:
    """Send again (from the admin): back to pending and enqueued."""
    from webhooks.tasks import deliver  # cycle: webhooks.tasks imports this module

    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.PENDING)
    enqueue_on_commit(deliver, delivery.pk, lost="the delivery stays pending; resend it again")
