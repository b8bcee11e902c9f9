"""Accrual, pro-rating, carry-over with a cap and its expiry: idempotent tasks and command."""

from datetime import date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.tests.factories import UserFactory
from leave import services, tasks
from leave.models import AccrualMethod, EntryKind, LedgerEntry
from leave.tests.factories import AllowancePolicyFactory, LeaveRequestFactory, LedgerEntryFactory

pytestmark = pytest.mark.django_db


def joined(year, month, day=1):
    return datetime(year, month, day, 12, tzinfo=timezone.get_current_timezone())


def total(user, leave_type, year, kind=None):
    rows = LedgerEntry.objects.filter(user=user, leave_type=leave_type, year=year)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.total()


@pytest.fixture
def policy(vacation):
    return AllowancePolicyFactory(
        leave_type=vacation,
        yearly_amount=Decimal("30"),
        carry_over_cap=Decimal("5"),
        carry_over_expiry_month=3,
        carry_over_expiry_day=31,
    )


def test_yearly_allowance_up_front_and_idempotent(policy):
    veteran = UserFactory(date_joined=joined(2020, 1))
    assert services.leave_run_accruals(today=date(2026, 1, 1)) == 1
    assert services.leave_run_accruals(today=date(2026, 1, 2)) == 0
    assert total(veteran, policy.leave_type, 2026) == Decimal("30")


def test_joiners_are_pro_rated_to_the_half_day(policy):
    joiner = UserFactory(date_joined=joined(2026, 4, 15))  # April to December: 9/12 of 30
    late = UserFactory(date_joined=joined(2026, 8, 1))  # 5/12 of 30 = 12.5
    services.leave_run_accruals(today=date(2026, 8, 1))
    assert total(joiner, policy.leave_type, 2026) == Decimal("22.5")
    assert total(late, policy.leave_type, 2026) == Decimal("12.5")


def test_people_who_join_later_get_nothing_yet(policy):
    future = UserFactory(date_joined=joined(2026, 9, 1))
    services.leave_run_accruals(today=date(2026, 8, 1))
    assert total(future, policy.leave_type, 2026) == 0


def test_monthly_accrual_sums_to_the_yearly_amount(vacation):
    AllowancePolicyFactory(leave_type=vacation, yearly_amount=Decimal("25"), accrual=AccrualMethod.MONTHLY)
    user = UserFactory(date_joined=joined(2020, 1))
    services.leave_run_accruals(today=date(2026, 3, 10))
    assert LedgerEntry.objects.filter(user=user, kind=EntryKind.ACCRUAL).count() == 3
    assert services.leave_run_accruals(today=date(2026, 3, 11)) == 0
    services.leave_run_accruals(today=date(2026, 12, 1))
    assert total(user, vacation, 2026) == Decimal("25.00")


def test_monthly_accrual_of_a_joiner_starts_in_their_month(vacation):
    AllowancePolicyFactory(leave_type=vacation, yearly_amount=Decimal("24"), accrual=AccrualMethod.MONTHLY)
    user = UserFactory(date_joined=joined(2026, 10, 20))
    services.leave_run_accruals(today=date(2026, 12, 1))
    assert total(user, vacation, 2026) == Decimal("6")


def test_carry_over_is_capped_and_idempotent(policy):
    rich = UserFactory(date_joined=joined(2020, 1))
    poor = UserFactory(date_joined=joined(2020, 1))
    LedgerEntryFactory(user=rich, leave_type=policy.leave_type, year=2025, amount=Decimal("12"))
    LedgerEntryFactory(user=poor, leave_type=policy.leave_type, year=2025, amount=Decimal("2.5"))
    assert services.leave_run_carry_over(today=date(2026, 1, 1)) == 2
    assert services.leave_run_carry_over(today=date(2026, 1, 1)) == 0
    assert total(rich, policy.leave_type, 2026, EntryKind.CARRY_OVER) == Decimal("5")
    assert total(poor, policy.leave_type, 2026, EntryKind.CARRY_OVER) == Decimal("2.5")


def test_unused_carried_days_lapse_after_the_expiry_date(policy):
    user = UserFactory(date_joined=joined(2020, 1))
    vacation = policy.leave_type
    LedgerEntryFactory(user=user, leave_type=vacation, year=2026, kind=EntryKind.CARRY_OVER, amount=Decimal("5"))
    taken = LeaveRequestFactory(
        user=user,
        leave_type=vacation,
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 3),
        amount=Decimal("2"),
        status="approved",
        decided_at=timezone.now(),
    )
    LedgerEntryFactory(
        user=user, leave_type=vacation, year=2026, kind=EntryKind.USAGE, amount=Decimal("-2"), request=taken
    )
    assert services.leave_run_carry_over_expiry(today=date(2026, 3, 31)) == 0  # not yet
    assert services.leave_run_carry_over_expiry(today=date(2026, 4, 1)) == 1
    assert services.leave_run_carry_over_expiry(today=date(2026, 4, 2)) == 0
    assert total(user, vacation, 2026, EntryKind.CARRY_OVER_EXPIRY) == Decimal("-3")


def test_usage_after_the_expiry_date_does_not_save_carried_days(policy):
    user = UserFactory(date_joined=joined(2020, 1))
    vacation = policy.leave_type
    LedgerEntryFactory(user=user, leave_type=vacation, year=2026, kind=EntryKind.CARRY_OVER, amount=Decimal("4"))
    later = LeaveRequestFactory(
        user=user,
        leave_type=vacation,
        start_date=date(2026, 5, 4),
        end_date=date(2026, 5, 5),
        amount=Decimal("2"),
        status="approved",
        decided_at=timezone.now(),
    )
    LedgerEntryFactory(
        user=user, leave_type=vacation, year=2026, kind=EntryKind.USAGE, amount=Decimal("-2"), request=later
    )
    services.leave_run_carry_over_expiry(today=date(2026, 4, 1))
    assert total(user, vacation, 2026, EntryKind.CARRY_OVER_EXPIRY) == Decimal("-4")


def test_the_task_and_the_command_run_everything_once(policy):
    user = UserFactory(date_joined=joined(2020, 1))
    LedgerEntryFactory(user=user, leave_type=policy.leave_type, year=2025, amount=Decimal("8"))
    result = tasks.run_policies.delay("2026-04-01").get()
    assert result == {"carry_over": 1, "accruals": 1, "expiry": 1}
    out = StringIO()
    call_command("leave_run_policies", "--date", "2026-04-01", stdout=out)
    assert "0 carry-over, 0 accrual, 0 expiry" in out.getvalue()
    assert total(user, policy.leave_type, 2026) == Decimal("30")  # 30 + 5 carried - 5 lapsed


def test_the_command_refuses_a_bad_date(policy):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("leave_run_policies", "--date", "yesterday")


def test_beat_schedule_has_the_leave_tasks():
    from django.conf import settings

    from config.celery import app

    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"leave.tasks.run_policies", "leave.tasks.send_pending_reminders"} <= tasks_scheduled
    assert "leave-run-policies" in app.conf.beat_schedule


def test_the_reminder_task_emails_the_manager(employee, vacation, manager, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.core import mail

    from leave.models import LeaveRequest
    from leave.tests.factories import LeaveRequestFactory

    old = LeaveRequestFactory(user=employee, leave_type=vacation)
    LeaveRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_pending_reminders.delay().get() == 1
    old.refresh_from_db()
    assert old.reminded_at is not None
    assert [m.to for m in mail.outbox] == [[manager.email]]


def test_policy_runs_do_not_query_per_user(policy, django_assert_max_num_queries):
    for _ in range(15):
        UserFactory(date_joined=joined(2020, 1))
    for user in list(UserFactory._meta.model.objects.all()):
        LedgerEntryFactory(user=user, leave_type=policy.leave_type, year=2025, amount=Decimal("3"))
    # Per step: savepoint and release (2), policies (1), users or totals (1-2), existing rows (1),
    # one insert (1): about 19 in all, however many people there are.
    with django_assert_max_num_queries(20):
        booked = services.leave_run_policies(today=date(2026, 4, 1))
    assert booked == {"carry_over": 15, "accruals": 15, "expiry": 15}
