"""Every page an employee and a manager use, at 1366x900 and 390x844, in Debian's Chromium: axe-core
(npm, pinned) finds no serious or critical violation, and nothing scrolls sideways on a phone. The
throttled login page too (its message is the login limiter's), and the 403 and 404 pages."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from timetracking.tests.factories import ProjectFactory, TimeEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js").read_text()
SIZES = [(1366, 900), (390, 844)]
PAGES = {
    "employee": [
        "/",
        "/time/",
        "/leave/",
        "/leave/calendar/",
        "/reports/",
        "/factories/",
        "/accounts/password/",
        "/time/team/",
        "/no-such-page/",
    ],  # the last two: the 403 and 404 pages
    "manager": ["/", "/time/", "/time/team/", "/leave/approvals/", "/leave/calendar/", "/reports/", "/no-such-page/"],
}
SERIOUS = (
    "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations"
    ".filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id + ' x' + v.nodes.length))"
)


def audit(page, width):
    """(violations, page width): axe is evaluated in the page (not a script tag: the CSP allows none)."""
    page.wait_for_load_state("networkidle")
    page.evaluate(AXE)
    return page.evaluate(SERIOUS), page.evaluate("document.documentElement.scrollWidth")


@pytest.fixture
def week_with_entries(employee):
    project = ProjectFactory(name="A project with a rather long name for a phone")
    start = timezone.now().replace(hour=8, minute=0, second=0, microsecond=0) - timedelta(days=1)
    for day in range(2):
        TimeEntryFactory(
            user=employee,
            project=project,
            started_at=start - timedelta(days=day),
            ended_at=start - timedelta(days=day) + timedelta(hours=3),
        )


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("role", ["employee", "manager"])
def test_pages_have_no_serious_violations_and_fit_the_screen(
    request, new_page, login, live_server, week_with_entries, role, width, height
):
    user = request.getfixturevalue(role)
    page = new_page()
    page.set_viewport_size({"width": width, "height": height})
    login(page, user)
    found = {}
    for path in PAGES[role]:
        page.goto(f"{live_server.url}{path}")
        violations, page_width = audit(page, width)
        if violations or page_width > width:
            found[path] = {"violations": violations, "page width": page_width}
    assert found == {}, found


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_throttled_login_page_has_no_serious_violations(new_page, live_server, employee, settings, width, height):
    settings.THROTTLE_AUTH_ACCOUNT_RATE = "1/hour"
    page = new_page()
    page.set_viewport_size({"width": width, "height": height})
    for _ in range(2):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(employee.username)
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text().startswith("Too many login attempts. Try again in")
    violations, page_width = audit(page, width)
    assert violations == []
    assert page_width <= width
