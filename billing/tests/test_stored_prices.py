"""Stored prices (the entries' `price_*` columns) stay what billing.pricing computes live, whatever changes what
prices an entry, by every path that changes it; and the summary reads them."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from billing import services
from billing.models import PricingState, RateKind, RateLevel
from billing.pricing import price_entries
from billing.rounding import Rounding
from billing.services.prices import prices_sync_settings
from billing.tests.factories import RateFactory
from timetracking import services as timetracking
from timetracking.models import TimeEntry
from timetracking.tests.factories import ClientFactory, ProjectFactory, TimeEntryFactory

MARCH = datetime(2026, 3, 10, 8, tzinfo=UTC)
SUMMARY = "/api/v1/reports/summary/"
PRICE = ("price_currency", "price_billed_seconds", "price_amount", "price_cost")


def log(user, project, start, minutes, *, billable=True):
    return timetracking.entry_create(
        user=user, project=project, started_at=start, ended_at=start + timedelta(minutes=minutes), billable=billable
    )


def stored(entry):
    """(currency, billed seconds, amount, cost) of the entry's stored price, None when it has none."""
    row = TimeEntry.objects.filter(pk=entry.pk, price_billed_seconds__isnull=False).values_list(*PRICE)
    found = row.first()
    return None if found is None else (found[0], found[1], found[2], found[3])


def live(entry):
    """The same, as billing.pricing prices it now (what the entries list and invoices show)."""
    row = TimeEntry.objects.filter(pk=entry.pk).values(
        "id", "user_id", "project_id", "task_id", "started_at", "ended_at", "billable", "user__timezone"
    )
    price = price_entries(row)[entry.pk]
    return (price.currency, price.billed_seconds, price.amount, price.cost)


def assert_in_step():
    """Every finished entry has a stored price equal to its live one; no other entry has one."""
    finished = list(TimeEntry.objects.finished())
    assert {entry.pk: stored(entry) for entry in finished} == {entry.pk: live(entry) for entry in finished}
    assert priced_count() == len(finished)
    unpriced = {"price_currency": "", "price_billed_seconds": None, "price_amount": None, "price_cost": None}
    assert not TimeEntry.objects.running().exclude(**unpriced).exists()


def priced_count():
    return TimeEntry.objects.filter(price_billed_seconds__isnull=False).count()


def amount(entry):
    return stored(entry)[2]


@pytest.fixture
def rate(project):
    return RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("90"), valid_from=date(2026, 1, 1))


# --- Entry writes ------------------------------------------------------------------------------------


def test_a_new_entry_is_priced_when_it_is_written(employee, project, rate):
    entry = log(employee, project, MARCH, 40)
    assert stored(entry) == ("EUR", 2400, Decimal("60.00"), None)
    assert_in_step()


def test_changing_and_deleting_an_entry_rewrites_its_price(employee, project, rate):
    entry = log(employee, project, MARCH, 40)
    timetracking.entry_update(entry=entry, ended_at=MARCH + timedelta(hours=2))
    assert amount(entry) == Decimal("180.00")
    timetracking.entry_update(entry=entry, billable=False)
    assert stored(entry)[1:3] == (0, Decimal("0.00"))
    other = ProjectFactory(members=[employee], client=project.client)
    timetracking.entry_update(entry=entry, project=other, billable=True)
    assert stored(entry) == ("EUR", 7200, None, None)  # no rate on the other project
    assert_in_step()
    timetracking.entry_delete(entry=entry)
    assert priced_count() == 0


def test_a_running_timer_has_no_price_until_it_stops(employee, project, rate):
    running = timetracking.timer_start(user=employee, project=project, started_at=MARCH)
    assert stored(running) is None
    stopped = timetracking.timer_stop(user=employee, ended_at=MARCH + timedelta(minutes=30))
    assert stored(stopped) == ("EUR", 1800, Decimal("45.00"), None)
    assert_in_step()


def test_bulk_created_entries_are_each_priced(employee, project, rate):
    starts = [MARCH + timedelta(hours=hour) for hour in range(3)]
    rows = [{"project": project, "started_at": start, "ended_at": start + timedelta(minutes=30)} for start in starts]
    created = timetracking.entries_bulk_create(actor=employee, rows=rows)
    assert [amount(entry) for entry in created] == [Decimal("45.00")] * 3
    assert_in_step()


def test_a_day_rounding_reprices_the_days_other_entries(hr, employee, project, rate):
    services.project_rounding_set(actor=hr, project=project, rounding=Rounding(mode="up", minutes=15, scope="day"))
    first = log(employee, project, MARCH, 20)
    assert stored(first)[1] == 1800  # the day's 20 min billed as 30
    second = log(employee, project, MARCH + timedelta(hours=2), 20)
    assert stored(first)[1] + stored(second)[1] == 2700  # 40 min billed as 45, spread over the day
    assert_in_step()
    timetracking.entry_delete(entry=second)
    assert stored(first)[1] == 1800
    assert_in_step()


# --- What prices an entry ------------------------------------------------------------------------------


def test_a_rate_written_through_the_service_reprices_from_its_day_on(hr, employee, project, rate):
    before = log(employee, project, MARCH, 60)
    after = log(employee, project, MARCH + timedelta(days=10), 60)
    new = services.rate_create(
        actor=hr, kind=RateKind.BILLABLE, level=RateLevel.PROJECT, project=project, amount=Decimal("120"),
        valid_from=date(2026, 3, 15),
    )  # fmt: skip
    assert (amount(before), amount(after)) == (Decimal("90.00"), Decimal("120.00"))
    services.rate_update(actor=hr, rate=new, data={"valid_from": date(2026, 3, 1)})
    assert (amount(before), amount(after)) == (Decimal("120.00"), Decimal("120.00"))
    services.rate_update(actor=hr, rate=new, data={"amount": Decimal("150")})
    assert amount(after) == Decimal("150.00")
    services.rate_delete(actor=hr, rate=new)
    assert (amount(before), amount(after)) == (Decimal("90.00"), Decimal("90.00"))
    services.rate_create(
        actor=hr, kind=RateKind.COST, level=RateLevel.COMPANY, amount=Decimal("40"), valid_from=date(2026, 1, 1)
    )
    assert stored(after)[3] == Decimal("40.00")
    assert_in_step()


def test_a_refused_rate_change_reprices_nothing(hr, employee, project, rate):
    entry = log(employee, project, MARCH, 60)
    with pytest.raises(services.BillingError):
        services.rate_create(
            actor=hr, kind=RateKind.BILLABLE, level=RateLevel.PROJECT, project=project, amount=Decimal("-1"),
            valid_from=date(2026, 3, 1),
        )  # fmt: skip
    assert amount(entry) == Decimal("90.00")


def test_a_clients_currency_reprices_its_entries(hr, employee, project):
    entry = log(employee, project, MARCH, 60)
    assert stored(entry)[0] == "EUR"
    services.client_currency_set(actor=hr, client=project.client, currency="CHF")
    RateFactory(level=RateLevel.COMPANY, currency="CHF", amount=Decimal("100"), valid_from=date(2026, 1, 1))
    services.client_currency_set(actor=hr, client=project.client, currency="CHF")  # unchanged: not repriced
    assert stored(entry) == ("CHF", 3600, None, None)
    services.rate_create(
        actor=hr, kind=RateKind.BILLABLE, level=RateLevel.CLIENT, client=project.client, amount=Decimal("110"),
        valid_from=date(2026, 1, 1),
    )  # fmt: skip
    assert stored(entry) == ("CHF", 3600, Decimal("110.00"), None)
    assert_in_step()


def test_a_projects_rounding_reprices_its_entries(hr, employee, project, rate):
    entry = log(employee, project, MARCH, 50)
    services.project_rounding_set(actor=hr, project=project, rounding=Rounding(mode="up", minutes=30))
    assert stored(entry)[1:3] == (3600, Decimal("90.00"))
    assert_in_step()


def test_a_project_moved_to_another_client_is_repriced(hr, employee, project):
    entry = log(employee, project, MARCH, 60)
    abroad = ClientFactory(name="Abroad")
    services.client_currency_set(actor=hr, client=abroad, currency="USD")
    RateFactory(
        level=RateLevel.CLIENT, client=abroad, currency="USD", amount=Decimal("70"), valid_from=date(2026, 1, 1)
    )
    project.client = abroad
    project.save()  # as the admin or the projects API save it
    assert stored(entry) == ("USD", 3600, Decimal("70.00"), None)
    project.name = "Renamed"
    project.save(update_fields=["name"])  # no client saved: nothing read, nothing repriced
    assert_in_step()


def test_a_new_time_zone_moves_the_entries_days_and_their_rates(employee, project, rate):
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("200"), valid_from=date(2026, 3, 11))
    late = log(employee, project, datetime(2026, 3, 10, 23, 30, tzinfo=UTC), 30)  # 11 March in Berlin
    assert (employee.timezone, amount(late)) == ("Europe/Berlin", Decimal("100.00"))
    employee.timezone = "America/New_York"  # 10 March there
    employee.save()
    assert amount(late) == Decimal("45.00")
    assert_in_step()


def test_changed_company_defaults_reprice_everything_once(employee, project, rate):
    entry = log(employee, project, MARCH, 50)
    assert stored(entry)[1] == 3000
    with override_settings(BILLING_ROUNDING="up:15"):
        call_command("migrate", verbosity=0)  # a deploy: migrate checks the defaults the prices were made with
        assert stored(entry)[1:3] == (3600, Decimal("90.00"))
        assert PricingState.objects.get().rounding == "up:15:entry"
        assert prices_sync_settings() is None  # the same defaults: nothing to do
    assert prices_sync_settings() == 1
    assert stored(entry)[1] == 3000


def test_the_reprice_command_prices_entries_written_past_the_services(employee, project, rate):
    written = TimeEntryFactory(
        user=employee, project=project, billable=True, started_at=MARCH, ended_at=MARCH + timedelta(hours=1)
    )
    assert stored(written) is None
    out = StringIO()
    call_command("billing_reprice", stdout=out)
    assert out.getvalue().strip() == "Repriced 1 entries."
    assert stored(written) == ("EUR", 3600, Decimal("90.00"), None)


# --- Reads -------------------------------------------------------------------------------------------


def test_the_summary_sums_the_stored_prices(hr, employee, project, rate, client_for):
    log(employee, project, MARCH, 60)
    log(employee, project, MARCH + timedelta(days=1), 30)
    query = {"from": "2026-03-01", "to": "2026-03-31", "group_by": "project", "user": employee.pk}
    (row,) = client_for(hr).get(SUMMARY, query).json()["rows"]
    assert (row["amount"], row["billed_seconds"]) == ("135.00", 5400)
    TimeEntry.objects.update(price_amount=Decimal("1"))  # what the summary reads, and only that
    (row,) = client_for(hr).get(SUMMARY, query).json()["rows"]
    assert row["amount"] == "2.00"
