from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounts import services
from accounts.models import IdempotencyRecord


@shared_task(acks_late=True)
def send_due_emails():
    """After each commit that queues an e-mail, and every minute: send the due ones (safe to run
    twice or at once: see services.emails_send_due)."""

    return services.emails_send_due()


@shared_task(acks_late=True)
def purge_audit_events():
    """Daily: remove audit events older than AUDIT_RETENTION_DAYS (idempotent)."""

    return services.audit_purge(older_than_days=settings.AUDIT_RETENTION_DAYS)


@shared_task(acks_late=True)
def purge_idempotency_records():
    """Hourly: forget Idempotency-Keys older than IDEMPOTENCY_KEY_TTL_HOURS (idempotent)."""

    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task(acks_late=True)
def purge_emails():
    """Daily: forget e-mails handled more than EMAIL_RETENTION_DAYS ago (idempotent)."""

    return services.emails_purge(older_than_days=settings.EMAIL_RETENTION_DAYS)
