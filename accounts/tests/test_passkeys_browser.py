"""Passkeys in a real headless Chromium with its virtual authenticator (the DevTools WebAuthn domain:
a platform authenticator with user verification, as a laptop's fingerprint reader): adding a passkey
on the two-factor page, then logging in with the password and the passkey instead of a code; a
cancelled ceremony leaves the code step usable; the pages keep 0 serious axe violations."""

import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from accounts.models import AuditEvent
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.test_two_factor import code_of, enrol
from config.tests.test_accessibility import audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def origin(live_server, settings):
    """The live server's origin, as the browser sees it (WebAuthn refuses IP addresses: localhost)."""
    parts = urlsplit(live_server.url)
    url = f"http://localhost:{parts.port}"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [url]
    return url


def authenticator(page):
    """A virtual platform authenticator on the page's browser context; returns the DevTools session."""
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable", {"enableUI": False})
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    added = session.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return session, added["authenticatorId"]


def password_step(page, origin, user):
    page.goto(f"{origin}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/accounts/login/code/$"))


def code_step(page, user):
    device = user.totpdevice_set.get()
    page.get_by_label("Code").fill(code_of(device, steps_ahead=1))
    page.get_by_role("button", name="Log in").click()


def test_add_a_passkey_then_log_in_with_it_instead_of_a_code(page, origin):
    user = UserFactory(username="vera")
    enrol(user)
    session, authenticator_id = authenticator(page)
    password_step(page, origin, user)
    code_step(page, user)
    page.wait_for_url(f"{origin}/")

    # Add a passkey on the two-factor page: named, then listed.
    page.goto(f"{origin}/accounts/two-factor/")
    expect(page.get_by_role("heading", name="Passkeys")).to_be_visible()
    expect(page.get_by_text("No passkey yet.")).to_be_visible()
    assert audit(page) == []
    page.get_by_label("Name of the new passkey (optional)").fill("Work laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey “Work laptop” added.")).to_be_visible()
    expect(page.locator(".passkey-list .passkey-name")).to_have_text(["Work laptop"])
    passkey = WebAuthnCredential.objects.get(user=user)
    assert passkey.name == "Work laptop"
    stored = session.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert len(stored) == 1 and stored[0]["rpId"] == "localhost"

    # Log out; the password, then the passkey: no code typed.
    page.context.clear_cookies()
    password_step(page, origin, user)
    expect(page.get_by_role("heading", name="Or use a passkey")).to_be_visible()
    assert audit(page) == []
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(f"{origin}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None
    assert AuditEvent.objects.filter(action="auth.passkey_used", actor=user).count() == 1

    # The passkey is shown as used, and can be removed; the code step then offers none.
    page.goto(f"{origin}/accounts/two-factor/")
    expect(page.locator(".passkey-list small")).to_contain_text("last used")
    page.get_by_role("button", name="Remove the passkey Work laptop").click()
    expect(page.get_by_text("Passkey “Work laptop” removed.")).to_be_visible()
    assert not WebAuthnCredential.objects.filter(user=user).exists()
    page.context.clear_cookies()
    password_step(page, origin, user)
    expect(page.get_by_label("Code")).to_be_visible()
    expect(page.get_by_role("button", name="Use a passkey")).to_have_count(0)


def test_a_refused_passkey_says_so_and_the_code_still_works(page, origin):
    user = UserFactory(username="walt")
    enrol(user)
    session, authenticator_id = authenticator(page)
    password_step(page, origin, user)
    code_step(page, user)
    page.wait_for_url(f"{origin}/")
    page.goto(f"{origin}/accounts/two-factor/")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator(".passkey-list .passkey-name")).to_have_text(["Passkey 1"])

    # The passkey is gone from this device (a reset phone): the browser refuses, the page says what
    # to do next.
    session.send("WebAuthn.clearCredentials", {"authenticatorId": authenticator_id})
    page.context.clear_cookies()
    password_step(page, origin, user)
    page.get_by_role("button", name="Use a passkey").click()
    status = page.locator("#passkey-status")
    expect(status).to_have_attribute("role", "alert")
    expect(status).not_to_be_empty()
    expect(page.get_by_role("button", name="Use a passkey")).to_be_enabled()
    assert page.url.endswith("/accounts/login/code/")
    code_step(page, user)
    page.wait_for_url(f"{origin}/")


def test_a_passkey_of_this_browser_does_not_log_in_someone_else(page, origin, new_page):
    owner = UserFactory(username="xena")
    enrol(owner)
    authenticator(page)
    password_step(page, origin, owner)
    code_step(page, owner)
    page.wait_for_url(f"{origin}/")
    page.goto(f"{origin}/accounts/two-factor/")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator(".passkey-list .passkey-name")).to_have_text(["Passkey 1"])

    # Another enrolled person at the same browser, with a passkey elsewhere: the browser holds only
    # the owner's, which the server does not offer for this account, so nothing logs them in.
    other = UserFactory(username="yuri")
    enrol(other)
    from accounts.tests.test_passkeys import a_passkey

    a_passkey(other)
    page.context.clear_cookies()
    password_step(page, origin, other)
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.locator("#passkey-status")).to_have_attribute("role", "alert")
    assert page.url.endswith("/accounts/login/code/")
    assert not AuditEvent.objects.filter(action="auth.passkey_used").exists()
