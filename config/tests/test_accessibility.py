"""Every page, for every demo role (alice, bob, carol, their manager, HR), at 1366x900 and 390x844, in
Debian's Chromium: axe-core (npm, pinned, read from node_modules: no CDN) finds no serious or critical
violation. The 403, 404 and 500 pages too, the API docs (Swagger UI with an operation opened, tried
out and the Authorize dialog; ReDoc), and the login page signed out, plain and throttled (its message
is the login limiter's). One signed-in browser context per role visits every page at both sizes.
Nothing scrolling sideways on a phone is test_phone_layout's."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from config.tests.pages import API_DOCS, FAILING_URLCONF, ROLES, demo_like_cast, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js").read_text()
SIZES = [(1366, 900), (390, 844)]
# axe over `context` (the document, or what `window.auditContext()` names), serious and critical only.
SERIOUS = """context => axe.run(context, {resultTypes: ['violations']}).then(r => r.violations
    .filter(v => ['serious', 'critical'].includes(v.impact))
    .map(v => v.id + ' x' + v.nodes.length + ': ' + v.nodes.slice(0, 2).map(n => n.target.join(' ')).join(', ')))"""
# ReDoc renders every operation of the schema at once (36,000 elements; axe takes 40 s over them) from
# the same few components: audit its menu, its introduction and a sample of operations (the first
# dozen, and the first update and partial update, which the first dozen lack) instead.
REDOC_SAMPLE = """() => {
    const operations = [...document.querySelectorAll('.api-content > [data-section-id*="/operation/"]')];
    const kept = new Set(operations.slice(0, 12));
    for (const kind of ['_update', '_partial_update']) {
        const first = operations.find(section => section.dataset.sectionId.endsWith(kind));
        if (first) kept.add(first);
    }
    return {include: [document], exclude: operations.filter(section => !kept.has(section))};
}"""


def audit(page, context="document"):
    """The serious and critical violations. axe is evaluated in the page (not a script tag: the CSP
    allows none)."""
    settle(page)
    page.evaluate(AXE)
    return page.evaluate(
        f"async () => ({SERIOUS})(({REDOC_SAMPLE})())" if context == "redoc" else f"() => ({SERIOUS})(document)"
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_page_has_no_serious_violations(new_page, login, live_server, settings, role):
    settings.ROOT_URLCONF = FAILING_URLCONF  # the 500 page is one of the pages
    cast = demo_like_cast()
    page = new_page()
    login(page, cast.user(role))
    found = {}
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for path, status in cast.pages(role, api_docs=False):
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == status, (path, response.status)  # the page itself, not a login redirect
            violations = audit(page)
            if violations:
                found[f"{width} {path}"] = violations
    assert found == {}, found


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_api_docs_have_no_serious_violations(new_page, login, live_server, employee, width, height):
    """Once, not per role: the docs are the same page and the same public schema for everyone."""
    page = new_page()
    page.set_viewport_size({"width": width, "height": height})
    login(page, employee)
    found = {}
    for path in API_DOCS:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, (path, response.status)
        if "redoc" in path:
            page.locator("[data-section-id*='/operation/']").first.wait_for()
            violations = audit(page, "redoc")
        else:
            # The tags start closed (SWAGGER_UI_SETTINGS docExpansion "none"); every one of them is drawn
            # (drawn open, Swagger UI stopped after the first few of our operations and showed 3 tags).
            page.locator(".opblock-tag").last.wait_for()
            expect(page.locator(".opblock-tag")).to_have_count(len(schema_tags()))
            violations = audit(page)
        if violations:
            found[path] = violations
    assert found == {}, found


# Swagger UI's operations, opened and tried out: a list with a boolean filter (a <select>) and a create
# with a request body (a <textarea>), the controls Swagger UI draws without a name (static/js/api-docs.js).
def schema_tags():
    """The tags of the served schema's operations (the Swagger page draws one section each)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        tag
        for operations in schema["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict)
        for tag in operation.get("tags", [])
    }


# (tag, operation): the tags start closed (SWAGGER_UI_SETTINGS docExpansion "none"), so each is opened first.
TRIED_OUT = [
    ("time-entries", ".opblock-get:has(.opblock-summary-path[data-path='/api/v1/time-entries/'])"),
    ("leave-requests", ".opblock-post:has(.opblock-summary-path[data-path='/api/v1/leave-requests/'])"),
]


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_swagger_ui_opened_tried_out_and_authorizing_has_no_serious_violations(new_page, live_server, width, height):
    page = new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/api/v1/docs/")
    found = {}
    for tag, selector in TRIED_OUT:
        page.locator(f".opblock-tag[data-tag='{tag}']").click()
        operation = page.locator(selector)
        operation.locator(".opblock-summary-control").click()
        operation.get_by_role("button", name="Try it out").click()
        operation.get_by_role("button", name="Execute").wait_for()
    assert page.locator("tr[data-param-name='billable'] select").get_attribute("aria-label") == "billable (query)"
    assert page.locator("textarea.body-param__text").first.get_attribute("aria-label") == "Request body"
    if violations := audit(page):
        found["tried out"] = violations
    page.locator(".auth-wrapper .btn.authorize").click()
    close = page.locator(".modal-ux button.close-modal")
    close.wait_for()
    assert close.get_attribute("aria-label") == "Close"  # an icon alone otherwise (axe button-name)
    if violations := audit(page):
        found["authorize dialog"] = violations
    assert found == {}, found


def test_the_checker_finds_a_violation(new_page, live_server):
    """The audit can fail: text grey on grey is reported."""
    page = new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("document.querySelector('h1').style.color = '#ccc'")  # the CSP allows style set through the DOM
    assert any(violation.startswith("color-contrast") for violation in audit(page))


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_login_page_signed_out_and_throttled_has_no_serious_violations(
    new_page, live_server, employee, settings, width, height
):
    settings.THROTTLE_AUTH_ACCOUNT_RATE = "1/hour"
    page = new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/accounts/login/")
    assert audit(page) == []
    for _ in range(2):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(employee.username)
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text().startswith("Too many login attempts. Try again in")
    assert audit(page) == []
