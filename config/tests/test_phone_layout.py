"""On a phone (390x844) no page scrolls sideways, for any demo role, with data like the demo's (a team
of six, one with a very long name, a month calendar, long project names, a running timer): a wide
table scrolls inside its own box. The error pages (403, 404, 500) and the login page too. The team
calendar keeps the names in view while its days scroll, and the leave balances show "Available"
without scrolling."""

import pytest

from config.tests.pages import FAILING_URLCONF, ROLES, demo_like_cast, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# The elements sticking out on the right, innermost first: what to fix when a page is too wide.
TOO_WIDE = """width => {
    const outside = e => e.getBoundingClientRect().right > width + 0.5;
    const classes = e => typeof e.className === 'string' ? e.className.trim().split(/\\s+/).filter(Boolean) : [];
    const name = e => [e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''), ...classes(e)].join('.');
    return [...document.body.querySelectorAll('*')]
        .filter(e => outside(e) && ![...e.children].some(outside))
        .slice(0, 5)
        .map(e => name(e) + ' right=' + Math.round(e.getBoundingClientRect().right));
}"""


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.fixture
def phone(new_page, login):
    def sign_in(user=None):
        page = new_page()
        page.set_viewport_size(PHONE)
        return login(page, user) if user else page

    return sign_in


@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways_on_a_phone(phone, live_server, settings, role):
    settings.ROOT_URLCONF = FAILING_URLCONF  # the 500 page is one of the pages
    cast = demo_like_cast()
    page = phone(cast.user(role))
    too_wide = {}
    for path, status in cast.pages(role):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == status, (path, response.status)
        settle(page)
        if page_width(page) > PHONE["width"]:
            too_wide[path] = {"page width": page_width(page), "sticking out": page.evaluate(TOO_WIDE, PHONE["width"])}
    assert too_wide == {}, too_wide


def test_the_login_page_fits_a_phone(phone, live_server):
    page = phone()
    page.goto(f"{live_server.url}/accounts/login/")
    settle(page)
    assert page_width(page) <= PHONE["width"]
    assert page.get_by_role("button", name="Log in").bounding_box()["width"] <= PHONE["width"]


def test_the_check_sees_a_page_that_is_too_wide(phone, live_server, employee):
    page = phone(employee)
    page.goto(f"{live_server.url}/leave/")
    assert page_width(page) <= PHONE["width"]
    page.evaluate("document.querySelector('h1').style.width = '600px'")  # the CSP allows style set through the DOM
    assert page_width(page) > PHONE["width"]
    assert page.evaluate(TOO_WIDE, PHONE["width"])[0].startswith("h1")


def test_the_calendar_scrolls_in_its_box_with_the_names_in_view(phone, live_server):
    cast = demo_like_cast()
    page = phone(cast.user("manager"))
    page.goto(f"{live_server.url}/leave/calendar/")
    box = page.get_by_role("region", name="Who is away")
    table = box.locator("table")
    names = table.locator("tbody th.leave-person")
    assert names.count() == 7  # the manager and six reports
    assert page_width(page) <= PHONE["width"]
    assert table.bounding_box()["width"] > box.bounding_box()["width"]  # the month is wider than the box ...
    day = table.locator("tbody tr").first.locator("td").first
    assert day.bounding_box()["width"] >= 28  # ... as each day stays legible

    box.evaluate("box => { box.scrollLeft = 0; }")
    before = names.first.bounding_box()["x"]
    box.evaluate("box => { box.scrollLeft = box.scrollWidth; }")  # to the month's last day
    assert names.first.bounding_box()["x"] == pytest.approx(before, abs=1)  # the names stay where they were
    assert box.evaluate("box => box.scrollLeft") > 0
    assert names.first.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"  # days pass under it
    # The long name is cut with an ellipsis, not the column widened to half the screen.
    assert names.nth(3).bounding_box()["width"] < PHONE["width"] / 2


def test_the_calendar_opens_at_today_on_a_phone(phone, live_server):
    cast = demo_like_cast()
    page = phone(cast.user("alice"))
    page.goto(f"{live_server.url}/leave/calendar/")
    box = page.get_by_role("region", name="Who is away")
    today = box.locator("thead th[aria-current=date]")
    assert today.count() == 1
    left, right = box.bounding_box()["x"], box.bounding_box()["x"] + box.bounding_box()["width"]
    assert left <= today.bounding_box()["x"] and today.bounding_box()["x"] + today.bounding_box()["width"] <= right


def test_the_balances_show_available_on_a_phone(phone, live_server):
    cast = demo_like_cast()
    page = phone(cast.user("alice"))
    page.goto(f"{live_server.url}/leave/")
    available = page.locator('tr[data-leave-type="vacation"] .leave-available')
    box = available.bounding_box()
    assert available.inner_text().split() == ["30", "days"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # Each value is named on the card (the column header is hidden on a phone, still read by screen readers).
    assert available.evaluate("e => getComputedStyle(e, '::before').content").startswith('"Available"')
    assert page.get_by_role("columnheader", name="Available").count() == 1
