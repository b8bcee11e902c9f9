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
from django.utils.translation import gettext_lazy

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
    url = models.URLField(max_length=500, verbose_name=gettext_lazy("URL"))
    description = models.CharField(max_length=200, blank=True, verbose_name=gettext_lazy("description"))
    events = models.JSONField(
        default=list,
        help_text=gettext_lazy('Event types to receive, e.g. ["time_entry.created"].'),
        verbose_name=gettext_lazy("events"),
    )
    secret = models.CharField(
        max_length=64,
        default=new_secret,
        help_text=gettext_lazy("HMAC-SHA256 signing secret."),
        verbose_name=gettext_lazy("secret"),
    )
    is_active = models.BooleanField(default=True, verbose_name=gettext_lazy("is active"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    class Meta:
        verbose_name = gettext_lazy("endpoint")
        verbose_name_plural = gettext_lazy("endpoints")
        ordering = ["url"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return self.is_active and event_type in self.events


class OutboxEventQuerySet(models.QuerySet["OutboxEvent"]):
    def pending(self) -> Self:
        return self.filter(relayed_at__isnull=True)


class OutboxEvent(models.Model):
    event_type = models.CharField(max_length=64, db_index=True, verbose_name=gettext_lazy("event type"))
    payload = models.JSONField(verbose_name=gettext_lazy("payload"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("created at"))
    relayed_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("relayed at"))

    objects = OutboxEventQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("outbox event")
        verbose_name_plural = gettext_lazy("outbox events")
        ordering = ["id"]
        indexes = [
            # relay_outbox: WHERE relayed_at IS NULL ORDER BY id
            models.Index(fields=["id"], condition=Q(relayed_at__isnull=True), name="outbox_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.pk}"


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")
        SUCCEEDED = "succeeded", gettext_lazy("Succeeded")
        FAILED = "failed", gettext_lazy("Failed (gave up)")

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=gettext_lazy("endpoint")
    )
    event = models.ForeignKey(
        OutboxEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=gettext_lazy("event")
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, verbose_name=gettext_lazy("status")
    )
    attempts = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("attempts"))
    response_status = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=gettext_lazy("response status")
    )
    last_error = models.CharField(max_length=500, blank=True, verbose_name=gettext_lazy("last error"))
    last_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("last attempt at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    class Meta:
        verbose_name = gettext_lazy("delivery")
        verbose_name_plural = gettext_lazy("deliveries")
        ordering = ["-id"]
        constraints = [
            # Relaying an event twice must not deliver it twice to one endpoint.
            models.UniqueConstraint(fields=["endpoint", "event"], name="delivery_unique_endpoint_event")
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
