"""`Idempotency-Key` on POST: replay byte for byte, 422 on another body, 409 while running."""

import contextlib
import json
from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey, IdempotencyRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for():
    """Really signed in (session), so the middleware sees the user as a real request would;
    DRF's force_authenticate acts only inside the view."""
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        client.force_login(user)
        return client

    return make


URL = reverse("api:api-key-list")


def post(client, body, key):
    return client.post(URL, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def test_retry_with_same_key_and_body_replays_the_first_response_and_creates_nothing(client_for, employee):
    client = client_for(employee)
    first = post(client, {"name": "nightly"}, "key-1")
    assert first.status_code == 201
    again = post(client, {"name": "nightly"}, "key-1")
    assert again.status_code == 201
    assert again.content == first.content  # byte for byte, including the key shown once
    assert again.headers["Idempotent-Replayed"] == "true"
    assert ApiKey.objects.filter(user=employee).count() == 1


def test_same_key_with_another_body_is_422(client_for, employee):
    client = client_for(employee)
    post(client, {"name": "nightly"}, "key-1")
    response = post(client, {"name": "weekly"}, "key-1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert ApiKey.objects.filter(user=employee).count() == 1


def test_retry_while_the_first_is_running_is_409(client_for, employee):
    IdempotencyRecord.objects.create(user=employee, key="key-1", fingerprint="whatever")
    IdempotencyRecord.objects.filter(user=employee, key="key-1").update(fingerprint=_fingerprint({"name": "n"}))
    response = post(client_for(employee), {"name": "n"}, "key-1")
    assert response.status_code == 409
    assert ApiKey.objects.count() == 0


def _fingerprint(body):
    import hashlib

    return hashlib.sha256(b"\n".join([b"POST", URL.encode(), json.dumps(body).encode()])).hexdigest()


def test_keys_are_per_user(client_for, employee, colleague):
    post(client_for(employee), {"name": "mine"}, "shared-key")
    response = post(client_for(colleague), {"name": "mine"}, "shared-key")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert ApiKey.objects.count() == 2


def test_a_refused_request_is_replayed_too(client_for, employee):
    client = client_for(employee)
    first = post(client, {"name": ""}, "bad-1")
    assert first.status_code == 400
    assert post(client, {"name": ""}, "bad-1").content == first.content


def test_keys_expire_after_the_ttl(client_for, employee):
    client = client_for(employee)
    post(client, {"name": "nightly"}, "key-1")
    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        response = post(client, {"name": "nightly"}, "key-1")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert ApiKey.objects.filter(user=employee).count() == 2


def test_purge_task_forgets_old_keys(employee):
    from accounts.tasks import purge_idempotency_records

    with time_machine.travel(timezone.now() - timedelta(hours=30)):
        IdempotencyRecord.objects.create(user=employee, key="old", fingerprint="x")
    IdempotencyRecord.objects.create(user=employee, key="new", fingerprint="x")
    assert purge_idempotency_records.delay().get() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.parametrize("bad_key", ["with space", "x" * 256, "tab\tkey"])
def test_malformed_key_is_400(client_for, employee, bad_key):
    response = post(client_for(employee), {"name": "n"}, bad_key)
    assert response.status_code == 400
    assert ApiKey.objects.count() == 0


def test_works_with_a_jwt_too(api_client, employee):
    from rest_framework_simplejwt.tokens import AccessToken

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(employee)}")
    first = api_client.post(URL, {"name": "n"}, format="json", HTTP_IDEMPOTENCY_KEY="jwt-key")
    second = api_client.post(URL, {"name": "n"}, format="json", HTTP_IDEMPOTENCY_KEY="jwt-key")
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert ApiKey.objects.count() == 1


def test_anonymous_request_is_not_recorded(api_client):
    response = api_client.post(URL, {"name": "n"}, format="json", HTTP_IDEMPOTENCY_KEY="anon")
    assert response.status_code == 401
    assert IdempotencyRecord.objects.count() == 0


# --- never left in progress -------------------------------------------------------------------------


def _abandoned(user, key, body, age_seconds):
    """A record as a worker killed `age_seconds` ago (SIGKILL: nothing ran after the INSERT) leaves it."""
    record = IdempotencyRecord.objects.create(user=user, key=key, fingerprint=_fingerprint(body))
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - timedelta(seconds=age_seconds))
    return record


def test_a_record_left_in_progress_is_409_until_the_request_timeout_then_taken_over(client_for, employee, settings):
    settings.REQUEST_TIMEOUT_SECONDS = 30
    client = client_for(employee)
    _abandoned(employee, "key-1", {"name": "n"}, age_seconds=29)
    response = post(client, {"name": "n"}, "key-1")
    assert response.status_code == 409 and response.json()["code"] == "idempotency_in_progress"
    assert ApiKey.objects.count() == 0
    IdempotencyRecord.objects.filter(key="key-1").update(created_at=timezone.now() - timedelta(seconds=31))
    response = post(client, {"name": "n"}, "key-1")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert ApiKey.objects.filter(user=employee).count() == 1
    record = IdempotencyRecord.objects.get(key="key-1")
    assert record.state == IdempotencyRecord.State.DONE and bytes(record.body) == response.content
    again = post(client, {"name": "n"}, "key-1")
    assert again.content == response.content and again.headers["Idempotent-Replayed"] == "true"
    assert ApiKey.objects.count() == 1


def test_an_abandoned_record_with_another_body_is_still_422(client_for, employee):
    _abandoned(employee, "key-1", {"name": "n"}, age_seconds=3600)
    response = post(client_for(employee), {"name": "other"}, "key-1")
    assert response.status_code == 422
    assert ApiKey.objects.count() == 0


def _middleware_request(user, key="key-1", body=None):
    from django.test import RequestFactory

    request = RequestFactory().post(
        URL, json.dumps(body or {"name": "n"}), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )
    request.user = user
    return request


class Boom(Exception):
    pass


@pytest.mark.parametrize(
    "exit_",
    [Boom("the view failed"), SystemExit(1), KeyboardInterrupt()],
    ids=["exception", "SystemExit (gunicorn worker timeout)", "KeyboardInterrupt"],
)
def test_however_the_view_exits_the_record_is_released(client_for, employee, exit_):
    """gunicorn's worker timeout is SIGABRT, whose handler calls sys.exit(1) wherever the worker is."""
    from core.idempotency import IdempotencyMiddleware

    def view(request):
        assert IdempotencyRecord.objects.get(key="key-1").state == IdempotencyRecord.State.IN_PROGRESS
        raise exit_

    with pytest.raises(type(exit_)):
        IdempotencyMiddleware(view)(_middleware_request(employee))
    assert not IdempotencyRecord.objects.exists()
    response = post(client_for(employee), {"name": "n"}, "key-1")  # the retry runs at once
    assert response.status_code == 201 and ApiKey.objects.count() == 1


@pytest.mark.parametrize("kind", ["streaming", "5xx"])
def test_streaming_and_5xx_answers_release_the_record(employee, kind):
    from django.http import HttpResponse, StreamingHttpResponse

    from core.idempotency import IdempotencyMiddleware

    def view(request):
        return StreamingHttpResponse(iter([b"a", b"b"])) if kind == "streaming" else HttpResponse(status=503)

    IdempotencyMiddleware(view)(_middleware_request(employee))
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("outcome", ["answers", "raises"])
def test_a_request_that_lost_its_record_to_a_takeover_leaves_the_new_owner_alone(employee, outcome):
    """A request that ran past the timeout (its record taken over meanwhile) neither completes
    nor deletes the record the new owner holds: created_at is the owner's fence."""
    from django.http import HttpResponse

    from core.idempotency import IdempotencyMiddleware

    taken_at = timezone.now() + timedelta(seconds=1)

    def slow_view(request):
        IdempotencyRecord.objects.filter(key="key-1").update(created_at=taken_at)  # as the takeover does
        if outcome == "raises":
            raise Boom("late failure")
        return HttpResponse(b"late", status=201)

    with contextlib.suppress(Boom):
        IdempotencyMiddleware(slow_view)(_middleware_request(employee))
    record = IdempotencyRecord.objects.get(key="key-1")
    assert record.state == IdempotencyRecord.State.IN_PROGRESS and record.created_at == taken_at


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_takeovers_at_once_exactly_one_runs(client_for, employee):
    """Both retries read the abandoned record, then both reach the takeover UPDATE while this
    test holds the row's lock; released together, exactly one may win the row."""
    import threading

    from django.db import connection, transaction

    from config.tests.servers import wait_for

    record = _abandoned(employee, "key-1", {"name": "n"}, age_seconds=3600)
    clients = [client_for(employee), client_for(employee)]
    outcomes = [None, None]

    def retry(index):
        try:
            outcomes[index] = post(clients[index], {"name": "n"}, "key-1")
        finally:
            connection.close()

    def waiting_on_a_lock():
        with connection.cursor() as cursor:
            # Inside a transaction pg_stat_activity is a snapshot taken once: take a new one each time.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            return cursor.fetchone()[0] == 2

    threads = [threading.Thread(target=retry, args=(index,)) for index in range(2)]
    with transaction.atomic():
        IdempotencyRecord.objects.select_for_update().get(pk=record.pk)
        for thread in threads:
            thread.start()
        assert wait_for(waiting_on_a_lock, timeout=30), "the two retries never reached the takeover"
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(response.status_code for response in outcomes)
    assert statuses == [201, 409], [response.content for response in outcomes]
    assert ApiKey.objects.filter(user=employee).count() == 1
    assert IdempotencyRecord.objects.get(pk=record.pk).state == IdempotencyRecord.State.DONE


# --- uploads: fingerprinted from the parsed parts, never from request.body --------------------------

MB = 1024 * 1024
LEAVE_LIST = reverse("api:leave-request-list")
IMPORT = reverse("api:report-import")
PDF_HEAD = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TOGGL_ROW = (
    b"User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags\n"
    b"Erika,erika@example.com,,Internal,,Expenses,No,2026-03-03,10:00:00,2026-03-03,11:00:00,01:00:00,\n"
)


def _sized(head, size, line=None):
    """`head` padded to exactly `size` bytes: NULs (a PDF), or whitespace-only lines (CSV
    blank lines: each under csv's field limit, skipped by the parser)."""
    if line is None:
        return head + b"\x00" * (size - len(head))
    body = bytearray(head)
    while len(body) < size:
        body += (b" " * min(line, size - len(body) - 1)) + b"\n"
    assert len(body) == size
    return bytes(body)


def _pdf(size, last=b"\x00"):
    return _sized(PDF_HEAD, size)[:-1] + last


def _csv(size):
    return _sized(TOGGL_ROW, size, line=100_000)


def _file(name, content, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def _uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel("2026-06-01 09:00:00+00:00", tick=False):
        yield


@pytest.fixture
def sick(db):
    from leave.tests.factories import SickLeaveTypeFactory

    return SickLeaveTypeFactory()


def submit_sick(client, sick, attachment, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    data = {"leave_type": sick.pk, "start_date": "2026-06-01", "end_date": "2026-06-05", "attachment": attachment}
    return client.post(LEAVE_LIST, data, format="multipart", **headers)


@pytest.mark.usefixtures("_uploads")
@pytest.mark.parametrize("key", [None, "upload-1"], ids=["without a key", "with a key"])
def test_a_leave_attachment_of_exactly_5_mb_is_accepted_and_one_byte_more_is_the_endpoint_400(
    client_for, employee, sick, settings, key
):
    from leave.models import LeaveRequest

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 5 * MB  # the size above which request.body is refused
    client = client_for(employee)
    response = submit_sick(client, sick, _file("note.pdf", _pdf(5 * MB), "application/pdf"), key)
    assert response.status_code == 201, response.content[:300]
    assert response.json()["has_attachment"]
    LeaveRequest.objects.all().delete()
    response = submit_sick(client, sick, _file("big.pdf", _pdf(5 * MB + 1), "application/pdf"), key and "upload-2")
    assert response.status_code == 400
    assert response.json()["attachment"] == ["The attachment is larger than 5 MB."]
    assert not LeaveRequest.objects.exists()


@pytest.mark.usefixtures("_uploads")
def test_the_same_5_mb_upload_with_the_same_key_is_replayed_and_another_file_is_422(client_for, employee, sick):
    from leave.models import LeaveRequest

    client = client_for(employee)
    first = submit_sick(client, sick, _file("note.pdf", _pdf(5 * MB), "application/pdf"), "upload-1")
    assert first.status_code == 201, first.content[:300]
    again = submit_sick(client, sick, _file("note.pdf", _pdf(5 * MB), "application/pdf"), "upload-1")
    assert again.status_code == 201 and again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert LeaveRequest.objects.count() == 1
    for other in (
        _file("note.pdf", _pdf(5 * MB, last=b"\x01"), "application/pdf"),  # one byte differs, at the very end
        _file("other.pdf", _pdf(5 * MB), "application/pdf"),  # another name
        _file("note.pdf", _pdf(5 * MB), "image/png"),  # another content type
    ):
        response = submit_sick(client, sick, other, "upload-1")
        assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    assert LeaveRequest.objects.count() == 1


@pytest.mark.usefixtures("_uploads")
def test_a_multipart_retry_with_another_boundary_is_the_same_request(client_for, employee, sick):
    """Clients draw a new boundary for each send: the body's bytes differ, its parts do not."""
    from django.test.client import encode_multipart

    from leave.models import LeaveRequest

    client = client_for(employee)
    parts = {"leave_type": str(sick.pk), "start_date": "2026-06-01", "end_date": "2026-06-05"}
    answers = []
    for boundary in ("first-boundary-1a2b", "second-boundary-3c4d"):
        body = encode_multipart(boundary, {**parts, "attachment": _file("note.pdf", PDF_HEAD, "application/pdf")})
        answers.append(
            client.post(
                LEAVE_LIST, body, content_type=f"multipart/form-data; boundary={boundary}", HTTP_IDEMPOTENCY_KEY="b-1"
            )
        )
    assert [answer.status_code for answer in answers] == [201, 201], answers[1].content
    assert answers[1].content == answers[0].content and answers[1].headers["Idempotent-Replayed"] == "true"
    assert LeaveRequest.objects.count() == 1


@pytest.mark.usefixtures("_uploads")
def test_the_attachment_action_takes_a_5_mb_upload_with_a_key(client_for, employee, sick):
    from leave import services

    leave_request = services.leave_request_submit(
        user=employee, leave_type=sick, start_date=date(2026, 6, 1), end_date=date(2026, 6, 2)
    )
    url = reverse("api:leave-request-attachment", args=[leave_request.pk])
    client = client_for(employee)
    send = lambda: client.post(  # noqa: E731
        url, {"attachment": _file("scan.pdf", _pdf(5 * MB), "application/pdf")}, format="multipart",
        HTTP_IDEMPOTENCY_KEY="attach-1",
    )  # fmt: skip
    first, again = send(), send()
    assert first.status_code == 200 and first.json()["has_attachment"], first.content[:300]
    assert again.content == first.content and again.headers["Idempotent-Replayed"] == "true"


class RecordingTemporaryFileUploadHandler:
    """Django's TemporaryFileUploadHandler, noting the class of each file it completes."""

    completed = []

    def __new__(cls, *args, **kwargs):
        from django.core.files.uploadhandler import TemporaryFileUploadHandler

        class Recording(TemporaryFileUploadHandler):
            def file_complete(self, file_size):
                uploaded = super().file_complete(file_size)
                cls.completed.append(type(uploaded).__name__)
                return uploaded

        return Recording(*args, **kwargs)


@pytest.fixture
def import_catalog(db):
    from timetracking.tests.factories import ProjectFactory

    ProjectFactory(name="Internal", client=None, billable=False)


def send_import(client, content, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        IMPORT, {"file": _file("report.csv", content, "text/csv"), "format": "toggl"}, format="multipart", **headers
    )


@pytest.fixture
def recorded_uploads(settings, tmp_path):
    """Uploads go through Django's two default handlers, the temporary-file one noting what it made."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_HANDLERS = [
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
        f"{__name__}.RecordingTemporaryFileUploadHandler",
    ]
    RecordingTemporaryFileUploadHandler.completed.clear()
    return RecordingTemporaryFileUploadHandler.completed


@pytest.mark.usefixtures("import_catalog")
@pytest.mark.parametrize("key", [None, "import-1"], ids=["without a key", "with a key"])
def test_an_import_of_exactly_20_mb_stays_on_disk_and_one_byte_more_is_the_endpoint_400(
    client_for, employee, recorded_uploads, key
):
    client = client_for(employee)
    content = _csv(20 * MB)
    response = send_import(client, content, key)
    assert response.status_code == 201, response.content[:300]
    assert response.json()["created"] == 1
    # Django's upload handler kept the file on disk; the middleware hashed it from there.
    assert recorded_uploads == ["TemporaryUploadedFile"]
    if key:
        again = send_import(client, content, key)
        assert again.content == response.content and again.headers["Idempotent-Replayed"] == "true"
        assert send_import(client, _csv(20 * MB)[:-2] + b"x\n", key).status_code == 422
    response = send_import(client, _csv(20 * MB + 1), key and "import-2")
    assert response.status_code == 400
    assert response.json()["file"] == ["The file is larger than 20 MB."]


@pytest.mark.usefixtures("_uploads")
def test_a_key_adds_no_copy_of_an_upload_to_memory(client_for, employee, sick, recorded_uploads):
    """The most memory a 5 MB attachment upload holds at once, with a key and without. The view
    streams the file from its temporary file into storage, so a copy the middleware made (the
    old request.body, or reading the file whole to hash it) would show as 5 MB more."""
    import tracemalloc

    from leave.models import LeaveRequest

    client = client_for(employee)
    peaks = {}
    # The first request also pays for first-time imports and caches: a warm-up, not measured.
    for run, key in (("warm-up", None), ("without a key", None), ("with a key", "upload-1")):
        content = _pdf(5 * MB, last=b"\x01" if key else b"\x00")
        tracemalloc.start()
        try:
            response = submit_sick(client, sick, _file("note.pdf", content, "application/pdf"), key)
            peaks[run] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert response.status_code == 201, response.content[:300]
        LeaveRequest.objects.all().delete()  # the next one asks for the same days
    assert recorded_uploads == ["TemporaryUploadedFile"] * 3
    assert peaks["with a key"] < peaks["without a key"] + 2 * MB, peaks
