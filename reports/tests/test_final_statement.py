"""`reports/final-statement/`: a leaver's leave and overtime balances on their last day, for HR."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from leave.models import LeaveStatus
from leave.tests.factories import LeaveRequestFactory, LeaveTypeFactory, give_allowance
from timetracking.tests.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

URL = reverse("api:report-final-statement")


def rows_of(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def leaver(employee):
    employee.date_joined = datetime(2026, 1, 5, 7, tzinfo=UTC)
    employee.save(update_fields=["date_joined"])
    vacation = LeaveTypeFactory(name="Vacation", code="vacation")
    give_allowance(employee, vacation, "30")
    LeaveRequestFactory(
        user=employee,
        leave_type=vacation,
        status=LeaveStatus.PENDING,
        amount=Decimal("2"),
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 3),
    )
    # Monday 5 January: 10 hours worked against 8 expected (40 h over 5 days).
    TimeEntryFactory(
        user=employee, started_at=datetime(2026, 1, 5, 7, tzinfo=UTC), ended_at=datetime(2026, 1, 5, 17, tzinfo=UTC)
    )
    return employee


def test_hr_reads_the_leave_and_overtime_balances_of_the_last_day(client_for, hr, leaver):
    rows = rows_of(client_for(hr).get(URL, {"user": leaver.pk, "last_day": "2026-01-05"}))
    by_item = {row["item"]: row for row in rows}
    assert set(by_item) == {"leave: Vacation", "overtime"}
    vacation = by_item["leave: Vacation"]
    amounts = [Decimal(vacation[name]) for name in ("entitled", "used", "pending", "balance")]
    assert amounts == [30, 0, 2, 28]
    assert Decimal(by_item["overtime"]["balance"]) == Decimal("2")
    assert {row["user"] for row in rows} == {leaver.username}
    assert {row["last_day"] for row in rows} == {"2026-01-05"}


def test_the_overtime_balance_follows_the_last_day(client_for, hr, leaver):
    # Nothing worked on Wednesday 7 January: 8 hours short (Tuesday the 6th is a holiday in Bavaria).
    rows = rows_of(client_for(hr).get(URL, {"user": leaver.pk, "last_day": "2026-01-07"}))
    overtime = next(row for row in rows if row["item"] == "overtime")
    assert leaver.subdivision == "BY"
    assert Decimal(overtime["balance"]) == Decimal("-6")


@pytest.mark.parametrize("who", ["employee", "manager"])
def test_only_hr_reads_a_final_statement(client_for, request, leaver, who):
    response = client_for(request.getfixturevalue(who)).get(URL, {"user": leaver.pk})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({}, 400, "user"),
        ({"user": "abc"}, 400, "user"),
        ({"user": "-1"}, 400, "user"),
        ({"user": "1" * 30}, 400, "user"),
        ({"user": "999999"}, 404, None),
        ({"last_day": "2026-13-01"}, 400, "last_day"),
        ({"last_day": "9999-01-01"}, 400, "last_day"),
    ],
)
def test_bad_parameters_are_refused_clearly(client_for, hr, leaver, params, status, field):
    params = {"user": leaver.pk, **params} if "user" not in params and params else params
    response = client_for(hr).get(URL, params)
    assert response.status_code == status, response.content[:300]
    if field:
        assert field in response.json()
