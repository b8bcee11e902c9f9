"""JWT flows: obtain, refresh with rotation, reuse of a rotated token, verify, logout, throttling."""

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = reverse("api:token_obtain_pair")
REFRESH_URL = reverse("api:token_refresh")
VERIFY_URL = reverse("api:token_verify")
LOGOUT_URL = reverse("api:logout")
ME_URL = reverse("api:user-me")


def obtain(api_client, user, password=PASSWORD):
    return api_client.post(TOKEN_URL, {"username": user.username, "password": password})


def test_obtain_token_and_call_the_api_with_it(api_client, employee):
    response = obtain(api_client, employee)
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    me = api_client.get(ME_URL)
    assert me.status_code == 200
    assert me.json()["username"] == employee.username


def test_wrong_password_is_401_and_gives_no_token(api_client, employee):
    response = obtain(api_client, employee, password="wrong")
    assert response.status_code == 401
    assert "access" not in response.json()


def test_inactive_user_gets_no_token(api_client, employee):
    employee.is_active = False
    employee.save()
    assert obtain(api_client, employee).status_code == 401


def test_api_without_credentials_is_401_json(api_client):
    response = api_client.get(ME_URL)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_refresh_rotates_and_the_old_refresh_token_is_then_refused(api_client, employee):
    first = obtain(api_client, employee).json()
    rotated = api_client.post(REFRESH_URL, {"refresh": first["refresh"]})
    assert rotated.status_code == 200
    assert rotated.json()["refresh"] != first["refresh"]

    # The rotated-out token is blacklisted: using it again is refused.
    reused = api_client.post(REFRESH_URL, {"refresh": first["refresh"]})
    assert reused.status_code == 401

    # The new one still works.
    assert api_client.post(REFRESH_URL, {"refresh": rotated.json()["refresh"]}).status_code == 200


def test_verify_accepts_a_good_token_and_refuses_a_tampered_one(api_client, employee):
    access = obtain(api_client, employee).json()["access"]
    assert api_client.post(VERIFY_URL, {"token": access}).status_code == 200
    tampered = access[:-4] + ("AAAA" if not access.endswith("AAAA") else "BBBB")
    assert api_client.post(VERIFY_URL, {"token": tampered}).status_code == 401


def test_tampered_access_token_is_401(api_client, employee):
    access = obtain(api_client, employee).json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access[:-3]}xyz")
    assert api_client.get(ME_URL).status_code == 401


def test_logout_blacklists_the_refresh_token(api_client, employee):
    tokens = obtain(api_client, employee).json()
    response = api_client.post(LOGOUT_URL, {"refresh": tokens["refresh"]})
    assert response.status_code == 200
    assert api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}).status_code == 401


def test_logout_with_garbage_token_is_401(api_client):
    assert api_client.post(LOGOUT_URL, {"refresh": "not-a-token"}).status_code == 401


def test_password_change_revokes_refresh_tokens(api_client, client, employee):
    tokens = obtain(api_client, employee).json()
    client.force_login(employee)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-9",
            "new_password2": "a-new-long-passphrase-9",
        },
    )
    assert response.status_code == 302
    assert api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}).status_code == 401


@time_machine.travel("2026-11-22 10:00:05", tick=False)  # one fixed window, however slow the machine
def test_token_endpoint_is_throttled_with_429(api_client, employee):
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"].split("/")[0])
    statuses = [obtain(api_client, employee, password="wrong").status_code for _ in range(limit)]
    assert statuses == [401] * limit
    throttled = obtain(api_client, employee)
    assert throttled.status_code == 429
    assert "Retry-After" in throttled.headers


def test_access_token_lifetime_defaults_to_five_minutes():
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() <= 300
