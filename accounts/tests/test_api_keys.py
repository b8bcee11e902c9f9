"""API keys: shown once, stored hashed, read-only scope, expiry, revocation, ownership."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiKey, AuditEvent

pytestmark = pytest.mark.django_db

LIST_URL = reverse("api:api-key-list")
ME_URL = reverse("api:user-me")


def create_key(client, **data):
    response = client.post(LIST_URL, {"name": "script", **data})
    assert response.status_code == 201, response.json()
    return response.json()


def test_create_shows_the_key_once_and_stores_only_a_hash(client_for, employee):
    client = client_for(employee)
    created = create_key(client)
    key = created["key"]
    stored = ApiKey.objects.get(pk=created["id"])
    assert key not in (stored.key_hash, stored.prefix) and stored.key_hash != key
    assert key.startswith(stored.prefix + ".")
    listed = client.get(LIST_URL).json()["results"]
    assert "key" not in listed[0]
    assert "key" not in client.get(reverse("api:api-key-detail", args=[created["id"]])).json()
    assert not AuditEvent.objects.filter(changes__icontains=key).exists()
    assert AuditEvent.objects.filter(action="api_key.created", actor=employee).count() == 1


def test_key_authenticates_and_records_last_use(client_for, api_client, employee):
    created = create_key(client_for(employee))
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {created['key']}")
    response = api_client.get(ME_URL)
    assert response.status_code == 200
    assert response.json()["username"] == "employee"
    assert ApiKey.objects.get(pk=created["id"]).last_used_at is not None


@pytest.mark.parametrize("bad", ["nonsense", "abc.def", "", "x" * 200])
def test_bad_keys_are_401(api_client, employee, bad):
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {bad}")
    assert api_client.get(ME_URL).status_code == 401


def test_tampered_secret_is_401(client_for, api_client, employee):
    key = create_key(client_for(employee))["key"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key[:-2]}zz")
    assert api_client.get(ME_URL).status_code == 401


def test_revoke_takes_effect_at_once(client_for, api_client, employee):
    created = create_key(client_for(employee))
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {created['key']}")
    assert api_client.get(ME_URL).status_code == 200
    assert client_for(employee).delete(reverse("api:api-key-detail", args=[created["id"]])).status_code == 204
    assert api_client.get(ME_URL).status_code == 401


def test_expired_key_is_401(client_for, api_client, employee):
    expires = timezone.now() + timedelta(hours=1)
    created = create_key(client_for(employee), expires_at=expires.isoformat())
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {created['key']}")
    assert api_client.get(ME_URL).status_code == 200
    with time_machine.travel(expires + timedelta(seconds=1)):
        assert api_client.get(ME_URL).status_code == 401


def test_expiry_in_the_past_is_400(client_for, employee):
    response = client_for(employee).post(LIST_URL, {"name": "x", "expires_at": "2000-01-01T00:00:00Z"})
    assert response.status_code == 400
    assert "expires_at" in response.json()


def test_name_is_required_and_bounded(client_for, employee):
    client = client_for(employee)
    assert client.post(LIST_URL, {}).status_code == 400
    assert client.post(LIST_URL, {"name": "x" * 101}).status_code == 400


def test_read_only_key_may_read_but_not_write(client_for, api_client, employee):
    created = create_key(client_for(employee), read_only=True)
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {created['key']}")
    assert api_client.get(ME_URL).status_code == 200
    assert api_client.patch(ME_URL, {"first_name": "Nope"}).status_code == 403
    employee.refresh_from_db()
    assert employee.first_name != "Nope"


def test_deactivated_users_key_is_401(client_for, api_client, employee):
    key = create_key(client_for(employee))["key"]
    employee.is_active = False
    employee.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api_client.get(ME_URL).status_code == 401


def test_someone_elses_key_is_404_and_not_listed(client_for, employee, outsider, hr):
    created = create_key(client_for(employee))
    detail = reverse("api:api-key-detail", args=[created["id"]])
    for other in (outsider, hr):
        assert client_for(other).get(detail).status_code == 404
        assert client_for(other).delete(detail).status_code == 404
        assert client_for(other).get(LIST_URL).json()["count"] == 0
    assert ApiKey.objects.get(pk=created["id"]).revoked_at is None


def test_owner_cannot_be_mass_assigned(client_for, employee, outsider):
    created = create_key(client_for(employee), user=outsider.pk, prefix="chosen", revoked_at="2030-01-01T00:00:00Z")
    stored = ApiKey.objects.get(pk=created["id"])
    assert stored.user == employee and stored.prefix != "chosen" and stored.revoked_at is None


def test_api_key_scheme_is_in_the_schema(client, employee):
    client.force_login(employee)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"]["name"] == "Authorization"


def test_api_key_list_query_count(client_for, employee, django_assert_num_queries):
    client = client_for(employee)
    create_key(client)
    # 1 count + 1 page of keys, whatever the number of keys.
    with django_assert_num_queries(2):
        client.get(LIST_URL)
    for _ in range(10):
        create_key(client)
    with django_assert_num_queries(2):
        assert client.get(LIST_URL).json()["count"] == 11
