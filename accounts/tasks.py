from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.mail import send_mail


@shared_task(bind=True, max_retries=5, default_retry_delay=30, acks_late=True)
def send_user_email(self, user_id, subject, body):
    """E-mail one user. Takes an id, not an object, so it runs in any worker process.

    Returns the number of messages sent (0 when the user is gone or has no address).
    """
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return 0
    try:
        return send_mail(subject, body, None, [user.email])
    except OSError as error:  # SMTP unreachable: try again later
        raise self.retry(exc=error) from error


@shared_task(acks_late=True)
def purge_audit_events():
    """Daily: remove audit events older than AUDIT_RETENTION_DAYS (idempotent)."""
    from django.conf import settings

    from accounts import services

    return services.audit_purge(older_than_days=settings.AUDIT_RETENTION_DAYS)


@shared_task(acks_late=True)
def purge_idempotency_records():
    """Hourly: forget Idempotency-Keys older than IDEMPOTENCY_KEY_TTL_HOURS (idempotent)."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from accounts.models import IdempotencyRecord

    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
