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


@shared_task(acks_late=True)
def send_substitute_reminders():
    """Hourly: remind substitutes on their last working day before the leave they cover."""
    return services.leave_send_substitute_reminders()


CALDAV_MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=CALDAV_MAX_RETRIES)
def caldav_deliver(self, push_id):
    """Push one CalDAV change; on failure retry with exponential backoff (30 s, 60 s, 120 s, ...).
    Once the retries are used up the row stays pending, and the sweep queues it again: an
    approved leave is never dropped from the calendar, however long the server is away."""
    from leave.services.caldav import BACKOFF_SECONDS, caldav_push_deliver

    if caldav_push_deliver(push_id=push_id):
        return True
    if self.request.is_eager or self.request.retries >= self.max_retries:
        # In-process (no broker): no retry at once against a server that just failed; the row
        # waits for the sweep, or for the next change of the request.
        return False
    raise self.retry(countdown=BACKOFF_SECONDS * 2**self.request.retries)


@shared_task(acks_late=True)
def caldav_sweep():
    """Every few minutes: queue again the CalDAV pushes left pending whose next attempt is due."""
    from leave.services.caldav import caldav_sweep as sweep

    return sweep()
