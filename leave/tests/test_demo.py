"""seed_demo loads the leave demo, and running it twice creates nothing twice."""

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
    assert alice_vacation == 25  # 30 assigned, 5 days approved
