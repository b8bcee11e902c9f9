"""The resolver across the levels, across a rate change mid-month, and the amounts of entries."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from billing.models import Rate, RateKind, RateLevel
from billing.pricing import price_entries
from billing.tests.factories import ClientBillingFactory, ProjectBillingFactory, RateFactory
from timetracking.models import TimeEntry
from timetracking.tests.factories import TimeEntryFactory

ROW_FIELDS = ("id", "user_id", "project_id", "task_id", "started_at", "ended_at", "billable")


def price(entry):
    return price_entries(TimeEntry.objects.filter(pk=entry.pk).values(*ROW_FIELDS))[entry.pk]


def entry_at(user, start, *, minutes=60, **fields):
    return TimeEntryFactory(user=user, started_at=start, ended_at=start + timedelta(minutes=minutes), **fields)


@pytest.fixture
def rates(acme, project, task, employee):
    """One billable rate per level, all from 1 January."""
    RateFactory(level=RateLevel.COMPANY, amount=Decimal("10"))
    RateFactory(level=RateLevel.CLIENT, client=acme, amount=Decimal("20"))
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("30"))
    RateFactory(level=RateLevel.TASK, task=task, amount=Decimal("40"))
    RateFactory(level=RateLevel.USER_ON_PROJECT, project=project, user=employee, amount=Decimal("50"))


MOMENT = datetime(2026, 3, 10, 9, tzinfo=UTC)


def test_the_most_specific_level_wins(rates, employee, colleague, project, task, acme):
    assert price(entry_at(employee, MOMENT, project=project, task=task, billable=True)).rate.level == "user_on_project"
    priced = price(entry_at(colleague, MOMENT, project=project, task=task, billable=True))
    assert (priced.rate.level, priced.rate.amount, priced.amount) == ("task", Decimal("40"), Decimal("40.00"))
    assert (
        price(entry_at(colleague, MOMENT + timedelta(hours=2), project=project, billable=True)).rate.level == "project"
    )


def test_client_and_company_levels(rates, colleague, acme):
    from timetracking.tests.factories import ProjectFactory

    client_project = ProjectFactory(client=acme)
    assert price(entry_at(colleague, MOMENT, project=client_project, billable=True)).rate.level == "client"
    lone = ProjectFactory(client=None)
    assert price(entry_at(colleague, MOMENT + timedelta(hours=2), project=lone, billable=True)).rate.level == "company"
    assert price(entry_at(colleague, MOMENT + timedelta(hours=4), billable=True)).rate.level == "company"


def test_no_rate_no_amount(db, employee, project):
    priced = price(entry_at(employee, MOMENT, project=project, billable=True))
    assert (priced.rate, priced.amount, priced.cost) == (None, None, None)


def test_a_change_mid_month_never_rewrites_the_days_before(employee, project):
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("100"), valid_from=date(2026, 1, 1))
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("120"), valid_from=date(2026, 3, 15))
    before = entry_at(employee, datetime(2026, 3, 14, 9, tzinfo=UTC), project=project, billable=True)
    after = entry_at(employee, datetime(2026, 3, 15, 9, tzinfo=UTC), project=project, billable=True)
    last_month = entry_at(employee, datetime(2026, 2, 20, 9, tzinfo=UTC), project=project, billable=True)
    assert price(before).amount == Decimal("100.00")
    assert price(after).amount == Decimal("120.00")
    assert price(last_month).amount == Decimal("100.00")


def test_a_future_rate_does_not_apply_before_its_day(employee, project):
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("100"), valid_from=date(2026, 1, 1))
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("150"), valid_from=date(2027, 1, 1))
    assert price(entry_at(employee, MOMENT, project=project, billable=True)).amount == Decimal("100.00")
    assert Rate.objects.valid_on(date(2026, 6, 1)).get().amount == Decimal("100")
    assert Rate.objects.valid_on(date(2027, 1, 1)).get().amount == Decimal("150")
    assert not Rate.objects.valid_on(date(2025, 12, 31)).exists()


def test_the_local_day_decides(employee, project):
    """Berlin: 23:30 UTC on 14 March is 00:30 on 15 March, the new rate's first day."""
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("100"), valid_from=date(2026, 1, 1))
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("120"), valid_from=date(2026, 3, 15))
    late = entry_at(employee, datetime(2026, 3, 14, 23, 30, tzinfo=UTC), minutes=30, project=project, billable=True)
    assert price(late).rate.amount == Decimal("120")


def test_cost_is_tracked_hours_and_amount_billed_hours(employee, project):
    ProjectBillingFactory(project=project, rounding_mode="up", rounding_minutes=15)
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("100"))
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("40"), kind=RateKind.COST)
    priced = price(entry_at(employee, MOMENT, minutes=50, project=project, billable=True))
    assert priced.billed_seconds == 60 * 60
    assert priced.amount == Decimal("100.00")
    assert priced.cost == Decimal("33.33")  # 50 min × 40/h


def test_non_billable_entries_bill_nothing_but_cost(employee, project):
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("100"))
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("40"), kind=RateKind.COST)
    priced = price(entry_at(employee, MOMENT, project=project, billable=False))
    assert (priced.billed_seconds, priced.amount, priced.cost) == (0, Decimal("0.00"), Decimal("40.00"))


def test_amounts_are_rounded_to_the_currency(employee, project, acme):
    ClientBillingFactory(client=acme, currency="JPY")
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("1001"), currency="JPY")
    priced = price(entry_at(employee, MOMENT, minutes=10, project=project, billable=True))
    assert (priced.currency, priced.amount) == ("JPY", Decimal("167"))  # 166.83 -> 167


def test_half_a_cent_rounds_up(employee, project):
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("0.03"))
    # 30 minutes at 0.03/h = 0.015 -> 0.02
    assert price(entry_at(employee, MOMENT, minutes=30, project=project, billable=True)).amount == Decimal("0.02")


def test_day_rounding_prices_the_whole_day_whatever_rows_are_read(employee, project):
    ProjectBillingFactory(project=project, rounding_mode="up", rounding_minutes=15, rounding_scope="day")
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("60"))
    first = entry_at(employee, MOMENT, minutes=10, project=project, billable=True)
    second = entry_at(employee, MOMENT + timedelta(hours=1), minutes=10, project=project, billable=True)
    # The day is 20 minutes -> 30 billed: the first entry bills its 10, the last 20.
    assert price(first).billed_seconds == 10 * 60
    assert price(second).billed_seconds == 20 * 60
    both = price_entries(TimeEntry.objects.filter(pk__in=[first.pk, second.pk]).values(*ROW_FIELDS))
    assert sum(item.amount for item in both.values()) == Decimal("30.00")


def test_running_entries_have_no_amount(employee, project):
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("60"))
    running = TimeEntryFactory(user=employee, project=project, started_at=MOMENT, ended_at=None, billable=True)
    priced = price(running)
    assert priced.rate.amount == Decimal("60")
    assert (priced.billed_seconds, priced.amount) == (None, None)


def test_pricing_reads_a_constant_number_of_queries(employee, project, task, django_assert_num_queries):
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("60"))
    for index in range(20):
        entry_at(employee, MOMENT + timedelta(hours=2 * index), project=project, task=task, billable=True)
    rows = list(TimeEntry.objects.values(*ROW_FIELDS, "user__timezone"))
    # projects with their currency and rounding; the rates
    with django_assert_num_queries(2):
        prices = price_entries(rows)
    assert len(prices) == 20
