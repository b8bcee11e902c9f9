from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from django.conf import settings

        from webhooks.services import RELAY_PERIOD_SECONDS

        # The relay also runs right after each commit that publishes; this catches
        # whatever a broker outage left behind.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "relay-webhook-outbox", {"task": "webhooks.tasks.relay_outbox", "schedule": RELAY_PERIOD_SECONDS}
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "purge-webhook-outbox", {"task": "webhooks.tasks.purge_outbox", "schedule": 24 * 3600.0}
        )
