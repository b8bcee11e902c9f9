"""A budget alert is sent once even when many entries cross its threshold at the same moment:
PostgreSQL, real concurrent connections (threads), each entry's alert check run after its commit."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.models import OutgoingEmail
from accounts.tests.factories import HRFactory, UserFactory
from billing import services
from billing.budget_models import BudgetAlert
from timetracking import services as timetracking
from timetracking.models import TimeEntry
from timetracking.tests.factories import ProjectFactory
from timetracking.tests.test_concurrency import outcome, run_at_once
from webhooks.models import OutboxEvent

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

MARCH = datetime(2026, 3, 2, 8, tzinfo=UTC)
WRITERS = 20


def test_twenty_entries_crossing_a_threshold_at_once_send_one_alert(transactional_db):
    hr, boss = HRFactory(username="hr"), UserFactory(username="boss")
    people = [UserFactory(manager=boss) for _ in range(WRITERS)]
    project = ProjectFactory(members=people)
    services.budget_create(actor=hr, project=project, hours=Decimal("10"), thresholds=[80])
    for index in range(3):  # 7.5 h of 10: below 80 %
        start = MARCH + timedelta(hours=3 * index)
        timetracking.entry_create(
            user=people[0], project=project, started_at=start, ended_at=start + timedelta(hours=2.5)
        )

    def log(person):
        start = MARCH + timedelta(days=1)
        return lambda: timetracking.entry_create(
            user=person, project=project, started_at=start, ended_at=start + timedelta(minutes=30)
        )

    results = run_at_once(*(log(person) for person in people))

    assert outcome(results) == ["TimeEntry"] * WRITERS  # every entry saved: the budget does not refuse
    assert TimeEntry.objects.filter(project=project).count() == 3 + WRITERS
    alerts = list(BudgetAlert.objects.values_list("threshold", flat=True))
    emails = sorted(OutgoingEmail.objects.values_list("user__username", flat=True))
    events = OutboxEvent.objects.filter(event_type="budget.threshold_reached")
    print(f"\n{WRITERS} concurrent entries: {len(alerts)} alert row(s), e-mails {emails}, {events.count()} event(s)")
    assert alerts == [80]
    assert emails == ["boss", "hr"]
    assert events.count() == 1


def test_twenty_entries_at_once_on_a_refusing_budget_never_pass_it(transactional_db):
    hr = HRFactory()
    people = [UserFactory() for _ in range(WRITERS)]
    project = ProjectFactory(members=people)
    services.budget_create(actor=hr, project=project, hours=Decimal("5"), refuse_when_exceeded=True)

    def log(person):
        return lambda: timetracking.entry_create(
            user=person, project=project, started_at=MARCH, ended_at=MARCH + timedelta(minutes=30)
        )

    results = run_at_once(*(log(person) for person in people))

    # The budget row is locked by each check: 10 half hours fill the 5 hours, the other 10 are refused.
    assert outcome(results) == ["BudgetExceeded"] * (WRITERS // 2) + ["TimeEntry"] * (WRITERS // 2)
    assert TimeEntry.objects.filter(project=project).count() == WRITERS // 2
