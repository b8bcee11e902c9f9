"""E-mails go through an outbox: written with the change, sent after it commits, never lost to a
broker, Redis or SMTP outage, never sent twice."""

import smtplib
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from accounts import services
from accounts.models import OutgoingEmail
from accounts.tasks import send_due_emails

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)


def test_an_email_is_sent_once_its_change_commits(employee, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        email = services.email_queue(user_id=employee.pk, subject="Approved", body="Enjoy")
        assert mail.outbox == []  # nothing before the commit
    assert len(callbacks) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.sent_at is not None) == (OutgoingEmail.Status.SENT, 1, True)
    assert [(message.subject, message.to) for message in mail.outbox] == [("Approved", [employee.email])]


def test_a_rolled_back_change_sends_nothing(employee, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.email_queue(user_id=employee.pk, subject="Approved", body="Enjoy")
        raise RuntimeError("the decision failed")
    assert not OutgoingEmail.objects.exists()
    assert send_due_emails.delay().get() == 0
    assert mail.outbox == []


def test_an_email_survives_a_broker_outage_and_is_sent_later(employee, django_capture_on_commit_callbacks):
    # execute=False: the on-commit task never runs, as when the broker is down.
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        services.email_queue(user_id=employee.pk, subject="Waiting", body="For you")
    assert mail.outbox == []
    assert send_due_emails.delay().get() == 1  # the periodic task, once the broker is back
    assert send_due_emails.delay().get() == 0  # run twice: sent once
    assert [message.subject for message in mail.outbox] == ["Waiting"]


def test_smtp_errors_are_retried_with_backoff_then_given_up(employee, monkeypatch, caplog):
    failures = []

    def smtp_down(*args, **kwargs):
        failures.append(1)
        raise smtplib.SMTPConnectError(421, "try later")

    monkeypatch.setattr(services, "send_mail", smtp_down)
    gaps = []
    with time_machine.travel(NOW, tick=False) as traveller:
        email = OutgoingEmail.objects.create(user=employee, subject="Retry", body="me")
        for attempt in range(1, services.EMAIL_MAX_ATTEMPTS + 1):
            moment = timezone.now()
            assert services.emails_send_due() == 0
            email.refresh_from_db()
            if attempt < services.EMAIL_MAX_ATTEMPTS:
                gaps.append((email.next_attempt_at - moment).total_seconds())
                assert services.emails_send_due() == 0  # not due yet: no new attempt
                traveller.move_to(email.next_attempt_at)
    assert len(failures) == services.EMAIL_MAX_ATTEMPTS
    assert gaps == [60 * 2**number for number in range(services.EMAIL_MAX_ATTEMPTS - 1)]
    assert (email.status, email.attempts) == (OutgoingEmail.Status.FAILED, services.EMAIL_MAX_ATTEMPTS)
    assert "try later" in email.last_error
    assert "Gave up e-mailing" in caplog.text


def test_smtp_back_sends_the_waiting_email(employee, monkeypatch):
    calls = []
    real = services.send_mail

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionRefusedError("SMTP down")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "send_mail", flaky)
    with time_machine.travel(NOW, tick=False) as traveller:
        email = OutgoingEmail.objects.create(user=employee, subject="Later", body="x")
        assert services.emails_send_due() == 0
        traveller.shift(timedelta(seconds=61))
        assert services.emails_send_due() == 1
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (OutgoingEmail.Status.SENT, 2, "SMTP down")


def test_an_email_smtp_cannot_take_does_not_stop_the_others(employee, colleague):
    OutgoingEmail.objects.create(user=employee, subject="Two\nlines", body="x")  # BadHeaderError
    OutgoingEmail.objects.create(user=colleague, subject="Fine", body="x")
    assert services.emails_send_due() == 1
    bad, good = OutgoingEmail.objects.order_by("id")
    assert (bad.status, bad.attempts) == (OutgoingEmail.Status.PENDING, 1)
    assert "newline" in bad.last_error.lower()
    assert good.status == OutgoingEmail.Status.SENT
    assert [message.subject for message in mail.outbox] == ["Fine"]


def test_deactivated_users_and_missing_addresses_are_skipped(employee, colleague):
    colleague.is_active = False
    colleague.save()
    employee.email = ""
    employee.save()
    for user in (employee, colleague):
        OutgoingEmail.objects.create(user=user, subject="Nobody", body="x")
    assert services.emails_send_due() == 0
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {OutgoingEmail.Status.SKIPPED}
    assert mail.outbox == []


def test_a_long_subject_is_cut_to_the_column(employee):
    email = services.email_queue(user_id=employee.pk, subject="x" * 500, body="y")
    email.refresh_from_db()
    assert len(email.subject) == 200


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_email_once(employee, monkeypatch):
    for number in range(6):
        OutgoingEmail.objects.create(user=employee, subject=f"E{number}", body="x")
    barrier = threading.Barrier(2)
    real, sent, results = services.send_mail, [], []

    def slow_send(subject, *args, **kwargs):
        sent.append(subject)
        threading.Event().wait(0.05)  # both senders are in the loop at once
        return real(subject, *args, **kwargs)

    monkeypatch.setattr(services, "send_mail", slow_send)

    def sender():
        try:
            barrier.wait()
            results.append(services.emails_send_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 6
    assert sorted(sent) == [f"E{number}" for number in range(6)]
    assert OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENT).count() == 6


def test_hr_sends_failed_emails_again_from_the_admin(client, hr, employee, django_capture_on_commit_callbacks):
    from django.urls import reverse

    failed = OutgoingEmail.objects.create(
        user=employee, subject="Failed", body="x", status=OutgoingEmail.Status.FAILED, attempts=6
    )
    sent = OutgoingEmail.objects.create(user=employee, subject="Sent", body="x", status=OutgoingEmail.Status.SENT)
    changelist = reverse("admin:accounts_outgoingemail_changelist")
    client.force_login(hr)
    assert client.get(changelist).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {"action": "send_again", "_selected_action": [failed.pk, sent.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (OutgoingEmail.Status.SENT, 1)
    assert [message.subject for message in mail.outbox] == ["Failed"]  # the sent one is not sent twice
    assert client.get(reverse("admin:accounts_outgoingemail_add")).status_code == 403


def test_only_hr_sees_the_emails(client, employee, manager):
    from django.urls import reverse

    OutgoingEmail.objects.create(user=employee, subject="Private", body="x")
    for user in (employee, manager):
        user.is_staff = True
        user.save()
        client.force_login(user)
        assert client.get(reverse("admin:accounts_outgoingemail_changelist")).status_code == 403


def test_handled_emails_are_purged_after_the_retention(employee, settings):
    settings.EMAIL_RETENTION_DAYS = 30
    with time_machine.travel(NOW - timedelta(days=31), tick=False):
        old = [
            OutgoingEmail.objects.create(user=employee, subject=status, body="x", status=status)
            for status in OutgoingEmail.Status.values
        ]
    with time_machine.travel(NOW - timedelta(days=29), tick=False):
        recent = OutgoingEmail.objects.create(user=employee, subject="recent", body="x", status="sent")
    with time_machine.travel(NOW, tick=False):
        from accounts.tasks import purge_emails

        assert purge_emails.delay().get() == 3  # sent, skipped, failed; a waiting one is kept
    remaining = set(OutgoingEmail.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk} | {email.pk for email in old if email.status == "pending"}
