import pytest
import time_machine

from leave.tests.factories import LeaveTypeFactory, give_allowance


@pytest.fixture
def vacation(db):
    return LeaveTypeFactory()


@pytest.fixture
def frozen_today():
    """Monday 1 June 2026, 09:00 UTC: requests in July are in the future."""
    with time_machine.travel("2026-06-01 09:00:00+00:00", tick=False) as traveller:
        yield traveller


@pytest.fixture
def funded_employee(employee, vacation):
    give_allowance(employee, vacation, "30")
    return employee


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded attachments go to a temporary folder, never into the working tree."""
    settings.MEDIA_ROOT = tmp_path / "media"


PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def upload(name="note.pdf", content=PDF_BYTES, content_type="application/pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def settle_emails():
    """Send the e-mails queued so far (in a test's transaction their on-commit task never ran)
    and forget them: what follows is what the next change sends."""
    from django.core import mail

    from accounts.services import emails_send_due

    emails_send_due()
    mail.outbox.clear()
