"""Signed webhooks fed by a transactional outbox.

Services publish an `OutboxEvent` in the same transaction as their change: a rolled-back
change publishes nothing, and a committed one is never lost, even if the broker or the
receiver is down at that moment. The relay turns events into one `Delivery` per
subscribed endpoint; deliveries are sent by Celery with retries and exponential backoff.
"""

import secrets
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

EVENT_TYPES = [
    "time_entry.created",
    "time_entry.updated",
    "time_entry.deleted",
    "leave_request.submitted",
    "leave_request.approved",
    "leave_request.rejected",
    "leave_request.cancelled",
    "period.locked",
    "production.recorded",
    "budget.threshold_reached",
    "invoice.issued",
    "invoice.cancelled",
]


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Endpoint(models.Model):
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text='Event types to receive, e.g. ["time_entry.created"].')
    secret = models.CharField(max_length=64, default=new_secret, help_text="HMAC-SHA256 signing secret.")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return self.is_active and event_type in self.events


class OutboxEventQuerySet(models.QuerySet["OutboxEvent"]):
    def pending(self) -> Self:
        return self.filter(relayed_at__isnull=True)


class OutboxEvent(models.Model):
    event_type = models.CharField(max_length=64, db_index=True)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    relayed_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            # relay_outbox: WHERE relayed_at IS NULL ORDER BY id
            models.Index(fields=["id"], condition=Q(relayed_at__isnull=True), name="outbox_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.pk}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (gave up)"

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # Relaying an event twice must not deliver it twice to one endpoint.
            models.UniqueConstraint(fields=["endpoint", "event"], name="delivery_unique_endpoint_event")
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
