"""`Idempotency-Key` on POST: replay byte for byte, 422 on another body, 409 while running."""

import contextlib
import json
from datetime import timedelta

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
    from config.idempotency import IdempotencyMiddleware

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

    from config.idempotency import IdempotencyMiddleware

    def view(request):
        return StreamingHttpResponse(iter([b"a", b"b"])) if kind == "streaming" else HttpResponse(status=503)

    IdempotencyMiddleware(view)(_middleware_request(employee))
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("outcome", ["answers", "raises"])
def test_a_request_that_lost_its_record_to_a_takeover_leaves_the_new_owner_alone(employee, outcome):
    """A request that ran past the timeout (its record taken over meanwhile) neither completes
    nor deletes the record the new owner holds: created_at is the owner's fence."""
    from django.http import HttpResponse

    from config.idempotency import IdempotencyMiddleware

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
