"""A real task round trip: through a real Celery worker on Redis when REDIS_URL is set,
eagerly in-process otherwise (the embedded default)."""

import pytest
from django.conf import settings
from django.core import mail

from accounts.models import OutgoingEmail
from accounts.tasks import send_due_emails
from config.celery import app


@pytest.mark.django_db
def test_send_due_emails_eager(employee):
    OutgoingEmail.objects.create(user=employee, subject="Hello", body="Body")
    assert send_due_emails.delay().get(timeout=10) == 1
    assert mail.outbox[-1].to == [employee.email]


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL: runs a real Celery worker against Redis")
@pytest.mark.django_db(transaction=True)
def test_real_worker_round_trip_through_redis(employee):
    from celery.contrib.testing.worker import start_worker

    OutgoingEmail.objects.create(user=employee, subject="Round trip", body="Through Redis")
    app.conf.task_always_eager = False
    try:
        # The worker runs in a thread of this process, consuming from the real Redis broker.
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10):
            result = send_due_emails.delay()
            assert result.get(timeout=20) == 1
    finally:
        app.conf.task_always_eager = True
    assert [message.subject for message in mail.outbox] == ["Round trip"]
