import datetime
from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from leave.models import AllowancePolicy, CompanyClosure, EntryKind, LeaveRequest, LeaveType, LeaveUnit, LedgerEntry


class LeaveTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeaveType
        django_get_or_create = ("code",)

    name = "Vacation"
    code = "vacation"
    color = "#1e88e5"


class SickLeaveTypeFactory(LeaveTypeFactory):
    name = "Sick leave"
    code = "sick"
    deducts_allowance = False
    requires_approval = False
    attachment_required_after_days = 3


class HourlyLeaveTypeFactory(LeaveTypeFactory):
    name = "Overtime compensation"
    code = "overtime"
    unit = LeaveUnit.HOURS


class AllowancePolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AllowancePolicy

    leave_type = factory.SubFactory(LeaveTypeFactory)
    yearly_amount = Decimal("30")


class LedgerEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LedgerEntry

    user = factory.SubFactory(UserFactory)
    leave_type = factory.SubFactory(LeaveTypeFactory)
    year = 2026
    kind = EntryKind.INITIAL
    amount = Decimal("30")


class CompanyClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanyClosure

    date = datetime.date(2026, 12, 24)
    name = "Christmas Eve"


class LeaveRequestFactory(factory.django.DjangoModelFactory):
    """A row written directly (no rules): for reads, lists and permissions. Use the services
    to test the rules."""

    class Meta:
        model = LeaveRequest

    user = factory.SubFactory(UserFactory)
    leave_type = factory.SubFactory(LeaveTypeFactory)
    start_date = datetime.date(2026, 7, 6)
    end_date = datetime.date(2026, 7, 10)
    amount = Decimal("5")


def give_allowance(user, leave_type, amount="30", year=2026):
    return LedgerEntry.objects.create(
        user=user, leave_type=leave_type, year=year, kind=EntryKind.INITIAL, amount=Decimal(amount)
    )
