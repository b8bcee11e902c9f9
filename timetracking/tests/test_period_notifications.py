"""E-mails about weekly timesheets (issue 18, item 7): a submitted week tells whoever decides it, an
approved, sent back or reopened week tells its owner, each with a link to the week, each switchable
per person (Preferences), all through the outbox in the decision's own transaction."""

from datetime import date

import pytest
from django.urls import reverse

from accounts.models import OutgoingEmail
from accounts.tests.factories import UserFactory
from timetracking import services
from timetracking.services import TimeTrackingError

pytestmark = pytest.mark.django_db

WEEK = date(2026, 3, 2)  # the week before NOW (Tue 10 March 2026)


def mails_to(user):
    return list(OutgoingEmail.objects.filter(user=user).order_by("pk"))


def test_a_submitted_week_tells_the_manager_with_a_link(employee, manager, hr, frozen, settings):
    settings.SITE_URL = "https://time.example.com"
    period = services.period_submit(user=employee, day=WEEK)
    [mail] = mails_to(manager)
    assert mail.subject == f"Week to approve: {employee}"
    assert f"https://time.example.com/time/?week=2026-03-02&user={employee.pk}" in mail.body
    assert "Mon 02 Mar 2026 to Sun 08 Mar 2026" in mail.body
    assert mails_to(hr) == [] and mails_to(employee) == []  # the manager decides: only they are told
    assert period.status == "submitted"


def test_without_a_manager_hr_is_told(hr, frozen):
    loner = UserFactory(username="loner", manager=None)
    services.period_submit(user=loner, day=WEEK)
    assert [mail.subject for mail in mails_to(hr)] == [f"Week to approve: {loner}"]
    assert mails_to(loner) == []  # not even an HR person who submits is told about their own week


@pytest.mark.parametrize(
    ("decide", "subject", "words"),
    [
        (lambda period, actor: services.period_approve(actor=actor, period=period), "was approved", "locked now"),
        (
            lambda period, actor: services.period_reject(actor=actor, period=period, note="Friday is missing"),
            "was sent back",
            "Friday is missing",
        ),
    ],
)
def test_a_decision_tells_the_owner(employee, manager, frozen, decide, subject, words, settings):
    settings.SITE_URL = "https://time.example.com"
    period = services.period_submit(user=employee, day=WEEK)
    decide(period, manager)
    [mail] = mails_to(employee)
    assert mail.subject == f"Your week of 02 Mar {subject}"
    assert words in mail.body and str(manager) in mail.body
    assert "https://time.example.com/time/?week=2026-03-02" in mail.body and "&user=" not in mail.body


def test_reopening_tells_the_owner_the_reason(employee, manager, frozen):
    period = services.period_submit(user=employee, day=WEEK)
    period = services.period_approve(actor=manager, period=period)
    services.period_reopen(actor=manager, period=period, reason="Wrong project on Tuesday")
    subjects = [mail.subject for mail in mails_to(employee)]
    assert subjects == ["Your week of 02 Mar was approved", "Your week of 02 Mar was reopened"]
    assert "Wrong project on Tuesday" in mails_to(employee)[-1].body


def test_each_kind_can_be_switched_off(employee, manager, frozen):
    manager.set_notifications(week_submitted=False, week_decided=True)
    employee.set_notifications(week_submitted=True, week_decided=False)
    period = services.period_submit(user=employee, day=WEEK)
    services.period_approve(actor=manager, period=period)
    assert mails_to(manager) == [] and mails_to(employee) == []


def test_a_refused_decision_sends_nothing(employee, manager, frozen):
    period = services.period_submit(user=employee, day=WEEK)
    with pytest.raises(TimeTrackingError):
        services.period_reject(actor=manager, period=period, note="")  # a reason is required
    assert mails_to(employee) == []
    assert len(mails_to(manager)) == 1  # the submission's, nothing more


def test_the_preferences_page_switches_them(client, employee, frozen):
    client.force_login(employee)
    url = reverse("accounts:preferences")
    html = client.get(url).content.decode()
    assert "E-mail me when my week is approved, sent back or reopened" in html
    assert 'name="notify_week_decided"' in html and "checked" in html
    response = client.post(url, {"duration_format": "hm", "notify_week_submitted": "on"})
    assert response.status_code == 302
    employee.refresh_from_db()
    assert (employee.notify_week_decided, employee.notify_week_submitted) == (False, True)
    client.post(url, {"duration_format": "hm", "notify_week_decided": "on"})
    employee.refresh_from_db()
    assert (employee.notify_week_decided, employee.notify_week_submitted) == (True, False)
