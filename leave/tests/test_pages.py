"""Leave pages: my leave with the live preview, approvals, the team calendar, iCal feeds."""

import re
from datetime import date

import pytest
from django.urls import reverse
from icalendar import Calendar

from leave import services
from leave.models import CalendarFeedToken, LeaveRequest, LeaveStatus
from leave.tests.conftest import upload
from leave.tests.factories import LeaveRequestFactory, SickLeaveTypeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

FORM = {"start_date": "2026-07-06", "end_date": "2026-07-10", "start_part": "full", "end_part": "full"}


@pytest.fixture
def pending(funded_employee, vacation):
    return services.leave_request_submit(
        user=funded_employee, leave_type=vacation, start_date=date(2026, 7, 6), end_date=date(2026, 7, 10)
    )


def test_pages_need_login(client):
    for name in ("leave:index", "leave:approvals", "leave:calendar"):
        assert client.get(reverse(name)).status_code == 302


def test_index_shows_balances_and_submits(client, funded_employee, vacation):
    client.force_login(funded_employee)
    page = client.get(reverse("leave:index")).content.decode()
    assert "Balances 2026" in page and "Vacation" in page
    response = client.post(reverse("leave:index"), {**FORM, "leave_type": vacation.pk, "reason": "Sea"}, follow=True)
    assert "Your request for 5 days was sent for approval." in response.content.decode()
    assert LeaveRequest.objects.get().reason == "Sea"


def test_index_names_the_types_without_a_balance_below_the_table(client, funded_employee, vacation):
    """Sick leave books nothing against an allowance: no "0 available" row, a line with what was taken."""
    sick = SickLeaveTypeFactory()
    LeaveRequestFactory(
        user=funded_employee,
        leave_type=sick,
        start_date=date(2026, 5, 4),
        end_date=date(2026, 5, 5),
        amount=2,
        status=LeaveStatus.APPROVED,
        decided_at="2026-05-04T08:00Z",
    )
    LeaveRequestFactory(
        user=funded_employee,
        leave_type=sick,
        start_date=date(2025, 11, 3),
        end_date=date(2025, 11, 3),
        amount=1,
        status=LeaveStatus.APPROVED,
        decided_at="2025-11-03T08:00Z",
    )  # last year's: not this year's count
    client.force_login(funded_employee)
    html = client.get(reverse("leave:index")).content.decode()
    assert 'data-leave-type="vacation"' in html and 'data-leave-type="sick"' not in html
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Sick leave (2 days taken in 2026) is not counted against a balance: request it whenever" in text


def test_index_shows_refusals_next_to_the_field(client, funded_employee, vacation):
    client.force_login(funded_employee)
    response = client.post(reverse("leave:index"), {**FORM, "end_date": "2026-07-01", "leave_type": vacation.pk})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_end_date_error"' in html and "The end date must be on or after the start date." in html
    assert LeaveRequest.objects.count() == 0


def test_index_uploads_a_sick_note(client, employee):
    sick = SickLeaveTypeFactory()
    client.force_login(employee)
    response = client.post(reverse("leave:index"), {**FORM, "leave_type": sick.pk, "attachment": upload()})
    assert response.status_code == 302
    assert LeaveRequest.objects.get().attachment
    exe = client.post(
        reverse("leave:index"),
        {
            **FORM,
            "start_date": "2026-07-13",
            "end_date": "2026-07-17",
            "leave_type": sick.pk,
            "attachment": upload("n.pdf", b"MZ" + b"\x00" * 300),
        },
    )
    assert "must be a PDF, PNG or JPEG" in exe.content.decode()


def test_preview_partial(client, funded_employee, vacation):
    client.force_login(funded_employee)
    response = client.post(reverse("leave:preview"), {**FORM, "leave_type": vacation.pk, "end_part": "morning"})
    html = response.content.decode()
    assert "4.5 days" in html and "30 available" in html
    weekend = client.post(
        reverse("leave:preview"),
        {**FORM, "start_date": "2026-07-11", "end_date": "2026-07-12", "leave_type": vacation.pk},
    )
    assert "covers no working day" in weekend.content.decode()
    backwards = client.post(reverse("leave:preview"), {**FORM, "end_date": "2026-07-01", "leave_type": vacation.pk})
    assert "end date must be on or after" in backwards.content.decode()
    assert LeaveRequest.objects.count() == 0


def test_cancel_from_the_page(client, pending, funded_employee, outsider):
    client.force_login(outsider)
    assert client.post(reverse("leave:cancel", args=[pending.pk])).status_code == 404
    client.force_login(funded_employee)
    client.post(reverse("leave:cancel", args=[pending.pk]))
    pending.refresh_from_db()
    assert pending.status == LeaveStatus.CANCELLED


def test_approvals_queue_shows_balance_and_overlap(client, pending, manager, colleague, vacation):
    LeaveRequestFactory(
        user=colleague,
        leave_type=vacation,
        start_date=date(2026, 7, 8),
        end_date=date(2026, 7, 9),
        status="approved",
        decided_at="2026-06-01T00:00Z",
    )
    client.force_login(manager)
    html = client.get(reverse("leave:approvals")).content.decode()
    assert "<dt>Balance</dt><dd>30 → <strong>25</strong> days</dd>" in html
    assert f"{colleague} (08 Jul–09 Jul, approved)" in html


def test_approvals_is_403_with_the_reason_for_employees(client, employee):
    client.force_login(employee)
    response = client.get(reverse("leave:approvals"))
    assert response.status_code == 403
    assert "The approval queue is for managers and HR" in response.content.decode()


def test_decide_from_the_page(client, pending, manager, other_manager):
    client.force_login(other_manager)
    assert client.post(reverse("leave:decide", args=[pending.pk]), {"decision": "approve"}).status_code == 404
    client.force_login(manager)
    response = client.post(reverse("leave:decide", args=[pending.pk]), {"decision": "reject", "note": ""}, follow=True)
    assert "Say why the request is rejected." in response.content.decode()
    client.post(reverse("leave:decide", args=[pending.pk]), {"decision": "approve"})
    pending.refresh_from_db()
    assert pending.status == LeaveStatus.APPROVED


def test_approvals_query_count_does_not_grow(
    client, manager, employee, colleague, vacation, django_assert_max_num_queries
):
    for day in range(1, 15):
        LeaveRequestFactory(
            user=employee if day % 2 else colleague,
            leave_type=vacation,
            start_date=date(2026, 8, day),
            end_date=date(2026, 8, day),
            amount=1,
        )
    client.force_login(manager)
    with django_assert_max_num_queries(14):
        html = client.get(reverse("leave:approvals")).content.decode()
    assert html.count('class="leave-approval"') == 14


def test_calendar_page(client, pending, manager, colleague, django_assert_max_num_queries):
    services.leave_request_approve(leave_request_id=pending.pk, actor=manager)
    client.force_login(colleague)
    # 15: the absences' substitutes are one prefetch for the month, whatever the number of rows.
    with django_assert_max_num_queries(15):
        html = client.get(reverse("leave:calendar"), {"month": "2026-07"}).content.decode()
    assert "July 2026" in html and "Away (approved)" in html
    assert client.get(reverse("leave:calendar"), {"month": "junk"}).status_code == 200


def test_calendar_marks_holidays(client, employee):
    client.force_login(employee)
    html = client.get(reverse("leave:calendar"), {"month": "2026-06"}).content.decode()
    assert "Corpus Christi" in html


def _feed_urls(client, user):
    client.force_login(user)
    html = client.get(reverse("leave:calendar")).content.decode()
    return re.findall(r'value="http://testserver(/leave/feeds/[^"]+)"', html)


def test_ical_feeds_are_valid_and_need_no_session(client, pending, funded_employee, manager, colleague):
    services.leave_request_approve(leave_request_id=pending.pk, actor=manager)
    personal, team = _feed_urls(client, funded_employee)
    client.logout()
    feed = Calendar.from_ical(client.get(personal).content)
    summaries = [str(event["SUMMARY"]) for event in feed.walk("VEVENT")]
    assert "Vacation" in summaries and "Corpus Christi" in summaries  # own leave and own public holidays
    vacation_event = next(e for e in feed.walk("VEVENT") if str(e["SUMMARY"]) == "Vacation")
    assert vacation_event.decoded("DTSTART") == date(2026, 7, 6)
    assert vacation_event.decoded("DTEND") == date(2026, 7, 11)
    colleague_team = _feed_urls(client, colleague)[1]
    client.logout()
    team_feed = Calendar.from_ical(client.get(colleague_team).content)
    assert [str(e["SUMMARY"]) for e in team_feed.walk("VEVENT")] == [f"{funded_employee}: Away"]
    assert client.get(team).status_code == 200


def test_feed_reset_revokes_old_links(client, employee):
    personal, _team = _feed_urls(client, employee)
    client.post(reverse("leave:feed-reset"))
    client.logout()
    assert client.get(personal).status_code == 404
    assert client.get("/leave/feeds/not-a-token/personal.ics").status_code == 404
    assert CalendarFeedToken.objects.count() == 1


def test_dashboard_widget_shows_balances(client, funded_employee, manager, pending):
    client.force_login(funded_employee)
    html = client.get("/").content.decode()
    assert "Leave 2026" in html and "<strong>25</strong> days" in html
    client.force_login(manager)
    assert "1 request to approve" in client.get("/").content.decode()


def test_navigation_shows_leave_links(client, manager, employee):
    client.force_login(manager)
    html = client.get("/").content.decode()
    assert 'href="/leave/"' in html and 'href="/leave/calendar/"' in html and 'href="/leave/approvals/"' in html


def test_index_query_count_does_not_grow(client, funded_employee, vacation, django_assert_max_num_queries):
    for day in range(1, 20):
        LeaveRequestFactory(
            user=funded_employee,
            leave_type=vacation,
            start_date=date(2026, 8, day),
            end_date=date(2026, 8, day),
            amount=1,
            status="rejected",
            decided_at="2026-06-01T00:00Z",
            decided_by=funded_employee.manager,
        )
    client.force_login(funded_employee)
    # 12 for the page, 3 for next year's balances (its ledger, pending requests and policies), 1 for
    # the colleagues who can be named as substitutes, 1 for the requests' substitutes.
    with django_assert_max_num_queries(17):
        html = client.get(reverse("leave:index")).content.decode()
    assert html.count('id="request-') == 19


def test_attachment_download_from_the_pages(client, employee, manager, outsider, hr):
    sick = SickLeaveTypeFactory()
    leave_request = services.leave_request_submit(
        user=employee, leave_type=sick, start_date=date(2026, 7, 6), end_date=date(2026, 7, 10), attachment=upload()
    )
    url = reverse("leave:attachment", args=[leave_request.pk])
    for user, expected in ((employee, 200), (manager, 200), (hr, 200), (outsider, 404)):
        client.force_login(user)
        assert client.get(url).status_code == expected
    client.force_login(manager)
    assert 'attachment; filename="leave-' in client.get(url)["Content-Disposition"]


def test_pending_requests_are_tentative_in_the_personal_feed(client, pending, funded_employee):
    personal, _team = _feed_urls(client, funded_employee)
    feed = Calendar.from_ical(client.get(personal).content)
    event = next(e for e in feed.walk("VEVENT") if str(e["SUMMARY"]).startswith("Vacation"))
    assert str(event["SUMMARY"]) == "Vacation (pending)" and str(event["STATUS"]) == "TENTATIVE"
    assert client.get("/leave/feeds/" + "x" * 100 + "/team.ics").status_code == 404


def test_calendar_marks_half_day_closures(client, employee):
    from leave.tests.factories import CompanyClosureFactory

    CompanyClosureFactory(date=date(2026, 12, 24), name="Christmas Eve", half_day=True)
    client.force_login(employee)
    html = client.get(reverse("leave:calendar"), {"month": "2026-12"}).content.decode()
    assert "Christmas Eve (half day)" in html and "leave-cell-half-closure" in html


def test_a_calendar_of_one_says_who_it_shows(client, hr, employee):
    client.force_login(hr)
    html = client.get(reverse("leave:calendar")).content.decode()
    assert "Only you are in this calendar" in html
    assert f'href="{reverse("admin:leave_leaverequest_changelist")}"' in html  # HR: everyone's leave is there
    client.force_login(employee)  # with their manager: two people
    assert "Only you are in this calendar" not in client.get(reverse("leave:calendar")).content.decode()
