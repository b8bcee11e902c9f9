"""timer/ (read, start, stop, correct) and time-entries/bulk/ answer with the entries' money, as
time-entries/ does: rate and amount where the caller may see them, never a cost to an employee."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from billing.models import RateKind, RateLevel
from billing.services import invoices
from billing.tests.factories import RateFactory

START = datetime(2026, 3, 10, 8, tzinfo=UTC)


@pytest.fixture
def priced(project):
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("90"))
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("30"), kind=RateKind.COST)
    return project


@override_settings(BILLING_EMPLOYEES_SEE_RATES=True)
def test_the_timer_answers_with_its_rate_and_the_stop_with_its_amount(client_for, employee, priced):
    api = client_for(employee)
    started = api.post("/api/v1/timer/start/", {"project": priced.pk, "started_at": START.isoformat()}, format="json")
    assert started.status_code == 201
    body = started.json()
    assert (body["rate"], body["rate_level"], body["currency"]) == ("90.00", "project", "EUR")
    assert body["amount"] is None and body["cost"] is None  # running: nothing billed yet; a cost never
    assert api.get("/api/v1/timer/").json()["rate"] == "90.00"
    assert api.patch("/api/v1/timer/", {"description": "Design"}, format="json").json()["rate"] == "90.00"
    stopped = api.post("/api/v1/timer/stop/", {"ended_at": (START + timedelta(minutes=40)).isoformat()}, format="json")
    assert stopped.status_code == 200
    assert (stopped.json()["billed_seconds"], stopped.json()["amount"]) == (2400, "60.00")
    assert stopped.json()["cost"] is None and stopped.json()["invoice"] is None


def test_an_employee_sees_no_money_on_the_timer_by_default(client_for, employee, priced):
    body = client_for(employee).post("/api/v1/timer/start/", {"project": priced.pk}, format="json").json()
    assert all(body[name] is None for name in ("rate", "amount", "cost", "cost_rate", "currency"))


def test_the_bulk_answer_carries_each_entrys_money(client_for, hr, employee, priced):
    rows = [
        {"user": employee.pk, "project": priced.pk, "started_at": (START + timedelta(hours=hour)).isoformat(),
         "duration": "0:30", "billable": True}
        for hour in range(3)
    ]  # fmt: skip
    response = client_for(hr).post("/api/v1/time-entries/bulk/", {"entries": rows}, format="json")
    assert response.status_code == 201, response.json()
    entries = response.json()["entries"]
    assert [(entry["amount"], entry["cost"]) for entry in entries] == [("45.00", "15.00")] * 3


def test_the_bulk_answer_shows_an_invoice_only_where_one_is(client_for, hr, employee, priced, acme):
    # Entries made by bulk are on no invoice; one drafted afterwards holds them (the list says which).
    rows = [{"user": employee.pk, "project": priced.pk, "started_at": START.isoformat(), "duration": "1:00"}]
    created = client_for(hr).post("/api/v1/time-entries/bulk/", {"entries": rows}, format="json").json()["entries"]
    assert created[0]["invoice"] is None
    draft = invoices.invoice_draft_create(actor=hr, client=acme, period_from=START.date(), period_to=START.date())
    listed = client_for(hr).get("/api/v1/time-entries/", {"user": employee.pk}).json()["results"]
    assert [entry["invoice"] for entry in listed] == [draft.pk]
