"""The request rules: submit, preview, approve, reject, cancel, with every refusal and its message."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from leave import services
from leave.models import EntryKind, LeaveRequest, LeaveStatus, LedgerEntry
from leave.services import LeaveConflict, LeaveError, LeaveForbidden
from leave.tests.conftest import settle_emails
from leave.tests.factories import (
    HourlyLeaveTypeFactory,
    LeaveRequestFactory,
    LeaveTypeFactory,
    SickLeaveTypeFactory,
    give_allowance,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

JULY_6, JULY_10 = date(2026, 7, 6), date(2026, 7, 10)


def submit(user, leave_type, start=JULY_6, end=JULY_10, **kwargs):
    return services.leave_request_submit(user=user, leave_type=leave_type, start_date=start, end_date=end, **kwargs)


def balance(user, leave_type, year=2026):
    return services.balances_for(user=user, year=year, leave_types=[leave_type])[0]


# --- submit ---------------------------------------------------------------------------------


def test_submit_computes_the_amount_and_counts_as_pending(funded_employee, vacation):
    request = submit(funded_employee, vacation)
    assert request.status == LeaveStatus.PENDING and request.amount == Decimal("5")
    current = balance(funded_employee, vacation)
    assert (current.balance, current.pending, current.available) == (Decimal("30"), Decimal("5"), Decimal("25"))


def test_submit_emails_the_manager_on_commit(funded_employee, vacation, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(funded_employee, vacation)
    assert [m.to for m in mail.outbox] == [[manager.email]]
    assert "requests Vacation" in mail.outbox[0].body


def test_end_before_start_is_refused(funded_employee, vacation):
    with pytest.raises(LeaveError, match="end date must be on or after the start date") as error:
        submit(funded_employee, vacation, start=JULY_10, end=JULY_6)
    assert error.value.field == "end_date"


def test_a_weekend_only_request_is_refused(funded_employee, vacation):
    with pytest.raises(LeaveError, match="covers no working day"):
        submit(funded_employee, vacation, start=date(2026, 7, 11), end=date(2026, 7, 12))


def test_a_holiday_only_request_is_refused(funded_employee, vacation):
    with pytest.raises(LeaveError, match="covers no working day"):
        submit(funded_employee, vacation, start=date(2026, 6, 4), end=date(2026, 6, 4))  # Corpus Christi


def test_overlap_with_pending_or_approved_is_a_conflict(funded_employee, vacation):
    submit(funded_employee, vacation)
    with pytest.raises(LeaveConflict, match="overlaps your pending request from 06 Jul 2026 to 10 Jul 2026"):
        submit(funded_employee, vacation, start=date(2026, 7, 10), end=date(2026, 7, 14))
    assert LeaveRequest.objects.count() == 1


def test_overlap_with_a_rejected_request_is_fine(funded_employee, vacation):
    LeaveRequestFactory(
        user=funded_employee, leave_type=vacation, status=LeaveStatus.REJECTED, decided_at="2026-05-01T00:00Z"
    )
    assert submit(funded_employee, vacation).status == LeaveStatus.PENDING


def test_not_enough_available_balance_is_refused(employee, vacation):
    give_allowance(employee, vacation, "7")
    submit(employee, vacation)  # 5 pending, 2 available
    with pytest.raises(LeaveError, match="Not enough Vacation left: 2 days available, 5 days requested"):
        submit(employee, vacation, start=date(2026, 7, 13), end=date(2026, 7, 17))


def test_a_type_allowing_negative_balance_accepts(employee):
    unpaid = LeaveTypeFactory(code="unpaid", name="Unpaid", allow_negative=True)
    assert submit(employee, unpaid).amount == Decimal("5")


def test_a_type_that_does_not_deduct_needs_no_balance(employee):
    unpaid = LeaveTypeFactory(code="unpaid", name="Unpaid", deducts_allowance=False)
    assert submit(employee, unpaid).status == LeaveStatus.PENDING


def test_sick_leave_is_approved_at_once_without_touching_the_balance(
    employee, manager, django_capture_on_commit_callbacks
):
    sick = SickLeaveTypeFactory()
    with django_capture_on_commit_callbacks(execute=True):
        request = submit(employee, sick, start=JULY_6, end=date(2026, 7, 8))
    assert request.status == LeaveStatus.APPROVED and request.decided_by is None
    assert not LedgerEntry.objects.filter(request=request).exists()
    assert mail.outbox[0].subject.startswith("Leave recorded")


def test_attachment_required_after_n_days(employee):
    sick = SickLeaveTypeFactory()
    with pytest.raises(LeaveError, match="longer than 3 days needs a supporting document") as error:
        submit(employee, sick)
    assert error.value.field == "attachment"


def test_half_days_both_on_one_day_are_refused(funded_employee, vacation):
    with pytest.raises(LeaveError, match="either the morning or the afternoon"):
        submit(funded_employee, vacation, end=JULY_6, start_part="afternoon", end_part="morning")


def test_a_request_spanning_two_years_is_refused(funded_employee, vacation):
    with pytest.raises(LeaveError, match="cannot span two years"):
        submit(funded_employee, vacation, start=date(2026, 12, 28), end=date(2027, 1, 4))


def test_an_inactive_type_is_refused(funded_employee):
    retired = LeaveTypeFactory(code="old", name="Old", is_active=False)
    with pytest.raises(LeaveError, match="active leave type"):
        submit(funded_employee, retired)


def test_hourly_types(employee):
    overtime = HourlyLeaveTypeFactory()
    give_allowance(employee, overtime, "10")
    with pytest.raises(LeaveError, match="one day at a time"):
        submit(employee, overtime, hours=Decimal("4"))
    with pytest.raises(LeaveError, match="number of hours"):
        submit(employee, overtime, end=JULY_6)
    with pytest.raises(LeaveError, match="at most 24 hours"):
        submit(employee, overtime, end=JULY_6, hours=Decimal("25"))
    with pytest.raises(LeaveError, match="Not enough Overtime compensation left: 10 hours available, 12 hours"):
        submit(employee, overtime, end=JULY_6, hours=Decimal("12"))
    assert submit(employee, overtime, end=JULY_6, hours=Decimal("3.5")).amount == Decimal("3.5")


def test_hours_on_a_daily_type_are_refused(funded_employee, vacation):
    with pytest.raises(LeaveError, match="counted in days, not hours"):
        submit(funded_employee, vacation, hours=Decimal("3"))


def test_preview_reports_amount_and_warnings_without_writing(employee, vacation):
    draft = services.leave_request_preview(user=employee, leave_type=vacation, start_date=JULY_6, end_date=JULY_10)
    assert draft.amount == Decimal("5")
    assert [problem.code for problem in draft.problems] == ["insufficient_balance"]
    assert LeaveRequest.objects.count() == 0


# --- decide ---------------------------------------------------------------------------------


def test_manager_approves_and_the_ledger_books_the_usage(
    funded_employee, vacation, manager, django_capture_on_commit_callbacks
):
    request = submit(funded_employee, vacation)
    with django_capture_on_commit_callbacks(execute=True):
        services.leave_request_approve(leave_request_id=request.pk, actor=manager, note="Enjoy")
    request.refresh_from_db()
    assert request.status == LeaveStatus.APPROVED and request.decided_by == manager and request.decided_at
    usage = LedgerEntry.objects.get(request=request)
    assert (usage.kind, usage.amount) == (EntryKind.USAGE, Decimal("-5"))
    assert balance(funded_employee, vacation).available == Decimal("25")
    assert mail.outbox[-1].to == [funded_employee.email] and "approved by" in mail.outbox[-1].body


def test_hr_can_decide_anyone(funded_employee, vacation, hr):
    request = submit(funded_employee, vacation)
    assert services.leave_request_approve(leave_request_id=request.pk, actor=hr).status == LeaveStatus.APPROVED


def test_another_manager_cannot_decide(funded_employee, vacation, other_manager):
    request = submit(funded_employee, vacation)
    with pytest.raises(LeaveForbidden, match="Only the requester's manager or HR"):
        services.leave_request_approve(leave_request_id=request.pk, actor=other_manager)


def test_nobody_decides_their_own_request(manager, hr, vacation):
    give_allowance(manager, vacation)
    request = submit(manager, vacation)
    with pytest.raises(LeaveForbidden, match="cannot decide your own leave request"):
        services.leave_request_approve(leave_request_id=request.pk, actor=manager)
    give_allowance(hr, vacation)
    own = submit(hr, vacation)
    with pytest.raises(LeaveForbidden, match="cannot decide your own"):
        services.leave_request_approve(leave_request_id=own.pk, actor=hr)


def test_deciding_twice_is_a_conflict(funded_employee, vacation, manager, hr):
    request = submit(funded_employee, vacation)
    services.leave_request_approve(leave_request_id=request.pk, actor=manager)
    with pytest.raises(LeaveConflict, match="already approved by"):
        services.leave_request_reject(leave_request_id=request.pk, actor=hr, note="No")
    assert LedgerEntry.objects.filter(request=request).count() == 1


def test_approval_refused_when_the_balance_went_down_meanwhile(employee, vacation, manager, hr):
    give_allowance(employee, vacation, "5")
    request = submit(employee, vacation)
    services.ledger_adjust(user=employee, leave_type=vacation, year=2026, amount=Decimal("-3"), reason="Correction")
    with pytest.raises(LeaveError, match="Not enough Vacation left: 2 days left, 5 days requested"):
        services.leave_request_approve(leave_request_id=request.pk, actor=manager)
    request.refresh_from_db()
    assert request.status == LeaveStatus.PENDING
    assert not LedgerEntry.objects.filter(request=request).exists()


def test_reject_needs_a_note(funded_employee, vacation, manager):
    request = submit(funded_employee, vacation)
    with pytest.raises(LeaveError, match="Say why") as error:
        services.leave_request_reject(leave_request_id=request.pk, actor=manager, note="  ")
    assert error.value.field == "note"
    rejected = services.leave_request_reject(leave_request_id=request.pk, actor=manager, note="Busy week")
    assert rejected.status == LeaveStatus.REJECTED and rejected.decision_note == "Busy week"


def test_bulk_decision_reports_each_request(employee, colleague, vacation, manager):
    give_allowance(employee, vacation, "30")
    give_allowance(colleague, vacation, "5")
    first = submit(employee, vacation)
    second = submit(colleague, vacation)
    services.ledger_adjust(user=colleague, leave_type=vacation, year=2026, amount=Decimal("-1"), reason="Fix")
    result = services.leave_requests_decide(leave_request_ids=[first.pk, second.pk], actor=manager, approve=True)
    assert result.summary("approved") == "1 approved, 1 skipped: insufficient balance."


# --- cancel ---------------------------------------------------------------------------------


def test_requester_cancels_pending(funded_employee, vacation):
    request = submit(funded_employee, vacation)
    assert services.leave_request_cancel(leave_request_id=request.pk, actor=funded_employee).status == "cancelled"
    assert balance(funded_employee, vacation).pending == 0


def test_cancelling_approved_future_leave_restores_the_ledger(funded_employee, vacation, manager):
    request = submit(funded_employee, vacation)
    services.leave_request_approve(leave_request_id=request.pk, actor=manager)
    services.leave_request_cancel(leave_request_id=request.pk, actor=funded_employee)
    kinds = sorted(LedgerEntry.objects.filter(request=request).values_list("kind", "amount"))
    assert kinds == [(EntryKind.RESTORATION, Decimal("5")), (EntryKind.USAGE, Decimal("-5"))]
    assert balance(funded_employee, vacation).available == Decimal("30")


def test_started_leave_only_hr_cancels(funded_employee, vacation, manager, hr, frozen_today):
    request = submit(funded_employee, vacation)
    services.leave_request_approve(leave_request_id=request.pk, actor=manager)
    frozen_today.move_to("2026-07-07 09:00:00+00:00")
    with pytest.raises(LeaveConflict, match="already started: ask HR"):
        services.leave_request_cancel(leave_request_id=request.pk, actor=funded_employee)
    with pytest.raises(LeaveForbidden, match="Only the requester or HR"):
        services.leave_request_cancel(leave_request_id=request.pk, actor=manager)
    assert services.leave_request_cancel(leave_request_id=request.pk, actor=hr).status == "cancelled"
    assert balance(funded_employee, vacation).balance == Decimal("30")


def test_cancel_twice_is_a_conflict(funded_employee, vacation):
    request = submit(funded_employee, vacation)
    services.leave_request_cancel(leave_request_id=request.pk, actor=funded_employee)
    with pytest.raises(LeaveConflict, match="already cancelled"):
        services.leave_request_cancel(leave_request_id=request.pk, actor=funded_employee)


# --- ledger ---------------------------------------------------------------------------------


def test_adjustment_needs_a_reason(funded_employee, vacation, hr):
    with pytest.raises(LeaveError, match="needs a reason"):
        services.ledger_adjust(user=funded_employee, leave_type=vacation, year=2026, amount=Decimal("1"), reason="")
    entry = services.ledger_adjust(
        user=funded_employee, leave_type=vacation, year=2026, amount=Decimal("2"), reason="Long service", actor=hr
    )
    assert entry.kind == EntryKind.ADJUSTMENT and balance(funded_employee, vacation).entitled == Decimal("32")


def test_adjustment_cannot_push_below_zero(funded_employee, vacation):
    with pytest.raises(LeaveError, match="cannot go below zero"):
        services.ledger_adjust(user=funded_employee, leave_type=vacation, year=2026, amount=Decimal("-31"), reason="x")


def test_database_refuses_an_adjustment_without_reason(funded_employee, vacation):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            user=funded_employee, leave_type=vacation, year=2026, kind=EntryKind.ADJUSTMENT, amount=1
        )


def test_bulk_allowance_assignment_skips_users_who_have_one(employee, colleague, vacation, hr):
    give_allowance(colleague, vacation, "20")
    assigned, skipped = services.allowance_assign(
        users=[employee, colleague], leave_type=vacation, year=2026, amount=Decimal("28"), actor=hr
    )
    assert (assigned, skipped) == ([employee], [colleague])
    assert balance(employee, vacation).entitled == Decimal("28")
    assert balance(colleague, vacation).entitled == Decimal("20")


def test_reminders_go_to_approvers_once_a_day(
    funded_employee, vacation, manager, frozen_today, django_capture_on_commit_callbacks
):
    submit(funded_employee, vacation)
    frozen_today.move_to("2026-06-02 09:00:00+00:00")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.leave_send_pending_reminders() == 0  # only one day old
    frozen_today.move_to("2026-06-04 09:00:00+00:00")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.leave_send_pending_reminders() == 1
        assert services.leave_send_pending_reminders() == 0  # already reminded today
    assert [m.to for m in mail.outbox if "waiting for you" in m.subject] == [[manager.email]]


def test_without_a_manager_hr_is_asked(vacation, hr, django_capture_on_commit_callbacks):
    from accounts.tests.factories import UserFactory

    loner = UserFactory(username="loner")
    give_allowance(loner, vacation)
    with django_capture_on_commit_callbacks(execute=True):
        submit(loner, vacation)
    assert [m.to for m in mail.outbox] == [[hr.email]]


def test_hr_cancelling_someones_leave_tells_them(funded_employee, vacation, hr, django_capture_on_commit_callbacks):
    request = submit(funded_employee, vacation)
    settle_emails()
    with django_capture_on_commit_callbacks(execute=True):
        services.leave_request_cancel(leave_request_id=request.pk, actor=hr)
    assert [m.to for m in mail.outbox] == [[funded_employee.email]]
    assert mail.outbox[0].subject == "Your leave request was cancelled"


def test_a_rolled_back_decision_sends_nothing(employee, vacation, manager, django_capture_on_commit_callbacks):
    give_allowance(employee, vacation, "5")
    request = submit(employee, vacation)
    services.ledger_adjust(user=employee, leave_type=vacation, year=2026, amount=Decimal("-1"), reason="Fix")
    settle_emails()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(LeaveError):
        services.leave_request_approve(leave_request_id=request.pk, actor=manager)
    assert mail.outbox == []
