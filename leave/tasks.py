"""Celery tasks of the leave app: thin wrappers around services, safe to run twice."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from leave import services


@shared_task(acks_late=True)
def run_policies(day=None):
    """Daily: carry-over, accrual and expiry for `day` (ISO date; default today, UTC)."""

    today = date.fromisoformat(day) if day else timezone.now().date()
    return services.leave_run_policies(today=today)


@shared_task(acks_late=True)
def send_pending_reminders():
    """Daily: remind approvers of requests pending longer than LEAVE_REMINDER_AFTER_DAYS."""
    return services.leave_send_pending_reminders()
