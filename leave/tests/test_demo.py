"""seed_demo loads the leave demo, and running it twice creates nothing twice."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from leave.models import AllowancePolicy, CompanyClosure, LeaveRequest, LeaveType, LedgerEntry

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (LeaveType, AllowancePolicy, CompanyClosure, LeaveRequest, LedgerEntry)]


def test_seed_demo_is_idempotent(frozen_today):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = counts()
    statuses = set(LeaveRequest.objects.values_list("status", flat=True))
    assert {"approved", "pending", "rejected"} <= statuses
    assert "leave type vacation  created" in out.getvalue()
    call_command("seed_demo", stdout=StringIO())
    assert counts() == first
    alice_vacation = LedgerEntry.objects.filter(user__username="alice", leave_type__code="vacation", year=2026).total()
    assert alice_vacation == Decimal("23.5")  # 30 assigned; 1.5 days taken in May, 5 approved for June


def test_seed_demo_plans_leave_around_today_on_working_days(frozen_today):
    """Monday 1 June 2026: two weeks ago, last week, the weeks ahead."""
    call_command("seed_demo", stdout=StringIO())
    requests = {
        (request.user.username, request.reason): request
        for request in LeaveRequest.objects.select_related("user", "leave_type", "decided_by")
    }
    vienna = requests["alice", "Long weekend in Vienna"]
    assert (vienna.start_date, vienna.start_part, vienna.end_date, vienna.amount) == (
        date(2026, 5, 21), "afternoon", date(2026, 5, 22), Decimal("1.5"),
    )  # fmt: skip
    assert (vienna.status, vienna.decided_by.username) == ("approved", "manager")
    # Monday 25 May is the spring bank holiday in England: bob was sick on the Tuesday.
    flu = requests["bob", "Flu"]
    assert (flu.leave_type.code, flu.start_date, flu.end_date) == ("sick", date(2026, 5, 26), date(2026, 5, 26))
    assert flu.status == "approved"
    assert flu.decided_by is None  # sick leave needs no approval
    holiday = requests["alice", "Family holiday"]
    assert (holiday.start_date, holiday.end_date, holiday.status) == (date(2026, 6, 22), date(2026, 6, 26), "approved")
    school = requests["manager", "School event"]
    assert (school.start_date, school.status, school.decided_by.username) == (date(2026, 6, 12), "approved", "hr")
    pending = LeaveRequest.objects.pending().decidable_by(requests["bob", "Flu"].user.manager)
    assert sorted((request.user.username, request.leave_type.code) for request in pending) == [
        ("bob", "vacation"),
        ("carol", "overtime"),
    ]
    assert requests["carol", "Afternoon off from overtime"].hours == Decimal("4")
    rejected = requests["carol", "Two days after the release"]
    assert rejected.status == "rejected" and "release week" in rejected.decision_note
    # The manager sees none of their own requests to decide, and HR sees everyone's.
    manager = requests["manager", "School event"].user
    assert not LeaveRequest.objects.decidable_by(manager).filter(user=manager).exists()
