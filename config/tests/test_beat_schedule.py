"""The Celery app's beat schedule holds every app's periodic task: the apps add theirs to
settings.CELERY_BEAT_SCHEDULE in their AppConfig.ready() (none imports config), and the app
(config/celery.py) reads that setting."""

from config.celery import app

EXPECTED = {
    "purge-audit-events": "accounts.tasks.purge_audit_events",
    "send-due-emails": "accounts.tasks.send_due_emails",
    "purge-emails": "accounts.tasks.purge_emails",
    "purge-idempotency-records": "accounts.tasks.purge_idempotency_records",
    "leave-run-policies": "leave.tasks.run_policies",
    "leave-pending-reminders": "leave.tasks.send_pending_reminders",
    "leave-substitute-reminders": "leave.tasks.send_substitute_reminders",
    "leave-caldav-sweep": "leave.tasks.caldav_sweep",
    "relay-webhook-outbox": "webhooks.tasks.relay_outbox",
    "purge-webhook-outbox": "webhooks.tasks.purge_outbox",
    "reports-requeue-waiting-jobs": "reports.tasks.requeue_waiting_jobs",
    "reports-purge-jobs": "reports.tasks.purge_jobs",
}


def test_the_celery_app_schedules_every_periodic_task():
    schedule = app.conf.beat_schedule
    assert {name: entry["task"] for name, entry in schedule.items()} == EXPECTED


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    assert {entry["task"] for entry in app.conf.beat_schedule.values()} <= set(app.tasks)
