"""The one login limit: per client IP and per account, on the API, the login page and the admin
login alike; only failed credentials count; X-Forwarded-For is believed only behind the
deployment's declared proxies."""

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from accounts.tests.factories import PASSWORD, UserFactory
from core.client_ip import client_ip

pytestmark = pytest.mark.django_db

TOKEN_URL = reverse("api:token_obtain_pair")
REFRESH_URL = reverse("api:token_refresh")
VERIFY_URL = reverse("api:token_verify")
LOGIN_URL = reverse("accounts:login")
ADMIN_LOGIN_URL = reverse("admin:login")
ME_URL = reverse("api:user-me")
# One fixed window for every test here, however slow the machine; after the day the test users
# joined (they are created now, and nobody logs in before their start date).
WINDOW = "2036-11-22 10:00:05"
FIXED = time_machine.travel(WINDOW, tick=False)


def ip_limit():
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"].split("/")[0])


def api_login(password, username="employee", **extra):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, **extra)


class FakeRequest:
    def __init__(self, remote, forwarded=None):
        self.META = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


# --- Where the client address comes from -----------------------------------------------------


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(FakeRequest("198.51.100.7", "203.0.113.9")) == "198.51.100.7"


def test_behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.1"]
    # The client sent its own (spoofed) header; the proxies appended what they saw.
    assert client_ip(FakeRequest("127.0.0.1", "1.2.3.4, 203.0.113.9, 10.1.2.3")) == "203.0.113.9"
    assert client_ip(FakeRequest("10.0.0.5", "2001:db8::1")) == "2001:db8::1"
    # A request that did not come through a proxy: its header is not believed.
    assert client_ip(FakeRequest("198.51.100.7", "203.0.113.9")) == "198.51.100.7"
    # Every hop is a proxy: the leftmost one is what is known.
    assert client_ip(FakeRequest("127.0.0.1", "10.9.9.9")) == "10.9.9.9"
    # Garbage where an address should be: the last address known, never the garbage.
    assert client_ip(FakeRequest("127.0.0.1", "not-an-ip")) == "127.0.0.1"


@FIXED
def test_a_spoofed_forwarded_for_never_changes_the_login_bucket(employee, settings):
    settings.TRUSTED_PROXIES = []
    statuses = [api_login(f"guess-{n}", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(50)]
    assert statuses.count(401) == ip_limit()
    assert statuses.count(429) == 50 - ip_limit()
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == ip_limit()


@FIXED
def test_behind_a_trusted_proxy_each_client_has_its_own_bucket(employee, colleague, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]  # the test client connects from 127.0.0.1
    for _ in range(ip_limit()):
        assert api_login("wrong", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 401
    assert api_login("wrong", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429
    # Another client behind the same proxy logs in; a spoofed left part does not escape the bucket.
    assert api_login(PASSWORD, "colleague", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200
    assert api_login("wrong", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.1").status_code == 429
    # The audit trail records the client's address, not the proxy's.
    assert set(AuditEvent.objects.filter(action="auth.login_failed").values_list("ip_address", flat=True)) == {
        "203.0.113.1"
    }


def test_the_other_api_throttles_use_the_same_address(settings, employee):
    settings.TRUSTED_PROXIES = []
    rest_framework = {**settings.REST_FRAMEWORK}
    rest_framework["DEFAULT_THROTTLE_RATES"] = {**rest_framework["DEFAULT_THROTTLE_RATES"], "token": "3/minute"}
    settings.REST_FRAMEWORK = rest_framework
    with time_machine.travel(WINDOW, tick=False):
        statuses = [
            APIClient().post(VERIFY_URL, {"token": "x"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
            for n in range(5)
        ]
    assert statuses == [401, 401, 401, 429, 429]


# --- The admin login shares the limit -----------------------------------------------------------


@FIXED
def test_admin_login_is_limited_and_refuses_even_the_right_password(manager):
    client = Client()
    for n in range(50):
        client.post(ADMIN_LOGIN_URL, {"username": "manager", "password": f"guess-{n}"})
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == ip_limit()
    assert AuditEvent.objects.filter(action="auth.login_throttled").count() == 50 - ip_limit()
    response = client.post(ADMIN_LOGIN_URL, {"username": "manager", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert "Too many login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@FIXED
def test_one_limit_for_api_page_and_admin(employee):
    """The three ways in count in one bucket per address: a guess on one uses up the others."""
    client = Client()
    for n in range(ip_limit()):
        url = [TOKEN_URL, LOGIN_URL, ADMIN_LOGIN_URL][n % 3]
        client.post(url, {"username": "employee", "password": f"guess-{n}"})
    api = api_login(PASSWORD)
    page = client.post(LOGIN_URL, {"username": "employee", "password": PASSWORD})
    admin = client.post(ADMIN_LOGIN_URL, {"username": "employee", "password": PASSWORD})
    assert [api.status_code, page.status_code, admin.status_code] == [429, 429, 429]
    assert api.json()["code"] == "throttled"
    assert all(int(r.headers["Retry-After"]) >= 1 for r in (api, page, admin))
    assert "Too many login attempts" in page.content.decode()
    assert "correct username and password" not in page.content.decode()


# --- Per account: a guess spread over many addresses ----------------------------------------------


@FIXED
def test_a_distributed_guess_is_capped_per_account(employee, colleague, settings):
    settings.THROTTLE_AUTH_ACCOUNT_RATE = "5/hour"
    statuses = [api_login(f"guess-{n}", REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(30)]
    assert statuses.count(401) == 5
    assert statuses.count(429) == 25
    assert api_login(PASSWORD, REMOTE_ADDR="198.51.100.200").status_code == 429  # locked for this window
    # Another account is untouched, from any of those addresses.
    assert api_login(PASSWORD, "colleague", REMOTE_ADDR="198.51.100.1").status_code == 200


@FIXED
def test_the_account_limit_ignores_case_and_unknown_accounts_count_alike(employee, settings):
    settings.THROTTLE_AUTH_ACCOUNT_RATE = "3/hour"
    statuses = [
        api_login("x", name, REMOTE_ADDR=f"198.51.100.{n}").status_code
        for n, name in enumerate(["EMPLOYEE", "Employee", "employee", "employee"])
    ]
    assert statuses == [401, 401, 401, 429]
    ghost = [api_login("x", "nobody-here", REMOTE_ADDR=f"192.0.2.{n}").status_code for n in range(4)]
    assert ghost == statuses  # the answers do not tell whether the account exists


# --- Only failed credentials count ----------------------------------------------------------------


@FIXED
def test_successful_logins_do_not_use_up_the_limit(employee):
    assert [api_login(PASSWORD).status_code for _ in range(ip_limit() * 2)] == [200] * (ip_limit() * 2)
    client = Client()
    for _ in range(ip_limit() + 2):
        assert client.post(LOGIN_URL, {"username": "employee", "password": PASSWORD}).status_code == 302
        client.logout()


@FIXED
def test_failed_logins_from_an_address_do_not_block_a_colleagues_refresh(employee, colleague):
    refresh = api_login(PASSWORD, "colleague").json()["refresh"]
    for n in range(ip_limit() + 5):
        api_login(f"guess-{n}")
    assert api_login(PASSWORD, "colleague").status_code == 429  # logins are limited ...
    refreshed = APIClient().post(REFRESH_URL, {"refresh": refresh})
    assert refreshed.status_code == 200  # ... refreshes are not logins
    verified = APIClient().post(VERIFY_URL, {"token": refreshed.json()["access"]})
    assert verified.status_code == 200


@FIXED
def test_refresh_verify_and_logout_have_their_own_limit(employee, settings):
    rest_framework = {**settings.REST_FRAMEWORK}
    rest_framework["DEFAULT_THROTTLE_RATES"] = {**rest_framework["DEFAULT_THROTTLE_RATES"], "token": "3/minute"}
    settings.REST_FRAMEWORK = rest_framework
    statuses = [APIClient().post(VERIFY_URL, {"token": "not-a-token"}).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert api_login(PASSWORD).status_code == 200  # the login limit is another bucket


def test_throttled_page_login_shows_the_message_at_the_form(employee, settings):
    settings.THROTTLE_AUTH_ACCOUNT_RATE = "1/hour"
    client = Client()
    with time_machine.travel(WINDOW, tick=False):
        client.post(LOGIN_URL, {"username": "employee", "password": "wrong"})
        response = client.post(LOGIN_URL, {"username": "employee", "password": PASSWORD})
    assert response.status_code == 429
    body = response.content.decode()
    assert body.count('id="login-error"') == 1
    assert "Too many login attempts. Try again in" in body


def test_authenticate_without_a_request_is_not_limited(employee):
    from django.contrib.auth import authenticate

    for _ in range(ip_limit() + 3):
        assert authenticate(None, username="employee", password="wrong") is None
    assert authenticate(None, username="employee", password=PASSWORD) == employee


def test_another_user_can_still_log_in_after_an_account_is_locked(employee, settings):
    settings.THROTTLE_AUTH_ACCOUNT_RATE = "2/hour"
    UserFactory(username="third")
    with time_machine.travel(WINDOW, tick=False):
        for n in range(3):
            api_login("x", REMOTE_ADDR=f"198.51.100.{n}")
        assert api_login(PASSWORD, "third", REMOTE_ADDR="198.51.100.9").status_code == 200
