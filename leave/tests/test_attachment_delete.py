"""A leave request's document (issue 18, item 4): its requester deletes it while the request is
pending (204, then 404 on download, audited, the stored file removed from storage); one document per
request, so two files in one upload are a 400; uploading to a decided request keeps today's rules."""

from datetime import date

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from accounts.models import AuditEvent
from leave import services
from leave.models import LeaveRequest
from leave.tests.conftest import PNG_BYTES, upload

pytestmark = pytest.mark.django_db

LIST = reverse("api:leave-request-list")


def attachment_url(pk):
    return reverse("api:leave-request-attachment", args=[pk])


@pytest.fixture
def with_document(funded_employee, vacation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        leave_request = services.leave_request_submit(
            user=funded_employee,
            leave_type=vacation,
            start_date=date(2026, 7, 6),
            end_date=date(2026, 7, 10),
            attachment=upload("sick-note.pdf"),
        )
    return leave_request


def test_the_requester_deletes_the_document_of_a_pending_request(
    client_for, funded_employee, with_document, django_capture_on_commit_callbacks
):
    stored = with_document.attachment.name
    assert default_storage.exists(stored)
    client = client_for(funded_employee)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(attachment_url(with_document.pk))
    assert response.status_code == 204
    assert client.get(attachment_url(with_document.pk)).status_code == 404
    assert not default_storage.exists(stored)  # the file itself is gone, not only the link to it
    with_document.refresh_from_db()
    assert not with_document.attachment and with_document.attachment_name == ""
    event = AuditEvent.objects.get(action="leave_request.attachment_deleted")
    assert event.actor == funded_employee and event.changes == {"attachment_name": ["sick-note.pdf", ""]}
    # Nothing left to delete: 404.
    assert client.delete(attachment_url(with_document.pk)).status_code == 404


def test_only_the_requester_may_delete_it(client_for, with_document, manager, hr, outsider):
    assert client_for(outsider).delete(attachment_url(with_document.pk)).status_code == 404  # not theirs to see
    for who in (manager, hr):
        response = client_for(who).delete(attachment_url(with_document.pk))
        assert response.status_code == 403 and response.json()["code"] == "not_owner"
    assert LeaveRequest.objects.get(pk=with_document.pk).attachment


def test_a_decided_requests_document_stays(client_for, funded_employee, manager, with_document):
    services.leave_request_approve(leave_request_id=with_document.pk, actor=manager)
    response = client_for(funded_employee).delete(attachment_url(with_document.pk))
    assert response.status_code == 409 and response.json()["code"] == "not_pending"
    assert default_storage.exists(LeaveRequest.objects.get(pk=with_document.pk).attachment.name)
    assert not AuditEvent.objects.filter(action="leave_request.attachment_deleted").exists()


def test_two_files_in_one_upload_are_refused(client_for, funded_employee, with_document):
    client = client_for(funded_employee)
    before = LeaveRequest.objects.get(pk=with_document.pk).attachment.name
    response = client.post(
        attachment_url(with_document.pk),
        {"attachment": [upload("a.png", PNG_BYTES, "image/png"), upload("b.png", PNG_BYTES, "image/png")]},
        format="multipart",
    )
    assert response.status_code == 400 and "Send one file" in response.json()["attachment"][0]
    assert LeaveRequest.objects.get(pk=with_document.pk).attachment.name == before  # unchanged
    # Two differently named files at once too.
    response = client.post(
        attachment_url(with_document.pk),
        {"attachment": upload("a.png", PNG_BYTES, "image/png"), "other": upload("b.pdf")},
        format="multipart",
    )
    assert response.status_code == 400


def test_two_files_when_submitting_are_refused_and_nothing_is_written(client_for, funded_employee, vacation):
    response = client_for(funded_employee).post(
        LIST,
        {
            "leave_type": vacation.pk,
            "start_date": "2026-07-13",
            "end_date": "2026-07-14",
            "attachment": [upload("a.pdf"), upload("b.pdf")],
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert not LeaveRequest.objects.filter(start_date=date(2026, 7, 13)).exists()
