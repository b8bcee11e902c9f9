"""A real task round trip: through a real Celery worker on Redis when REDIS_URL is set,
eagerly in-process otherwise (the embedded default)."""

import pytest
from django.conf import settings
from django.core import mail

from accounts.tasks import send_user_email
from config.celery import app


@pytest.mark.django_db
def test_send_user_email_eager(employee):
    result = send_user_email.delay(employee.pk, "Hello", "Body")
    assert result.get(timeout=10) == 1
    assert mail.outbox[-1].to == [employee.email]


@pytest.mark.django_db
def test_send_user_email_skips_a_missing_user():
    assert send_user_email.delay(999_999, "Hello", "Body").get(timeout=10) == 0
    assert mail.outbox == []


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL: runs a real Celery worker against Redis")
@pytest.mark.django_db(transaction=True)
def test_real_worker_round_trip_through_redis(employee):
    from celery.contrib.testing.worker import start_worker

    app.conf.task_always_eager = False
    try:
        # The worker runs in a thread of this process, consuming from the real Redis broker.
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10):
            result = send_user_email.delay(employee.pk, "Round trip", "Through Redis")
            assert result.get(timeout=20) == 1
    finally:
        app.conf.task_always_eager = True
    assert [message.subject for message in mail.outbox] == ["Round trip"]
