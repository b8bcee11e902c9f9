"""In a real headless Chromium: an employee requests leave with the live preview, the manager
approves it in the admin with the bulk action, and the employee sees the new balance."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from leave.calendars import working_days
from leave.models import LeaveRequest, LeaveStatus
from leave.tests.factories import LeaveTypeFactory, give_allowance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_full_week(user):
    """A Monday-to-Friday week in the coming weeks with five working days for `user`."""
    today = timezone.localdate()
    monday = today + timedelta(days=14 - today.weekday())
    while (
        working_days(user, monday, monday + timedelta(days=4)) != 5 or monday.year != (monday + timedelta(days=4)).year
    ):
        monday += timedelta(days=7)
    return monday, monday + timedelta(days=4)


def test_request_approve_in_admin_and_see_the_balance(new_page, page, login, live_server, employee, manager):
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    vacation = LeaveTypeFactory()
    start, end = a_full_week(employee)
    give_allowance(employee, vacation, "30", year=start.year)
    manager.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="leave", codename__in=["view_leaverequest", "change_leaverequest"]
        )
    )

    # The employee fills in the form; htmx previews the amount before anything is written.
    login(page, employee)
    page.goto(f"{live_server.url}/leave/")
    page.get_by_label("Leave type").select_option(label="Vacation")
    expect(page.get_by_label("Hours")).to_be_hidden()  # leave.js: hours only for hourly types
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("End date").fill(end.isoformat())
    page.get_by_label("End date").dispatch_event("change")
    page.locator(".leave-preview-amount").filter(has_text="5 days").wait_for()
    assert LeaveRequest.objects.count() == 0
    page.get_by_label("Reason").fill("Summer trip")
    page.get_by_role("button", name="Submit request").click()
    page.get_by_text("Your request for 5 days was sent for approval.").wait_for()
    leave_request = LeaveRequest.objects.get()
    assert leave_request.status == LeaveStatus.PENDING

    # The manager approves it in the admin with the bulk action.
    manager_page = new_page()
    login(manager_page, manager)
    manager_page.goto(f"{live_server.url}/admin/leave/leaverequest/?status__exact=pending")
    manager_page.locator(f'input[name="_selected_action"][value="{leave_request.pk}"]').check()
    manager_page.locator('select[name="action"]').select_option("approve_selected")
    manager_page.get_by_role("button", name="Go").click()
    manager_page.get_by_text("1 approved.").wait_for()
    leave_request.refresh_from_db()
    assert leave_request.status == LeaveStatus.APPROVED

    # The employee sees the new balance and the approved request.
    page.goto(f"{live_server.url}/leave/")
    available = page.locator('tr[data-leave-type="vacation"] .leave-available')
    assert available.inner_text().startswith("25")
    expect(page.locator(f"#request-{leave_request.pk}").get_by_text("Approved")).to_be_visible()
    assert console_errors == []


def test_team_calendar_renders_in_the_browser(page, login, live_server, employee):
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    login(page, employee)
    page.goto(f"{live_server.url}/leave/calendar/?month=2026-06")
    assert page.get_by_role("heading", level=1).inner_text() == "Team calendar · June 2026"
    assert page.locator("td.leave-cell-holiday").count() >= 1  # Corpus Christi in Bavaria
    assert console_errors == []


def test_naming_a_substitute_who_is_away_warns_in_the_preview_and_submits(
    page, login, live_server, employee, colleague
):
    """With the keyboard: the substitute's box is ticked with Space, the preview warns that they are
    away too (a warning, not a refusal), and the request is sent with them as its substitute."""
    vacation = LeaveTypeFactory()
    start, end = a_full_week(employee)
    give_allowance(employee, vacation, "30", year=start.year)
    LeaveRequest.objects.create(
        user=colleague, leave_type=vacation, start_date=end, end_date=end, amount=1, status=LeaveStatus.PENDING
    )
    login(page, employee)
    page.goto(f"{live_server.url}/leave/")
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("End date").fill(end.isoformat())
    page.get_by_label("End date").dispatch_event("change")
    page.locator(".leave-preview-amount").filter(has_text="5 days").wait_for()
    expect(page.get_by_role("group", name="Substitutes")).to_be_visible()
    box = page.get_by_role("checkbox", name=str(colleague))
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    warning = page.locator("#leave-preview .leave-warning")
    expect(warning).to_contain_text(f"{colleague} is away too")
    page.get_by_role("button", name="Submit request").click()
    page.get_by_text("Your request for 5 days was sent for approval.").wait_for()
    mine = LeaveRequest.objects.get(user=employee)
    assert list(mine.substitutes.all()) == [colleague]
    expect(page.locator(f"#request-{mine.pk}")).to_contain_text(f"Covered by {colleague}")
