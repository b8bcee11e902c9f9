"""Two-factor login in a real headless Chromium: enrolment from the settings page with the QR code,
login with a TOTP code, a reused code refused, login with a recovery code, and a staff member made
to enrol at their first login when it is enforced."""

import re

import pytest
from django.core.cache import cache
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.test_two_factor import code_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _password_step(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/accounts/login/code/$"))


def _log_out(page):
    page.context.clear_cookies()


def test_enrol_then_log_in_with_a_code_a_reused_code_and_a_recovery_code(page, login, live_server):
    user = UserFactory(username="tess")
    login(page, user)

    # Enrolment: the QR code and the key are drawn by the app; the code from the app turns it on.
    page.goto(f"{live_server.url}/accounts/two-factor/")
    page.get_by_role("button", name="Set up two-factor login").click()
    expect(page.locator(".two-factor-qr svg")).to_be_visible()
    expect(page.locator(".two-factor-secret")).not_to_be_empty()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.get_by_label("Code from the app").fill(code_of(device))
    page.get_by_role("button", name="Turn on two-factor login").click()
    expect(page.locator(".two-factor-codes code")).to_have_count(10)
    codes = page.locator(".two-factor-codes code").all_inner_texts()
    assert len(set(codes)) == 10
    page.get_by_role("button", name="I saved them: continue").click()
    page.wait_for_url(f"{live_server.url}/")

    # Login: the password, then the code the app shows (typed with the keyboard).
    _log_out(page)
    _password_step(page, live_server, user)
    device.refresh_from_db()
    code = code_of(device, steps_ahead=1)
    page.get_by_label("Code").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")

    # The same code again: refused at the field.
    _log_out(page)
    _password_step(page, live_server, user)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".field.has-error .error")).to_contain_text("used already")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))

    # A recovery code logs in once, and says how many are left.
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_text("9 left")).to_be_visible()


def test_enforced_staff_enrol_at_their_first_login(page, live_server, settings):
    settings.TWO_FACTOR_ENFORCE = True
    staff = UserFactory(username="sam", is_staff=True)
    page.goto(f"{live_server.url}/accounts/login/?next=/leave/")
    page.get_by_label("Username").fill(staff.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/accounts/two-factor/setup/"))
    expect(page.get_by_text("Your account needs a second factor")).to_be_visible()
    # Nothing else is reachable until it is set up.
    page.goto(f"{live_server.url}/time/")
    page.wait_for_url(re.compile(r"/accounts/two-factor/setup/"))
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    page.get_by_label("Code from the app").fill(code_of(device))
    page.get_by_role("button", name="Turn on two-factor login").click()
    expect(page.locator(".two-factor-codes code")).to_have_count(10)
    page.get_by_role("button", name="I saved them: continue").click()
    page.wait_for_url(re.compile(r"/time/$"))
