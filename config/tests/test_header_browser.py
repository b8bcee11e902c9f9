"""The header on a phone: one row (brand, Menu, the user's menu) so content starts on the first
screen; the Menu button opens the links, by mouse and by keyboard, and Escape closes them. On a wide
screen the links are always there and the button is not."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def header_height(page):
    """The menu's rows (the timer's bar below them is measured on its own)."""
    return page.evaluate("document.querySelector('header nav').getBoundingClientRect().height")


def test_the_phone_menu_is_one_button_that_opens_the_links(new_page, login, live_server, employee):
    from playwright.sync_api import expect

    employee.first_name, employee.last_name = "Maximiliane", "Zimmermann-Oberhauser"  # a long name, one row still
    employee.save(update_fields=["first_name", "last_name"])
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, employee)
    page.goto(f"{live_server.url}/time/")
    toggle = page.get_by_role("button", name="Menu")
    leave_link = page.locator("#main-nav").get_by_role("link", name="Leave")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(leave_link).to_be_hidden()
    height = header_height(page)
    assert height < 110, height  # one row; the wrapped links took three (about 250 px)
    # The timer's box follows on the first screen: one tap away.
    box = page.locator("#header-timer").bounding_box()
    assert box["y"] + box["height"] < 844 / 2, box

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(leave_link).to_be_visible()
    expect(page.locator("#main-nav a").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(leave_link).to_be_hidden()
    expect(toggle).to_be_focused()

    toggle.press("Enter")  # the keyboard opens it too
    expect(leave_link).to_be_visible()
    leave_link.click()
    page.wait_for_url(f"{live_server.url}/leave/")


def test_a_wide_screen_shows_the_links_and_no_button(new_page, login, live_server, employee):
    from playwright.sync_api import expect

    page = new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, employee)
    page.goto(f"{live_server.url}/time/")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.locator("#main-nav").get_by_role("link", name="Leave")).to_be_visible()


def test_the_managers_header_is_one_row_at_1366(new_page, login, live_server, manager, employee):
    """Eight links for a manager (Approvals, Team) and their name: one row, the admin in their menu."""
    from playwright.sync_api import expect

    manager.first_name, manager.last_name, manager.is_staff = "Maximiliane", "Zimmermann", True
    manager.save(update_fields=["first_name", "last_name", "is_staff"])
    page = new_page()
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, manager)
    links = page.locator("#main-nav a")
    expect(links).to_have_count(8)
    tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(8))}
    assert len(tops) == 1, tops  # all on one row
    assert header_height(page) < 110  # one row (the phone test measures the same)
    page.locator("header details.dropdown summary").click()
    expect(page.locator("header details.dropdown").get_by_role("link", name="Admin")).to_be_visible()
