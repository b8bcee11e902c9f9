"""Single sign-on against a real OpenID Connect provider process (oidc-provider-mock, started by the
tests on 127.0.0.1): the code flow with PKCE, first-time provisioning, linking on a verified e-mail,
role mapping, a refused domain, an unverified address, invite-only, forged state and nonce, password
login switched off for SSO users, logout, and a real browser going through the provider's page."""

import re
import socket
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def provider():
    """The provider process, for the whole run; its URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), "--require-nonce", "true"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/.well-known/openid-configuration", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            pytest.fail(f"the OIDC provider exited: {process.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the OIDC provider did not answer within 60 s")
        time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def sso(settings, provider):
    """Single sign-on configured against the provider process."""
    cache.clear()  # the discovery document and the login limiter
    settings.OIDC_ISSUER_URL = provider
    settings.SSO_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = "timetrack"
    settings.OIDC_RP_CLIENT_SECRET = "timetrack-secret"
    settings.OIDC_ALLOWED_EMAIL_DOMAINS = ["example.com"]
    settings.OIDC_CREATE_USER = True
    settings.SSO_PASSWORD_LOGIN = True
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "accounts.sso.CompanyOIDCBackend"]
    yield provider
    cache.clear()


def person_at_provider(provider, sub, **claims):
    claims.setdefault("email", f"{sub}@example.com")
    claims.setdefault("email_verified", True)
    response = httpx.put(f"{provider}/users/{sub}", json=claims, timeout=10)
    assert response.status_code in (200, 204), response.text


def start(client, next_url="/leave/"):
    """Our side: the redirect to the provider. Returns the authorization URL."""
    response = client.get(reverse("oidc_authentication_init"), {"next": next_url})
    assert response.status_code == 302
    return response["Location"]


def authorize(authorization_url, sub):
    """The provider's side: the person picks their account; returns our callback's path and query."""
    answer = httpx.post(authorization_url, data={"sub": sub}, timeout=10, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["location"])
    return f"{callback.path}?{callback.query}"


def sso_login(client, provider, sub, next_url="/leave/", **claims):
    person_at_provider(provider, sub, **claims)
    return client.get(authorize(start(client, next_url), sub))


def test_the_authorization_request_uses_pkce_state_and_nonce(client, sso):
    query = parse_qs(urlsplit(start(client)).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0] and query["client_id"] == ["timetrack"]
    assert query["scope"] == ["openid email profile"]


def test_first_login_provisions_the_account_and_signs_in(client, sso):
    response = sso_login(client, sso, "ada", given_name="Ada", family_name="Lovelace")
    assert response.status_code == 302 and response["Location"] == "/leave/"
    user = User.objects.get(sso_subject="ada")
    assert (user.username, user.email, user.first_name, user.last_name) == ("ada", "ada@example.com", "Ada", "Lovelace")
    assert not user.has_usable_password() and not user.is_hr
    assert client.get("/leave/").status_code == 200
    # Logout ends the session.
    client.post(reverse("accounts:logout"))
    assert client.get("/leave/").status_code == 302


def test_the_role_claim_makes_someone_hr_and_takes_it_away(client, sso):
    sso_login(client, sso, "hana", groups=["staff", "hr"])
    user = User.objects.get(sso_subject="hana")
    assert user.groups.filter(name="HR").exists() and user.is_staff
    client.post(reverse("accounts:logout"))
    sso_login(client, sso, "hana", groups=["staff"])
    assert not user.groups.filter(name="HR").exists()


def test_an_existing_account_is_linked_by_its_verified_email(client, sso):
    existing = UserFactory(username="grace", email="Grace@Example.com")
    sso_login(client, sso, "sub-grace", email="grace@example.com")
    existing.refresh_from_db()
    assert existing.sso_subject == "sub-grace" and User.objects.count() == 1
    assert client.get("/").status_code == 200


def test_an_unverified_email_is_refused_and_links_nothing(client, sso):
    existing = UserFactory(username="grace", email="grace@example.com")
    response = sso_login(client, sso, "mallory", email="grace@example.com", email_verified=False)
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?sso=failed"
    existing.refresh_from_db()
    assert existing.sso_subject is None and User.objects.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Single sign-on did not log you in" in page


def test_a_domain_not_allowed_is_refused(client, sso):
    response = sso_login(client, sso, "eve", email="eve@elsewhere.test")
    assert response["Location"] == "/accounts/login/?sso=failed"
    assert not User.objects.filter(email="eve@elsewhere.test").exists()
    assert client.get("/leave/").status_code == 302


def test_invite_only_lets_in_people_hr_created_and_nobody_else(client, sso, settings):
    settings.OIDC_CREATE_USER = False
    response = sso_login(client, sso, "stranger")
    assert response["Location"] == "/accounts/login/?sso=failed" and not User.objects.exists()
    UserFactory(username="known", email="known@example.com")
    assert sso_login(client, sso, "known-sub", email="known@example.com")["Location"] == "/leave/"


def test_a_forged_state_is_refused(client, sso):
    person_at_provider(sso, "ada")
    callback = authorize(start(client), "ada")
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    assert client.get(forged).status_code == 400
    assert client.get("/leave/").status_code == 302 and not User.objects.exists()


def test_a_tampered_nonce_is_refused(client, sso):
    person_at_provider(sso, "ada")
    callback = authorize(start(client), "ada")
    session = client.session
    for state in session["oidc_states"]:
        session["oidc_states"][state]["nonce"] = "not-the-nonce-sent"
    session.save()
    assert client.get(callback).status_code == 400
    assert not User.objects.exists()


def test_a_state_works_once(client, sso):
    person_at_provider(sso, "ada")
    callback = authorize(start(client), "ada")
    assert client.get(callback)["Location"] == "/leave/"
    client.post(reverse("accounts:logout"))
    assert client.get(callback).status_code in (302, 400)
    assert client.get("/leave/").status_code == 302


def test_a_deactivated_person_cannot_log_in_through_sso(client, sso):
    UserFactory(username="left", email="left@example.com", is_active=False)
    assert sso_login(client, sso, "left-sub", email="left@example.com")["Location"] == "/accounts/login/?sso=failed"


def test_password_login_can_be_switched_off_for_sso_users(client, sso, settings):
    user = UserFactory(username="ben", email="ben@example.com")
    sso_login(client, sso, "sub-ben", email="ben@example.com")
    client.post(reverse("accounts:logout"))
    credentials = {"username": "ben", "password": PASSWORD}
    assert client.post(reverse("accounts:login"), credentials).status_code == 302  # still allowed
    client.post(reverse("accounts:logout"))
    settings.SSO_PASSWORD_LOGIN = False
    assert client.post(reverse("accounts:login"), credentials).status_code == 200  # the form again: refused
    assert User.objects.get(pk=user.pk).sso_subject == "sub-ben"


def test_an_sso_session_of_enforced_staff_needs_no_second_factor_here(client, sso, settings):
    settings.TWO_FACTOR_ENFORCE = True
    sso_login(client, sso, "hana", groups=["hr"])
    assert client.get("/leave/").status_code == 200


def test_without_configuration_the_sso_urls_are_404_and_the_login_page_has_no_button(client, settings):
    settings.SSO_ENABLED = False
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback"), {"code": "x", "state": "y"}).status_code == 404
    assert "Log in with" not in client.get(reverse("accounts:login")).content.decode()


def test_a_password_login_never_asks_the_provider(client, settings):
    """Even with the provider unreachable, passwords work (the endpoints are read at an SSO login only)."""
    settings.OIDC_ISSUER_URL = "http://127.0.0.1:9"  # nothing listens there
    settings.SSO_ENABLED = True
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = "timetrack", "secret"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "accounts.sso.CompanyOIDCBackend"]
    UserFactory(username="pat")
    cache.clear()
    assert client.post(reverse("accounts:login"), {"username": "pat", "password": PASSWORD}).status_code == 302


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_sso_login_in_the_browser(page, live_server, sso):
    person_at_provider(sso, "lin", given_name="Lin", family_name="Chen")
    page.goto(f"{live_server.url}/accounts/login/?next=/leave/")
    page.get_by_role("button", name="Log in with your company account").click()
    page.get_by_placeholder("sub").fill("lin")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(r"/leave/$"))
    assert page.get_by_role("heading", name="Leave", exact=True).is_visible()
    assert User.objects.get(sso_subject="lin").first_name == "Lin"
