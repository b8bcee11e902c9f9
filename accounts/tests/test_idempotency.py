"""`Idempotency-Key` on POST: replay byte for byte, 422 on another body, 409 while running."""

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
