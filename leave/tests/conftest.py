import pytest
import time_machine

from leave.tests.factories import LeaveTypeFactory, give_allowance


@pytest.fixture
def vacation(db):
    return LeaveTypeFactory()


@pytest.fixture
def frozen_today():
    """Monday 1 June 2026, 09:00 UTC: requests in July are in the future."""
    with time_machine.travel("2026-06-01 09:00:00+00:00", tick=False) as traveller:
        yield traveller


@pytest.fixture
def funded_employee(employee, vacation):
    give_allowance(employee, vacation, "30")
    return employee
