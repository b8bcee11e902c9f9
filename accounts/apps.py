from celery.schedules import crontab
from django.apps import AppConfig
from django.conf import settings


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # Not at the top: an AppConfig module is imported before the app registry is ready.

        from accounts import signals  # noqa: F401 - connects the receivers

        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "purge-audit-events",
            {"task": "accounts.tasks.purge_audit_events", "schedule": crontab(hour=3, minute=17)},
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "send-due-emails", {"task": "accounts.tasks.send_due_emails", "schedule": 60.0}
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "purge-emails", {"task": "accounts.tasks.purge_emails", "schedule": crontab(hour=3, minute=29)}
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "purge-idempotency-records",
            {"task": "accounts.tasks.purge_idempotency_records", "schedule": crontab(minute=41)},
        )
