from django.apps import AppConfig

# Periodic tasks of this app (Celery beat), added to the shared schedule in ready().
BEAT_SCHEDULE = {
    "leave-run-policies": {"task": "leave.tasks.run_policies", "schedule": ("crontab", {"hour": 0, "minute": 30})},
    "leave-pending-reminders": {
        "task": "leave.tasks.send_pending_reminders",
        "schedule": ("crontab", {"hour": 7, "minute": 0}),
    },
}


class LeaveConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "leave"
    verbose_name = "Leave"

    def ready(self):
        from celery.schedules import crontab
        from django.conf import settings

        from config.celery import app

        schedule = {
            name: {"task": entry["task"], "schedule": crontab(**entry["schedule"][1])}
            for name, entry in BEAT_SCHEDULE.items()
        }
        settings.CELERY_BEAT_SCHEDULE.update(schedule)
        app.conf.beat_schedule = {**(app.conf.beat_schedule or {}), **schedule}
