"""One relay queued for any number of commits while it waits for a worker: each commit costs a
cache round trip, not a broker publish, and no event waits longer than before."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction

from webhooks import services
from webhooks.models import Delivery, Endpoint
from webhooks.tasks import relay_outbox

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)


@pytest.fixture
def queued(monkeypatch):
    """Relays queued (not run: no worker picks them up yet)."""
    calls = []
    monkeypatch.setattr(relay_outbox, "apply_async", lambda *args, **kwargs: calls.append(kwargs))
    cache.delete(services.RELAY_QUEUED_KEY)
    return calls


def _publish(django_capture_on_commit_callbacks, count=1):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for number in range(count):
            services.outbox_publish(event_type="period.locked", payload={"week": f"2026-W{number + 10}"})


def test_commits_while_a_relay_waits_queue_no_other(queued, django_capture_on_commit_callbacks):
    _publish(django_capture_on_commit_callbacks)
    _publish(django_capture_on_commit_callbacks, count=3)
    _publish(django_capture_on_commit_callbacks)
    assert len(queued) == 1  # the waiting relay will read all five events
    services.relay_started()  # a worker starts it: it clears the flag, then reads the outbox
    _publish(django_capture_on_commit_callbacks)
    assert len(queued) == 2  # a commit after that start may not be read by it: a new relay


def test_the_relay_clears_the_flag_before_it_reads_the_outbox(monkeypatch):
    Endpoint.objects.create(url="https://hooks.example.com/x", events=["period.locked"])
    services.outbox_publish(event_type="period.locked", payload={"week": "2026-W10"})
    seen = []
    monkeypatch.setattr(services, "delivery_send", lambda delivery_id: True)
    relay = services.outbox_relay

    def outbox_relay(**kwargs):
        seen.append(cache.get(services.RELAY_QUEUED_KEY))
        return relay(**kwargs)

    monkeypatch.setattr(services, "outbox_relay", outbox_relay)
    cache.set(services.RELAY_QUEUED_KEY, 1)
    relay_outbox.apply()
    assert seen == [None]
    assert Delivery.objects.count() == 1


def test_a_broker_failure_clears_the_flag_so_the_next_commit_tries_again(
    monkeypatch, django_capture_on_commit_callbacks, caplog
):
    attempts = []

    def broker_down(*args, **kwargs):
        attempts.append(1)
        raise ConnectionError("broker down")

    monkeypatch.setattr(relay_outbox, "apply_async", broker_down)
    cache.delete(services.RELAY_QUEUED_KEY)
    _publish(django_capture_on_commit_callbacks)
    _publish(django_capture_on_commit_callbacks)
    assert len(attempts) == 2
    assert "periodic relay" in caplog.text


def test_a_cache_failure_still_queues_the_relay(queued, monkeypatch, django_capture_on_commit_callbacks):
    def cache_down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", cache_down)
    _publish(django_capture_on_commit_callbacks)
    _publish(django_capture_on_commit_callbacks)
    assert len(queued) == 2


def test_the_flag_lapses_after_the_periodic_relay_interval(queued, django_capture_on_commit_callbacks, settings):
    """A relay message lost before it started delays the next events by one interval at most.
    (A local-memory cache here, whose clock the test can move; Redis expires keys the same way.)"""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lapse"}}
    assert settings.CELERY_BEAT_SCHEDULE["relay-webhook-outbox"]["schedule"] == services.RELAY_PERIOD_SECONDS
    with time_machine.travel(NOW, tick=False) as traveller:
        _publish(django_capture_on_commit_callbacks)
        traveller.shift(services.RELAY_PERIOD_SECONDS - 1)
        _publish(django_capture_on_commit_callbacks)
        assert len(queued) == 1
        traveller.shift(2)
        _publish(django_capture_on_commit_callbacks)
        assert len(queued) == 2
