"""In a real headless Chromium: log in through the login page and see the dashboard."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_through_the_real_page_shows_the_dashboard(page, live_server, employee):
    messages = []
    page.on("console", lambda message: messages.append(message) if message.type == "error" else None)
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("employee")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Hello")
    # Assets come from the app itself, under a strict CSP, without console errors.
    assert page.evaluate("typeof window.htmx") == "object"
    assert [m.text for m in messages] == []


def test_wrong_password_shows_an_error(page, live_server, employee):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("employee")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert "/accounts/login/" in page.url


def is_local(url):
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or parts.hostname in ("127.0.0.1", "localhost")


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_api_docs_render_offline_under_the_csp(page, live_server, employee, login, path):
    errors, foreign_requests = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: None if is_local(request.url) else foreign_requests.append(request.url))
    login(page, employee)
    page.goto(f"{live_server.url}{path}")
    # Ready when the operations are drawn (the title comes first): wait for that, not for a delay.
    page.get_by_text("Timetrack API").first.wait_for()
    page.get_by_text("/api/v1/auth/token/").first.wait_for()
    if path.endswith("/redoc/"):
        # ReDoc's sidebar link to its vendor, drawn without the logo it would load from a CDN.
        page.get_by_text("API docs by Redocly").wait_for()
        assert page.locator('img[alt="redocly logo"]').count() == 0
    # No console error (a CSP refusal is one) and nothing asked of another host.
    assert errors == []
    assert foreign_requests == []
