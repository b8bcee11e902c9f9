"""The Celery app. Broker: Redis when REDIS_URL is set; otherwise tasks run eagerly.

App code queues through core.tasks (`publish`, `enqueue_on_commit`), never through this module,
and adds its periodic tasks to settings.CELERY_BEAT_SCHEDULE, which this app reads."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("timetrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
