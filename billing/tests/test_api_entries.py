"""time-entries/ with billing's money: rate, rate_level, billed_seconds, amount, cost_rate, cost, invoice."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from billing.models import RateKind, RateLevel
from billing.tests.factories import ProjectBillingFactory, RateFactory
from timetracking.tests.factories import TaskFactory, TimeEntryFactory

URL = "/api/v1/time-entries/"
START = datetime(2026, 3, 10, 8, tzinfo=UTC)


@pytest.fixture
def priced(employee, project):
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("90"))
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("35"), kind=RateKind.COST)
    ProjectBillingFactory(project=project, rounding_mode="up", rounding_minutes=15)
    return TimeEntryFactory(
        user=employee, project=project, billable=True, started_at=START, ended_at=START + timedelta(minutes=50)
    )


def only(response):
    (row,) = response.json()["results"]
    return row


@pytest.mark.parametrize("reader", ["hr", "manager"])
def test_hr_and_the_manager_see_amount_and_cost(request, client_for, priced, reader):
    row = only(client_for(request.getfixturevalue(reader)).get(URL, {"user": priced.user_id}))
    assert row["rate"] == "90.00" and row["rate_level"] == "project" and row["currency"] == "EUR"
    assert row["billed_seconds"] == 3600 and row["amount"] == "90.00"
    assert row["cost_rate"] == "35.00" and row["cost"] == "29.17"  # 50 min × 35/h
    assert row["invoice"] is None


def test_an_employee_sees_no_money_by_default(client_for, employee, priced):
    row = only(client_for(employee).get(URL))
    assert all(row[name] is None for name in ("rate", "amount", "cost", "cost_rate", "billed_seconds", "currency"))
    assert client_for(employee).get(f"{URL}{priced.pk}/").json()["amount"] is None


@override_settings(BILLING_EMPLOYEES_SEE_RATES=True)
def test_an_employee_may_see_the_billable_side_never_the_cost(client_for, employee, priced):
    row = only(client_for(employee).get(URL))
    assert (row["rate"], row["amount"]) == ("90.00", "90.00")
    assert (row["cost_rate"], row["cost"]) == (None, None)


def test_the_detail_and_the_list_agree(client_for, hr, priced):
    client = client_for(hr)
    assert client.get(f"{URL}{priced.pk}/").json() == only(client.get(URL))


def test_a_write_answers_with_the_money(client_for, hr, employee, project, priced):
    body = {"user": employee.pk, "project": project.pk, "billable": True, "started_at": "2026-03-11T08:00:00Z"}
    response = client_for(hr).post(URL, {**body, "duration": "0:10"})
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "22.50"  # 10 min -> 15 min billed at 90/h
    changed = client_for(hr).patch(f"{URL}{response.json()['id']}/", {"duration": "0:20"})
    assert changed.json()["amount"] == "45.00"


def test_a_rate_change_prices_new_days_only(client_for, hr, employee, project, priced):
    from datetime import date

    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("120"), valid_from=date(2026, 3, 15))
    later = START + timedelta(days=6)
    TimeEntryFactory(
        user=employee, project=project, billable=True, started_at=later, ended_at=later + timedelta(hours=1)
    )
    rows = client_for(hr).get(URL, {"ordering": "started_at"}).json()["results"]
    assert [row["rate"] for row in rows] == ["90.00", "120.00"]


def test_the_list_reads_a_constant_number_of_queries(client_for, hr, employee, project, django_assert_num_queries):
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("90"))

    def make(count):
        for _ in range(count):
            task = TaskFactory(project=project)
            RateFactory(level=RateLevel.TASK, task=task, amount=Decimal("95"))
            TimeEntryFactory(user=employee, project=project, task=task, billable=True)

    client = client_for(hr)
    make(1)
    client.get(URL)  # warm up: the role checks of `hr` are cached on the user
    # count, page (with names and owners' time zones), tags; projects' terms, rates
    with django_assert_num_queries(5):
        client.get(URL)
    make(15)
    with django_assert_num_queries(5):
        rows = client.get(URL).json()["results"]
    assert len(rows) == 16 and {row["rate_level"] for row in rows} == {"task"}


def test_the_employees_list_reads_nothing_more(client_for, employee, priced, django_assert_num_queries):
    client = client_for(employee)
    client.get(URL)
    with django_assert_num_queries(3):  # count, page, tags: no money to read
        client.get(URL)
