"""/reports/ with money: the amount (and, for HR and managers, the cost) per group beside the hours,
and the revenue chart's data; nothing of it for an employee unless BILLING_EMPLOYEES_SEE_RATES."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.test import override_settings

from billing.models import RateKind, RateLevel
from billing.tests.factories import ClientBillingFactory, RateFactory, reprice_all
from timetracking.tests.factories import ProjectFactory, TimeEntryFactory

PAGE = "/reports/"
PARAMS = {"preset": "custom", "from": "2026-03-01", "to": "2026-03-31", "group_by": "project"}
START = datetime(2026, 3, 10, 8, tzinfo=UTC)


@pytest.fixture
def priced(employee, project):
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("90"))
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("40"), kind=RateKind.COST)
    other = ProjectFactory(client=project.client, name="Support", members=[employee])
    RateFactory(level=RateLevel.PROJECT, project=other, amount=Decimal("60"))
    for day, target, hours in ((0, project, 2), (1, project, 1), (2, other, 3)):
        began = START + timedelta(days=day)
        TimeEntryFactory(
            user=employee, project=target, billable=True, started_at=began, ended_at=began + timedelta(hours=hours)
        )
    reprice_all()
    return project, other


def chart(response):
    html = response.content.decode()
    start = html.index('id="report-chart-data" hidden data-json="') + len('id="report-chart-data" hidden data-json="')
    return json.loads(unescape(html[start : html.index('"', start)]))


def test_hr_sees_amounts_costs_and_the_revenue_chart(client, hr, employee, priced):
    client.force_login(hr)
    response = client.get(PAGE, {**PARAMS, "user": employee.pk})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="chart-revenue"' in html and "Revenue by project (EUR)" in html
    assert 'id="figure-amount">450.00 EUR<' in html and 'id="figure-cost">120.00 EUR<' in html
    assert ">Billed</th>" in html  # tracked and billed side by side
    revenue = chart(response)["revenue"]
    by_label = dict(zip(chart(response)["labels"], revenue["amounts"], strict=True))
    assert by_label == {"Website": 270.0, "Support": 180.0}
    assert revenue["costs"] is not None and sorted(revenue["costs"]) == [0.0, 120.0]


def test_an_employee_sees_hours_only_unless_allowed(client, employee, priced):
    client.force_login(employee)
    html = client.get(PAGE, PARAMS).content.decode()
    assert 'id="chart-revenue"' not in html and "figure-amount" not in html
    with override_settings(BILLING_EMPLOYEES_SEE_RATES=True):
        response = client.get(PAGE, PARAMS)
        html = response.content.decode()
        assert 'id="figure-amount">450.00 EUR<' in html and "figure-cost" not in html
        assert chart(response)["revenue"]["costs"] is None


def test_mixed_currencies_draw_no_revenue_chart(client, hr, employee, priced):
    _, other = priced
    other.client = None
    other.save()
    foreign = ProjectFactory(name="Abroad", members=[employee])
    ClientBillingFactory(client=foreign.client, currency="USD")
    RateFactory(level=RateLevel.PROJECT, project=foreign, amount=Decimal("100"), currency="USD")
    TimeEntryFactory(user=employee, project=foreign, billable=True, started_at=START + timedelta(days=5),
                     ended_at=START + timedelta(days=5, hours=1))  # fmt: skip
    reprice_all()
    client.force_login(hr)
    response = client.get(PAGE, {**PARAMS, "user": employee.pk})
    assert response.status_code == 200 and chart(response)["revenue"] is None
    assert 'id="chart-revenue"' not in response.content.decode()
