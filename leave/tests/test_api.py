"""The /api/v1/ leave endpoints: the permissions matrix, 404 for others' requests, 409s,
attachments, query counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from leave import services
from leave.models import LeaveRequest, LeaveStatus, LedgerEntry
from leave.tests.conftest import PDF_BYTES, PNG_BYTES, upload
from leave.tests.factories import LeaveRequestFactory, LeaveTypeFactory, SickLeaveTypeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

LIST = reverse("api:leave-request-list")
DRAFT = {"start_date": "2026-07-06", "end_date": "2026-07-10"}


def detail(pk, action=None):
    return reverse(f"api:leave-request-{action or 'detail'}", args=[pk])


@pytest.fixture
def pending(funded_employee, vacation):
    return services.leave_request_submit(
        user=funded_employee, leave_type=vacation, start_date=date(2026, 7, 6), end_date=date(2026, 7, 10)
    )


def test_anonymous_is_401(api_client):
    assert api_client.get(LIST).status_code == 401


def test_submit_through_the_api(client_for, funded_employee, vacation):
    response = client_for(funded_employee).post(LIST, {**DRAFT, "leave_type": vacation.pk, "reason": "Beach"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "5.00" and body["status"] == "pending" and body["user"] == funded_employee.pk


def test_submit_errors_are_400_with_the_field(client_for, funded_employee, vacation):
    client = client_for(funded_employee)
    response = client.post(LIST, {"leave_type": vacation.pk, "start_date": "2026-07-10", "end_date": "2026-07-06"})
    assert response.status_code == 400
    assert response.json()["end_date"] == ["The end date must be on or after the start date."]
    response = client.post(LIST, {"leave_type": vacation.pk, "start_date": "2026-07-11", "end_date": "2026-07-12"})
    assert response.status_code == 400 and "covers no working day" in response.json()["start_date"][0]
    response = client.post(LIST, {**DRAFT, "leave_type": vacation.pk, "reason": "x" * 501})
    assert response.status_code == 400 and "reason" in response.json()
    response = client.post(LIST, {**DRAFT, "leave_type": 999999})
    assert response.status_code == 400 and "leave_type" in response.json()
    response = client.post(LIST, {"leave_type": vacation.pk, "start_date": "July", "end_date": "2026-07-10"})
    assert response.status_code == 400 and "start_date" in response.json()
    assert LeaveRequest.objects.count() == 0


def test_overlap_is_409(client_for, pending, funded_employee, vacation):
    response = client_for(funded_employee).post(LIST, {**DRAFT, "leave_type": vacation.pk})
    assert response.status_code == 409 and response.json()["code"] == "overlap"


def test_insufficient_balance_is_400(client_for, employee, vacation):
    response = client_for(employee).post(LIST, {**DRAFT, "leave_type": vacation.pk})
    assert response.status_code == 400
    assert response.json()["leave_type"] == ["Not enough Vacation left: 0 days available, 5 days requested."]


def test_preview_writes_nothing(client_for, funded_employee, vacation):
    response = client_for(funded_employee).post(
        reverse("api:leave-request-preview"), {**DRAFT, "leave_type": vacation.pk, "start_part": "afternoon"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["amount"] == "4.50" and body["warnings"] == [] and len(body["days"]) == 5
    assert body["balance"]["available"] == "30.00"
    assert LeaveRequest.objects.count() == 0


def test_preview_warns_about_a_weekend(client_for, funded_employee, vacation):
    response = client_for(funded_employee).post(
        reverse("api:leave-request-preview"),
        {"leave_type": vacation.pk, "start_date": "2026-07-11", "end_date": "2026-07-12"},
    )
    assert response.status_code == 200 and response.json()["warnings"][0]["code"] == "no_working_days"


# --- the permissions matrix -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("employee", True),
        ("manager", True),
        ("hr", True),
        ("other_manager", False),
        ("outsider", False),
        ("colleague", False),
    ],
)
def test_who_sees_a_request(request, client_for, pending, who, sees):
    user = request.getfixturevalue(who)
    response = client_for(user).get(detail(pending.pk))
    assert response.status_code == (200 if sees else 404)
    listed = [row["id"] for row in client_for(user).get(LIST).json()["results"]]
    assert (pending.pk in listed) is sees


@pytest.mark.parametrize(
    ("who", "status_code"),
    [("employee", 403), ("manager", 200), ("hr", 200), ("other_manager", 404), ("outsider", 404), ("colleague", 404)],
)
def test_who_approves(request, client_for, pending, who, status_code):
    user = request.getfixturevalue(who)
    response = client_for(user).post(detail(pending.pk, "approve"), {"note": "ok"})
    assert response.status_code == status_code
    pending.refresh_from_db()
    assert (pending.status == LeaveStatus.APPROVED) is (status_code == 200)


@pytest.mark.parametrize(
    ("who", "status_code"),
    [("employee", 200), ("manager", 403), ("hr", 200), ("other_manager", 404), ("outsider", 404)],
)
def test_who_cancels(request, client_for, pending, who, status_code):
    user = request.getfixturevalue(who)
    assert client_for(user).post(detail(pending.pk, "cancel")).status_code == status_code


def test_reject_needs_a_note_then_deciding_again_is_409(client_for, pending, manager, hr):
    client = client_for(manager)
    response = client.post(detail(pending.pk, "reject"), {"note": ""})
    assert response.status_code == 400 and response.json()["note"] == ["Say why the request is rejected."]
    assert client.post(detail(pending.pk, "reject"), {"note": "Busy"}).json()["status"] == "rejected"
    response = client_for(hr).post(detail(pending.pk, "approve"), {})
    assert response.status_code == 409 and "already rejected by" in response.json()["detail"]


def test_filters(client_for, pending, manager, colleague, vacation):
    LeaveRequestFactory(user=colleague, leave_type=vacation, start_date=date(2026, 9, 1), end_date=date(2026, 9, 2))
    client = client_for(manager)
    assert client.get(LIST, {"to_decide": "true"}).json()["count"] == 2
    assert client.get(LIST, {"from": "2026-08-01"}).json()["count"] == 1
    assert client.get(LIST, {"to": "2026-08-01"}).json()["count"] == 1
    assert client.get(LIST, {"user": colleague.pk}).json()["count"] == 1
    assert client.get(LIST, {"status": "approved"}).json()["count"] == 0
    assert client.get(LIST, {"from": "nope"}).status_code == 400


def test_list_query_count_does_not_grow(
    client_for, manager, employee, colleague, vacation, django_assert_max_num_queries
):
    for day in range(1, 20):
        LeaveRequestFactory(
            user=employee if day % 2 else colleague,
            leave_type=vacation,
            start_date=date(2026, 8, day),
            end_date=date(2026, 8, day),
            amount=1,
        )
    client = client_for(manager)
    # session-less client: count (1) + page (1) + HR check (1) + is_hr group lookups
    with django_assert_max_num_queries(5):
        response = client.get(LIST, {"page_size": 100})
    assert response.json()["count"] == 19


# --- attachments ------------------------------------------------------------------------------


def test_submit_with_an_attachment_and_download_rights(client_for, employee, manager, hr, outsider, other_manager):
    sick = SickLeaveTypeFactory()
    response = client_for(employee).post(
        LIST, {**DRAFT, "leave_type": sick.pk, "attachment": upload()}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["has_attachment"] and response.json()["attachment_name"] == "note.pdf"
    for user in (employee, manager, hr):
        download = client_for(user).get(detail(pk, "attachment"))
        assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
        assert b"".join(download.streaming_content) == PDF_BYTES
    for user in (outsider, other_manager):
        assert client_for(user).get(detail(pk, "attachment")).status_code == 404


def test_sick_leave_without_the_document_is_refused(client_for, employee):
    sick = SickLeaveTypeFactory()
    response = client_for(employee).post(LIST, {**DRAFT, "leave_type": sick.pk})
    assert response.status_code == 400 and "supporting document" in response.json()["attachment"][0]


def test_a_renamed_exe_is_refused(client_for, employee):
    sick = SickLeaveTypeFactory()
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"PE\x00\x00" + b"\x00" * 100
    response = client_for(employee).post(
        LIST, {**DRAFT, "leave_type": sick.pk, "attachment": upload("sick-note.pdf", exe)}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["attachment"] == ["The attachment must be a PDF, PNG or JPEG file."]
    assert LeaveRequest.objects.count() == 0


def test_six_megabytes_are_refused(client_for, employee):
    sick = SickLeaveTypeFactory()
    big = PDF_BYTES + b"\x00" * (6 * 1024 * 1024)
    response = client_for(employee).post(
        LIST, {**DRAFT, "leave_type": sick.pk, "attachment": upload("big.pdf", big)}, format="multipart"
    )
    assert response.status_code == 400 and response.json()["attachment"] == ["The attachment is larger than 5 MB."]


def test_upload_a_png_later_and_only_the_requester_or_hr_may(client_for, pending, funded_employee, manager, outsider):
    url = detail(pending.pk, "attachment")
    assert client_for(funded_employee).get(url).status_code == 404  # nothing attached yet
    assert (
        client_for(outsider)
        .post(url, {"attachment": upload("x.png", PNG_BYTES, "image/png")}, format="multipart")
        .status_code
        == 404
    )
    assert (
        client_for(manager)
        .post(url, {"attachment": upload("x.png", PNG_BYTES, "image/png")}, format="multipart")
        .status_code
        == 403
    )
    response = client_for(funded_employee).post(
        url, {"attachment": upload("scan.png", PNG_BYTES, "image/png")}, format="multipart"
    )
    assert response.status_code == 200 and response.json()["has_attachment"]
    assert client_for(manager).get(url)["Content-Type"] == "image/png"


# --- types, balances, holidays, calendar --------------------------------------------------------------


def test_leave_types_lists_active_types(client_for, employee, vacation):
    LeaveTypeFactory(code="old", name="Old", is_active=False)
    names = [row["code"] for row in client_for(employee).get(reverse("api:leave-type-list")).json()["results"]]
    assert names == ["vacation"]


def test_balances(client_for, pending, funded_employee, manager, outsider, vacation):
    url = reverse("api:leave-balances")
    rows = client_for(funded_employee).get(url, {"year": 2026}).json()
    assert rows == [
        {
            "leave_type": vacation.pk,
            "leave_type_name": "Vacation",
            "unit": "days",
            "year": 2026,
            "entitled": "30.00",
            "projected": "0.00",
            "carried": "0.00",
            "used": "0.00",
            "pending": "5.00",
            "balance": "30.00",
            "available": "25.00",
        }
    ]
    assert client_for(manager).get(url, {"user": funded_employee.pk}).json()[0]["pending"] == "5.00"
    assert client_for(outsider).get(url, {"user": funded_employee.pk}).status_code == 404
    assert client_for(funded_employee).get(url, {"year": "20x6"}).status_code == 400


def test_holidays_for_a_region(client_for, employee):
    url = reverse("api:holidays")
    rows = client_for(employee).get(url, {"year": 2026, "country": "GB", "subdivision": "ENG"}).json()
    assert {"date": "2026-12-28", "name": "Boxing Day (observed)", "kind": "public_holiday", "half_day": False} in rows
    mine = client_for(employee).get(url, {"year": 2026}).json()  # defaults: the user's DE-BY
    assert any(row["name"] == "Corpus Christi" for row in mine)
    assert client_for(employee).get(url, {"country": "XX"}).status_code == 400
    assert client_for(employee).get(url, {"country": "DE", "subdivision": "ZZ"}).status_code == 400


def test_calendar_shows_the_team_and_hides_colleagues_details(
    client_for, pending, manager, colleague, outsider, vacation
):
    services.leave_request_approve(leave_request_id=pending.pk, actor=manager)
    url = reverse("api:leave-calendar")
    as_colleague = client_for(colleague).get(url, {"month": "2026-07"}).json()
    assert [a["label"] for a in as_colleague["absences"]] == ["Away"]
    assert as_colleague["members"][0]["holidays"] is not None
    as_manager = client_for(manager).get(url, {"month": "2026-07"}).json()
    assert [a["label"] for a in as_manager["absences"]] == ["Vacation"]
    assert client_for(outsider).get(url, {"month": "2026-07"}).json()["absences"] == []
    assert client_for(colleague).get(url, {"month": "2026-13"}).status_code == 400


def test_calendar_query_count_does_not_grow(
    client_for, manager, employee, colleague, vacation, django_assert_max_num_queries
):
    for day in range(1, 15):
        LeaveRequestFactory(
            user=employee if day % 2 else colleague,
            leave_type=vacation,
            status="approved",
            decided_at="2026-06-01T00:00Z",
            start_date=date(2026, 8, day),
            end_date=date(2026, 8, day),
            amount=1,
        )
    with django_assert_max_num_queries(6):
        response = client_for(manager).get(reverse("api:leave-calendar"), {"month": "2026-08"})
    assert len(response.json()["absences"]) == 14


def test_approve_through_api_books_the_ledger(client_for, pending, manager):
    client_for(manager).post(detail(pending.pk, "approve"), {})
    assert LedgerEntry.objects.get(request=pending).amount == Decimal("-5")


def test_balances_and_types_query_counts(client_for, funded_employee, django_assert_max_num_queries):
    for number in range(8):
        LeaveTypeFactory(code=f"type{number}", name=f"Type {number}")
    client = client_for(funded_employee)
    with django_assert_max_num_queries(4):
        assert len(client.get(reverse("api:leave-balances")).json()) == 9
    with django_assert_max_num_queries(3):
        assert client.get(reverse("api:leave-type-list")).json()["count"] == 9


@pytest.mark.parametrize(
    ("url", "known"),
    [("/api/v1/leave-balances/", "year"), ("/api/v1/holidays/", "country"), ("/api/v1/leave-calendar/", "month")],
)
def test_plain_leave_endpoints_refuse_unknown_parameters(client_for, employee, url, known):
    """A typo (`?yaer=2027`) would answer for this year: a 400 naming it instead, as the lists do."""
    response = client_for(employee).get(url, {"yaer": "2027", "userr": "3"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_parameter" and set(body) >= {"yaer", "userr"}
    assert f"`{known}`" in body["detail"]
