from celery.schedules import crontab
from django.apps import AppConfig
from django.conf import settings


class LeaveConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "leave"
    verbose_name = "Leave"

    def ready(self):
        # Not at the top: an AppConfig module is imported before the app registry is ready, and
        # these import models.
        from accounts.signals import access_revoked
        from leave import services
        from leave.services.caldav import SWEEP_PERIOD_SECONDS

        access_revoked.connect(services.feed_token_revoke, dispatch_uid="leave.feed_token_revoke")
        from accounts.signals import user_deactivated
        from leave.services.decisions import leave_requests_withdraw_for_leaver

        user_deactivated.connect(leave_requests_withdraw_for_leaver, dispatch_uid="leave.withdraw_for_leaver")

        # This app's periodic tasks (Celery beat), added to the shared schedule that the Celery
        # app (config/celery.py) reads. Both are idempotent, so a beat that fires twice books and
        # reminds nothing twice.
        schedule = {
            "leave-run-policies": {"task": "leave.tasks.run_policies", "schedule": crontab(hour=0, minute=30)},
            "leave-pending-reminders": {
                "task": "leave.tasks.send_pending_reminders",
                "schedule": crontab(hour=7, minute=0),
            },
            # Substitutes reminded on their last working day before leave (their local hour: hourly).
            "leave-substitute-reminders": {
                "task": "leave.tasks.send_substitute_reminders",
                "schedule": crontab(minute=5),
            },
            # CalDAV pushes a broker or server outage left pending (leave/services/caldav.py).
            "leave-caldav-sweep": {"task": "leave.tasks.caldav_sweep", "schedule": SWEEP_PERIOD_SECONDS},
        }
        settings.CELERY_BEAT_SCHEDULE.update(schedule)
