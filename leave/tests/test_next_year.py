"""Next year's leave before 1 January (issue 18, item 5): on 2 December a request for February draws
on next year's entitlement as the policy will book it (pro-rated, accrual-aware), the page and the
preview say "2027: 30 days from 1 January", and the booking on 1 January agrees with what was
already approved (no double count), with carry-over and its expiry."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from leave import services
from leave.models import AccrualMethod, EntryKind, LedgerEntry
from leave.services.common import LeaveError
from leave.tests.factories import AllowancePolicyFactory, give_allowance

pytestmark = pytest.mark.django_db

DECEMBER = datetime(2026, 12, 2, 9, tzinfo=timezone.get_fixed_timezone(0))


@pytest.fixture
def december():
    with time_machine.travel(DECEMBER, tick=False) as traveller:
        yield traveller


@pytest.fixture
def policy(vacation):
    return AllowancePolicyFactory(
        leave_type=vacation,
        yearly_amount=Decimal("30"),
        carry_over_cap=Decimal("5"),
        carry_over_expiry_month=3,
        carry_over_expiry_day=31,
    )


@pytest.fixture
def planner(employee, vacation, policy):
    employee.date_joined = datetime(2025, 1, 1, 8, tzinfo=timezone.get_fixed_timezone(0))
    employee.save(update_fields=["date_joined"])
    give_allowance(employee, vacation, "30", year=2026)
    return employee


def february(planner, vacation, start=date(2027, 2, 1), end=date(2027, 2, 5)):
    return services.leave_request_submit(user=planner, leave_type=vacation, start_date=start, end_date=end)


def balance(user, leave_type, year):
    return services.balances_for(user=user, year=year, leave_types=[leave_type])[0]


def test_a_request_for_next_february_draws_on_next_years_allowance(december, planner, vacation):
    leave_request = february(planner, vacation)
    assert leave_request.status == "pending" and leave_request.amount == 5
    next_year = balance(planner, vacation, 2027)
    assert (next_year.projected, next_year.entitled, next_year.pending, next_year.available) == (30, 0, 5, 25)
    assert balance(planner, vacation, 2026).available == 30  # this year's is untouched


def test_more_than_next_years_allowance_is_still_refused(december, planner, vacation):
    with pytest.raises(LeaveError) as refused:
        february(planner, vacation, start=date(2027, 2, 1), end=date(2027, 3, 19))  # 35 working days
    assert refused.value.code == "insufficient_balance" and "30 days available" in refused.value.message


def test_a_type_without_a_policy_has_nothing_to_draw_on_yet(december, planner):
    from leave.tests.factories import LeaveTypeFactory

    bonus = LeaveTypeFactory(code="bonus", name="Bonus days")
    give_allowance(planner, bonus, "3", year=2026)
    with pytest.raises(LeaveError) as refused:
        february(planner, bonus)
    assert refused.value.code == "insufficient_balance"


def test_a_joiner_next_year_gets_their_share(december, vacation, policy, manager):
    joiner = UserFactory(username="joiner", manager=manager, date_joined=datetime(2027, 4, 1, 8, tzinfo=UTC))
    assert balance(joiner, vacation, 2027).projected == Decimal("22.5")  # 30 x 9/12, from April


def test_monthly_accrual_counts_the_months_up_to_the_request(december, planner, vacation, policy):
    policy.accrual, policy.yearly_amount = AccrualMethod.MONTHLY, Decimal("24")
    policy.save()
    # By the start of March 2027: January, February and March accrued, 6 days.
    with pytest.raises(LeaveError) as refused:
        february(planner, vacation, start=date(2027, 3, 1), end=date(2027, 3, 9))  # 7 days
    assert "6 days available" in refused.value.message
    assert february(planner, vacation, start=date(2027, 3, 1), end=date(2027, 3, 8)).amount == 6
    assert balance(planner, vacation, 2027).projected == 24  # shown for the whole year


def test_the_booking_on_1_january_counts_approved_leave_once(december, planner, vacation, manager):
    leave_request = february(planner, vacation)
    services.leave_request_approve(leave_request_id=leave_request.pk, actor=manager)
    before = balance(planner, vacation, 2027)
    assert (before.projected, before.used, before.available) == (30, 5, 25)
    # 2026: 30 entitled, nothing used: 5 carried over (the cap), lapsing after 31 March.
    with time_machine.travel(datetime(2027, 1, 1, 1, tzinfo=UTC), tick=False):
        services.leave_run_policies(today=date(2027, 1, 1))
        after = balance(planner, vacation, 2027)
        assert (after.projected, after.entitled, after.carried, after.used) == (0, 30, 5, 5)
        assert after.available == 30  # 30 + 5 carried - 5 used: the February days counted once
        assert LedgerEntry.objects.filter(user=planner, year=2027, kind=EntryKind.USAGE).count() == 1
        services.leave_run_policies(today=date(2027, 1, 1))  # idempotent
        assert balance(planner, vacation, 2027).available == 30
    # After the expiry: the February days used the carried ones first, so nothing lapses.
    with time_machine.travel(datetime(2027, 4, 1, 8, tzinfo=UTC), tick=False):
        services.leave_run_policies(today=date(2027, 4, 1))
        assert balance(planner, vacation, 2027).available == 30


def test_unused_carried_days_lapse_after_the_expiry_of_next_year(december, planner, vacation, manager):
    leave_request = february(planner, vacation, start=date(2027, 4, 12), end=date(2027, 4, 16))  # after 31 March
    services.leave_request_approve(leave_request_id=leave_request.pk, actor=manager)
    with time_machine.travel(datetime(2027, 4, 1, 8, tzinfo=UTC), tick=False):
        services.leave_run_policies(today=date(2027, 1, 1))
        services.leave_run_policies(today=date(2027, 4, 1))
        after = balance(planner, vacation, 2027)
        assert (after.entitled, after.carried, after.used, after.available) == (30, 0, 5, 25)  # the 5 carried lapsed


def test_the_page_and_the_preview_say_what_next_year_brings(december, client, planner, vacation):
    client.force_login(planner)
    html = client.get(reverse("leave:index")).content.decode()
    assert "Vacation 2027: 30 days from 1 January" in html
    preview = client.post(
        reverse("leave:preview"),
        {"leave_type": vacation.pk, "start_date": "2027-02-01", "end_date": "2027-02-05", "start_part": "full",
         "end_part": "full"},
    ).content.decode()  # fmt: skip
    assert "2027: 30 days from 1 January, 30 available before this request" in preview
    # The API says it too.
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(planner)
    [row] = api.get(reverse("api:leave-balances"), {"year": 2027}).json()
    assert row["projected"] == "30.00" and row["available"] == "30.00"
