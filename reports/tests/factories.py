"""Factories for the reports tests. Entries come from timetracking's factories (arranging data
without the services); leave requests are built directly as approved rows."""

from datetime import UTC, datetime
from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from leave.models import LeaveRequest, LeaveStatus, LeaveType
from reports.models import ExportJob, ImportFormat, ImportJob
from timetracking.tests.factories import ProjectFactory, TagFactory, TaskFactory, TimeEntryFactory

__all__ = [
    "ApprovedLeaveFactory",
    "ExportJobFactory",
    "ImportJobFactory",
    "LeaveTypeFactory",
    "ProjectFactory",
    "TagFactory",
    "TaskFactory",
    "TimeEntryFactory",
    "UserFactory",
    "utc",
]


def utc(*args):
    return datetime(*args, tzinfo=UTC)


class LeaveTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeaveType
        django_get_or_create = ("code",)

    name = "Vacation"
    code = "vacation"


class ApprovedLeaveFactory(factory.django.DjangoModelFactory):
    """An approved request (bypasses the workflow: only for arranging expected-hours tests)."""

    class Meta:
        model = LeaveRequest

    user = factory.SubFactory(UserFactory)
    leave_type = factory.SubFactory(LeaveTypeFactory)
    amount = Decimal("1")
    status = LeaveStatus.APPROVED
    decided_at = factory.LazyFunction(lambda: utc(2026, 1, 1, 12))


class ExportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExportJob

    requested_by = factory.SubFactory(UserFactory)
    params = factory.LazyFunction(dict)


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportJob

    requested_by = factory.SubFactory(UserFactory)
    user = factory.LazyAttribute(lambda job: job.requested_by)
    format = ImportFormat.NATIVE
    file = factory.django.FileField(filename="entries.csv", data=b"user\n")
