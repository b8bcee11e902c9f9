from django.apps import AppConfig
from django.conf import settings


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "reports-requeue-waiting-jobs", {"task": "reports.tasks.requeue_waiting_jobs", "schedule": 300.0}
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "reports-purge-jobs", {"task": "reports.tasks.purge_jobs", "schedule": 24 * 3600.0}
        )
