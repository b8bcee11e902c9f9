"""The admin, through the real admin client: scoped changelist, bulk approve/reject with a
per-request report, the request page, HR's ledger, closures and bulk allowances."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from leave import services
from leave.models import EntryKind, LeaveRequest, LeaveStatus, LedgerEntry
from leave.tests.conftest import settle_emails
from leave.tests.factories import LeaveRequestFactory, give_allowance

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

CHANGELIST = reverse("admin:leave_leaverequest_changelist")


@pytest.fixture
def manager_with_perms(manager):
    manager.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="leave", codename__in=["view_leaverequest", "change_leaverequest"]
        )
    )
    return manager


def submit(user, leave_type, start=date(2026, 7, 6), end=date(2026, 7, 10)):
    return services.leave_request_submit(user=user, leave_type=leave_type, start_date=start, end_date=end)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def test_manager_sees_only_their_reports_requests(client, manager_with_perms, employee, outsider, vacation):
    mine = LeaveRequestFactory(user=employee, leave_type=vacation)
    theirs = LeaveRequestFactory(user=outsider, leave_type=vacation)
    own = LeaveRequestFactory(
        user=manager_with_perms, leave_type=vacation, start_date=date(2026, 9, 1), end_date=date(2026, 9, 1)
    )
    client.force_login(manager_with_perms)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    shown = {row.pk for row in response.context["cl"].result_list}
    assert shown == {mine.pk}
    assert theirs.pk not in shown and own.pk not in shown
    # Someone else's request page: the admin answers as if it did not exist.
    response = client.get(reverse("admin:leave_leaverequest_change", args=[theirs.pk]))
    assert response.status_code == 302


def test_hr_sees_everyone(client, hr, employee, outsider, vacation):
    LeaveRequestFactory(user=employee, leave_type=vacation)
    LeaveRequestFactory(user=outsider, leave_type=vacation)
    client.force_login(hr)
    assert client.get(CHANGELIST).context["cl"].result_count == 2


def test_an_employee_has_no_access(client, employee, vacation):
    employee.is_staff = True
    employee.save()
    client.force_login(employee)
    assert client.get(CHANGELIST).status_code == 403


def test_filters_status_type_dates_team(client, manager_with_perms, employee, colleague, vacation):
    LeaveRequestFactory(user=employee, leave_type=vacation)
    LeaveRequestFactory(user=colleague, leave_type=vacation, status="rejected", decided_at="2026-06-01T00:00Z")
    client.force_login(manager_with_perms)
    assert client.get(CHANGELIST, {"status__exact": "pending"}).context["cl"].result_count == 1
    assert client.get(CHANGELIST, {"leave_type__id__exact": vacation.pk}).context["cl"].result_count == 2
    assert client.get(CHANGELIST, {"team": manager_with_perms.pk}).context["cl"].result_count == 2
    assert client.get(CHANGELIST, {"start_date__gte": "2026-08-01"}).context["cl"].result_count == 0


def test_bulk_approve_reports_each_request(
    client, manager_with_perms, employee, colleague, vacation, django_capture_on_commit_callbacks
):
    from django.core import mail

    give_allowance(employee, vacation, "30")
    give_allowance(colleague, vacation, "5")
    first = submit(employee, vacation)
    second = submit(employee, vacation, date(2026, 8, 3), date(2026, 8, 7))
    third = submit(colleague, vacation)
    services.ledger_adjust(user=colleague, leave_type=vacation, year=2026, amount=Decimal("-2"), reason="Fix")
    client.force_login(manager_with_perms)
    settle_emails()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            CHANGELIST, {"action": "approve_selected", "_selected_action": [first.pk, second.pk, third.pk]}, follow=True
        )
    assert messages_of(response) == ["2 approved, 1 skipped: insufficient balance."]
    statuses = dict(LeaveRequest.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "approved", second.pk: "approved", third.pk: "pending"}
    assert LedgerEntry.objects.filter(kind=EntryKind.USAGE).count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == [employee.email, employee.email]


def test_bulk_approve_twice_reports_already_decided(client, manager_with_perms, funded_employee, vacation):
    request = submit(funded_employee, vacation)
    client.force_login(manager_with_perms)
    client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": [request.pk]})
    response = client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": [request.pk]}, follow=True)
    assert (
        messages_of(response)[-1]
        == f"0 approved, 1 skipped: This request was already approved by {manager_with_perms}."
    )


def test_hr_cannot_bulk_approve_their_own_request(client, hr, employee, vacation):
    give_allowance(hr, vacation)
    give_allowance(employee, vacation)
    own = submit(hr, vacation)
    other = submit(employee, vacation)
    client.force_login(hr)
    response = client.post(
        CHANGELIST, {"action": "approve_selected", "_selected_action": [own.pk, other.pk]}, follow=True
    )
    assert messages_of(response) == ["1 approved, 1 skipped: You cannot decide your own leave request."]
    own.refresh_from_db()
    assert own.status == LeaveStatus.PENDING


def test_manager_cannot_approve_their_own_request_through_the_admin(client, manager_with_perms, employee, vacation):
    give_allowance(manager_with_perms, vacation)
    own = submit(manager_with_perms, vacation)
    client.force_login(manager_with_perms)
    client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": [own.pk]}, follow=True)
    own.refresh_from_db()
    assert own.status == LeaveStatus.PENDING


def test_bulk_reject_asks_for_a_note(client, manager_with_perms, funded_employee, colleague, vacation):
    give_allowance(colleague, vacation)
    first, second = submit(funded_employee, vacation), submit(colleague, vacation)
    client.force_login(manager_with_perms)
    ids = [first.pk, second.pk]
    confirmation = client.post(CHANGELIST, {"action": "reject_selected", "_selected_action": ids})
    assert confirmation.status_code == 200 and "Note to the requesters" in confirmation.content.decode()
    empty = client.post(CHANGELIST, {"action": "reject_selected", "_selected_action": ids, "apply": "1", "note": " "})
    assert "Say why the requests are rejected" in empty.content.decode()
    assert LeaveRequest.objects.filter(status="rejected").count() == 0
    response = client.post(
        CHANGELIST,
        {"action": "reject_selected", "_selected_action": ids, "apply": "1", "note": "Release week"},
        follow=True,
    )
    assert messages_of(response) == ["2 rejected."]
    assert set(LeaveRequest.objects.values_list("decision_note", flat=True)) == {"Release week"}


def test_request_page_shows_balance_and_team_overlap(client, manager_with_perms, funded_employee, colleague, vacation):
    request = submit(funded_employee, vacation)
    LeaveRequestFactory(user=colleague, leave_type=vacation, start_date=date(2026, 7, 9), end_date=date(2026, 7, 14))
    client.force_login(manager_with_perms)
    html = client.get(reverse("admin:leave_leaverequest_change", args=[request.pk])).content.decode()
    assert "30 → 25 days in 2026 if approved" in html
    assert f"{colleague} (09 Jul–14 Jul, pending)" in html
    assert 'name="_save"' not in html  # read-only: decisions go through the actions


def test_changelist_query_count_does_not_grow(
    client, manager_with_perms, employee, colleague, vacation, django_assert_max_num_queries
):
    for day in range(1, 20):
        LeaveRequestFactory(
            user=employee if day % 2 else colleague,
            leave_type=vacation,
            start_date=date(2026, 8, day),
            end_date=date(2026, 8, day),
            amount=1,
        )
    client.force_login(manager_with_perms)
    with django_assert_max_num_queries(16):
        response = client.get(CHANGELIST)
    assert response.context["cl"].result_count == 19


# --- HR ---------------------------------------------------------------------------------------


def test_hr_adjusts_a_balance_only_with_a_reason(client, hr, employee, vacation):
    client.force_login(hr)
    url = reverse("admin:leave_ledgerentry_add")
    data = {"user": employee.pk, "leave_type": vacation.pk, "year": 2026, "amount": "2", "reason": ""}
    response = client.post(url, data)
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    below = client.post(url, {**data, "amount": "-3", "reason": "Oops"})
    assert "cannot go below zero" in below.content.decode()
    assert client.post(url, {**data, "reason": "Long service"}).status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.reason, entry.created_by) == (
        EntryKind.ADJUSTMENT,
        Decimal("2"),
        "Long service",
        hr,
    )
    # Append-only: no edit, no delete.
    change = client.get(reverse("admin:leave_ledgerentry_change", args=[entry.pk])).content.decode()
    assert 'name="_save"' not in change
    assert client.get(reverse("admin:leave_ledgerentry_delete", args=[entry.pk])).status_code == 403


def test_hr_assigns_an_allowance_to_many_users(client, hr, employee, colleague, vacation):
    give_allowance(colleague, vacation, "20")
    client.force_login(hr)
    url = reverse("admin:leave_ledgerentry_assign")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "leave_type": vacation.pk,
            "year": 2026,
            "amount": "28",
            "users": [employee.pk, colleague.pk],
            "reason": "2026",
        },
        follow=True,
    )
    assert messages_of(response) == [f"1 assigned, 1 skipped: already have an allowance for 2026 ({colleague})."]
    assert LedgerEntry.objects.get(user=employee).amount == Decimal("28")
    bad = client.post(url, {"leave_type": vacation.pk, "year": 1999, "amount": "-1", "users": [employee.pk]})
    assert bad.status_code == 200 and LedgerEntry.objects.count() == 2


def test_hr_manages_types_policies_and_closures(client, hr, vacation):
    client.force_login(hr)
    for name in ("leavetype", "allowancepolicy", "companyclosure", "ledgerentry"):
        assert client.get(reverse(f"admin:leave_{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:leave_{name}_add")).status_code == 200
    response = client.post(
        reverse("admin:leave_companyclosure_add"),
        {"date": "2026-12-24", "name": "Christmas Eve", "half_day": "on", "country": ""},
    )
    assert response.status_code == 302
    assert client.get(reverse("admin:leave_leavetype_change", args=[vacation.pk])).status_code == 200


def test_managers_cannot_touch_hr_models(client, manager_with_perms):
    client.force_login(manager_with_perms)
    assert client.get(reverse("admin:leave_leavetype_changelist")).status_code == 403
    assert client.get(reverse("admin:leave_ledgerentry_add")).status_code == 403


def test_request_page_has_approve_and_reject_buttons_that_use_the_actions(
    client, manager_with_perms, funded_employee, vacation
):
    request = submit(funded_employee, vacation)
    client.force_login(manager_with_perms)
    html = client.get(reverse("admin:leave_leaverequest_change", args=[request.pk])).content.decode()
    assert 'value="approve_selected"' in html and 'value="reject_selected"' in html
    response = client.post(CHANGELIST, {"action": "approve_selected", "_selected_action": [request.pk]}, follow=True)
    assert messages_of(response) == ["1 approved."]
    html = client.get(reverse("admin:leave_leaverequest_change", args=[request.pk])).content.decode()
    assert 'value="approve_selected"' not in html
    assert "30 → 25 days in 2026 (booked)" in html


def test_hr_cancels_in_bulk_and_managers_do_not_have_the_action(
    client, hr, manager_with_perms, funded_employee, vacation, frozen_today
):
    request = submit(funded_employee, vacation)
    services.leave_request_approve(leave_request_id=request.pk, actor=manager_with_perms)
    client.force_login(manager_with_perms)
    actions = [value for value, _label in client.get(CHANGELIST).context["action_form"].fields["action"].choices]
    assert "cancel_selected" not in actions
    frozen_today.move_to("2026-07-07 09:00:00+00:00")  # already started: only HR may cancel
    client.force_login(hr)
    response = client.post(CHANGELIST, {"action": "cancel_selected", "_selected_action": [request.pk]}, follow=True)
    assert messages_of(response) == ["1 cancelled."]
    assert services.balances_for(user=funded_employee, year=2026, leave_types=[vacation])[0].balance == Decimal("30")
    again = client.post(CHANGELIST, {"action": "cancel_selected", "_selected_action": [request.pk]}, follow=True)
    assert messages_of(again)[-1] == "0 cancelled, 1 skipped: This request is already cancelled."
