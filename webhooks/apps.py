from django.apps import AppConfig
from django.conf import settings


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        # Not at the top: an AppConfig module is imported before the app registry is ready.

        from webhooks.services import RELAY_PERIOD_SECONDS

        # The relay also runs right after each commit that publishes; this catches
        # whatever a broker outage left behind.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "relay-webhook-outbox", {"task": "webhooks.tasks.relay_outbox", "schedule": RELAY_PERIOD_SECONDS}
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "purge-webhook-outbox", {"task": "webhooks.tasks.purge_outbox", "schedule": 24 * 3600.0}
        )
