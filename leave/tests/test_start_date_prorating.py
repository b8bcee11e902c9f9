"""Leave pro-rating reads the start date HR gave (issue 22): someone imported with a start date
ahead gets nothing before it, then their year's allowance pro-rated from it."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import User
from accounts.services.people_import import people_import
from accounts.tests.factories import HRFactory
from leave import services
from leave.models import LedgerEntry
from leave.tests.factories import AllowancePolicyFactory

pytestmark = pytest.mark.django_db


def test_an_imported_start_date_pro_rates_the_allowance(vacation):
    AllowancePolicyFactory(leave_type=vacation, yearly_amount=Decimal("30"))
    text = "email,timezone,start_date\nlea@example.com,America/Los_Angeles,2027-04-15\n"
    people_import(actor=HRFactory(), text=text, dry_run=False)
    lea = User.objects.get(email="lea@example.com")
    assert lea.start_date == date(2027, 4, 15)  # her local day, whatever the server's time zone

    services.leave_run_accruals(today=date(2027, 4, 14))
    assert not LedgerEntry.objects.filter(user=lea).exists()  # not started: nothing yet
    services.leave_run_accruals(today=date(2027, 4, 15))
    # April to December: 9/12 of 30.
    assert LedgerEntry.objects.filter(user=lea, leave_type=vacation, year=2027).total() == Decimal("22.5")
