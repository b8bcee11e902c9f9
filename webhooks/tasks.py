from celery import shared_task

from webhooks import services

MAX_ATTEMPTS = 8


@shared_task(acks_late=True)
def relay_outbox():
    """Outbox → deliveries → one `deliver` task each. Safe to run twice or concurrently."""
    services.relay_started()  # before reading the outbox: see services.relay_queue_once
    delivery_ids = services.outbox_relay()
    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)
    return len(delivery_ids)


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS - 1)
def deliver(self, delivery_id):
    """Send one delivery; on failure retry with exponential backoff (30 s, 60 s, 120 s, ...)."""
    if services.delivery_send(delivery_id=delivery_id):
        return True
    if self.request.retries >= self.max_retries:
        services.delivery_give_up(delivery_id=delivery_id)
        return False
    if self.request.is_eager:
        # The embedded default has no broker to schedule a retry: try again at once, same cap.
        return deliver.apply(args=[delivery_id], retries=self.request.retries + 1).get(disable_sync_subtasks=False)
    raise self.retry(countdown=30 * 2**self.request.retries)


@shared_task(acks_late=True)
def purge_outbox(days=30):
    """Daily: forget relayed events (and their delivery logs) older than `days` (idempotent)."""
    return services.outbox_purge(older_than_days=days)
