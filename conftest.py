"""Fixtures shared by every app's tests: the standard cast of users, API clients and
the browser harness (Playwright driving Debian's Chromium against a live server).

Imports of models, factories and Django modules sit inside the fixtures: pytest imports this file
before pytest-django has set Django up, and a model cannot be imported before the app registry is.
"""

import importlib
import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the main thread; the ORM calls made by
# tests while it runs are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and cached values never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _validate_api_responses(monkeypatch):
    """Every answer a test gets from /api/v1/ through Django's test client or DRF's APIClient (which
    goes through Client.request too) is checked against the served OpenAPI schema: status code,
    content type, declared headers and body (config/tests/response_validation.py). A mismatch fails
    the test at that request."""
    from django.test import Client

    from config.tests import response_validation

    original = Client.request

    def request(self, **request):
        __tracebackhide__ = True
        response = original(self, **request)
        response_validation.validate(request, response)
        return response

    monkeypatch.setattr(Client, "request", request)
    yield
    mismatches = list(response_validation.thread_mismatches)
    response_validation.thread_mismatches.clear()
    if mismatches:
        pytest.fail("\n\n".join(str(mismatch) for mismatch in mismatches), pytrace=False)


@pytest.fixture
def manager(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(username="manager", is_staff=True)


@pytest.fixture
def employee(manager):
    from accounts.tests.factories import UserFactory

    return UserFactory(username="employee", manager=manager)


@pytest.fixture
def colleague(manager):
    """Another report of the same manager."""
    from accounts.tests.factories import UserFactory

    return UserFactory(username="colleague", manager=manager)


@pytest.fixture
def other_manager(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(username="other_manager", is_staff=True)


@pytest.fixture
def outsider(other_manager):
    """An employee in another team: must never see the employee's data."""
    from accounts.tests.factories import UserFactory

    return UserFactory(username="outsider", manager=other_manager)


@pytest.fixture
def hr(db):
    from accounts.tests.factories import HRFactory

    return HRFactory(username="hr")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_for():
    """`client_for(user)` -> an APIClient authenticated as that user."""
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make


# --- Browser harness ----------------------------------------------------------------------


def chromium_path():
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit if os.path.exists(explicit) else None
    for candidate in CHROMIUM_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    return shutil.which("chromium")


# Browser tests wait on the page's own state (a selector, a URL, an expectation), never a fixed
# delay, and with one generous deadline: a loaded machine (CI, other jobs on two cores) may take many
# seconds to render ReDoc or run htmx; a broken page still fails, only later.
BROWSER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        reason = "Chromium is not installed (apt-get install -y chromium); browser tests need it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=BROWSER_TIMEOUT_MS)  # expect(...) has its own default: 5 s
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """`new_page()`: a page in a context of its own (another user's session), closed after the test."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(BROWSER_TIMEOUT_MS)  # navigation included
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def login(live_server):
    """`login(page, user)` signs in through the real login page and returns the page."""
    from accounts.tests.factories import PASSWORD

    def do_login(page, user, password=PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return do_login


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgresql` need PostgreSQL's features; on SQLite they are skipped with a reason."""
    from django.conf import settings

    if settings.IS_POSTGRESQL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgresql" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Before a transactional test's database flush, empty the audit trail through the
    retention purge: on SQLite the flush is a plain DELETE, which the append-only
    trigger rightly refuses."""
    fixtures = getattr(item, "fixturenames", ())
    if "transactional_db" in fixtures or "live_server" in fixtures or _is_transactional(item):
        from django.conf import settings

        if not settings.IS_POSTGRESQL:  # PostgreSQL flushes with TRUNCATE, which row triggers ignore
            from django.db import connection, transaction

            from accounts.models import AuditEvent

            # Issued invoices never change either: their triggers are lifted for the flush only.
            invoice_guard = importlib.import_module("billing.migrations.0003_invoices")
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("INSERT INTO accounts_auditpurgepermit (granted) VALUES (1)")
                    AuditEvent.objects.all().delete()
                    cursor.execute("DELETE FROM accounts_auditpurgepermit")
                    for statement in invoice_guard.SQLITE_REVERSE:
                        cursor.execute(statement)
                    for table in ("billing_invoicedentry", "billing_invoiceline", "billing_invoice"):
                        cursor.execute(f"DELETE FROM {table}")  # nosec B608 - constant table names
                    for statement in invoice_guard.SQLITE_FORWARD:
                        cursor.execute(statement)
            except RuntimeError:  # a skipped test never opened the database
                pass
    yield


def _is_transactional(item):
    marker = item.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))


# --- The response validator's count ---------------------------------------------------------------


def pytest_sessionfinish(session):
    """An xdist worker hands its count of validated answers to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        from config.tests import response_validation

        workeroutput["api_response_counts"] = dict(response_validation.counts)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    from config.tests import response_validation

    response_validation.counts.update(getattr(node, "workeroutput", {}).get("api_response_counts", {}))


def pytest_terminal_summary(terminalreporter):
    from config.tests import response_validation

    counts = response_validation.counts
    if counts:
        terminalreporter.write_line(
            f"API answers checked against the OpenAPI schema: {counts['validated']} validated, "
            f"{counts['skipped']} skipped (NOT_IN_SCHEMA, METHODS_NOT_IN_SCHEMA), "
            f"{counts['refused routes']} refusals of routes the schema does not have"
        )
