"""Invoice numbers under real concurrency on PostgreSQL (threads, each with its own connection)."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.tests.factories import HRFactory, UserFactory
from billing.models import Invoice, InvoicedEntry, InvoiceSequence, RateLevel
from billing.services import invoices as services
from billing.tests.factories import RateFactory
from timetracking.tests.factories import ClientFactory, ProjectFactory, TimeEntryFactory
from timetracking.tests.test_concurrency import outcome, run_at_once

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]
ISSUES = 20


def test_twenty_issues_at_once_get_twenty_consecutive_numbers(transactional_db, capsys):
    hr, person = HRFactory(), UserFactory()
    client = ClientFactory(name="Acme")
    project = ProjectFactory(client=client, members=[person])
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("80"))
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)
    drafts = []
    for day in range(ISSUES):
        began = start + timedelta(days=day)
        TimeEntryFactory(
            user=person, project=project, billable=True, started_at=began, ended_at=began + timedelta(hours=1)
        )
        on = (start + timedelta(days=day)).date()
        drafts.append(services.invoice_draft_create(actor=hr, client=client, period_from=on, period_to=on))

    results = run_at_once(*[lambda draft=draft: services.invoice_issue(actor=hr, invoice=draft) for draft in drafts])

    assert outcome(results) == ["Invoice"] * ISSUES
    issued = list(Invoice.objects.issued().order_by("sequence"))
    year = issued[0].year
    numbers = [invoice.number for invoice in issued]
    assert [invoice.sequence for invoice in issued] == list(range(1, ISSUES + 1))
    assert numbers == [f"{year}-{sequence:04d}" for sequence in range(1, ISSUES + 1)]
    assert InvoiceSequence.objects.get(year=year).last == ISSUES
    assert InvoicedEntry.objects.filter(invoice__status="issued").count() == ISSUES
    with capsys.disabled():
        print(f"\n{ISSUES} concurrent issues → numbers {numbers[0]} … {numbers[-1]}, distinct: {len(set(numbers))}")


def test_two_drafts_of_the_same_entries_at_once_reserve_them_once(transactional_db):
    hr, person = HRFactory(), UserFactory()
    client = ClientFactory(name="Acme")
    project = ProjectFactory(client=client, members=[person])
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("80"))
    began = datetime(2026, 5, 4, 8, tzinfo=UTC)
    TimeEntryFactory(user=person, project=project, billable=True, started_at=began, ended_at=began + timedelta(hours=2))

    def make():
        return services.invoice_draft_create(
            actor=hr, client=client, period_from=date(2026, 5, 1), period_to=date(2026, 5, 31)
        )

    results = run_at_once(make, make)
    assert outcome(results) == ["BillingError", "Invoice"]
    assert Invoice.objects.count() == 1 and InvoicedEntry.objects.count() == 1
