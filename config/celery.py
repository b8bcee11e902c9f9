"""The Celery app. Broker: Redis when REDIS_URL is set; otherwise tasks run eagerly."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("timetrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def enqueue_on_commit(task, *args, lost="the periodic task will pick it up"):
    """Queue `task(*args)` once the current transaction commits.

    On commit: a rolled-back change queues nothing, and the worker finds the rows. A broker outage
    is logged, never raised: the change is committed already, so its answer must not become a 500
    (nor wait ~20 s registering for a result nobody reads: `ignore_result`). `lost` says in the
    log what becomes of the work that could not be queued.
    """
    import logging

    from django.db import transaction

    def send():
        try:
            task.apply_async(args=args, ignore_result=True)
        except Exception:
            logging.getLogger(__name__).warning(
                "Could not queue %s%r (broker down): %s.", task.name, args, lost, exc_info=True
            )

    transaction.on_commit(send)
