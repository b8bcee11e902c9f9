"""The Preferences page in a real headless Chromium: choose decimal hours with the keyboard, see the
message and the choice; axe-core finds no serious violation; nothing scrolls sideways on a phone."""

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js").read_text()
SERIOUS = """() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
    .filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id + ' x' + v.nodes.length))"""


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_choose_decimal_hours_on_the_preferences_page(page, live_server, login, employee, width, height, tmp_path):
    page.set_viewport_size({"width": width, "height": height})
    login(page, employee)
    page.goto(f"{live_server.url}/accounts/preferences/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Preferences")
    choice = page.get_by_label("Show durations as")
    expect(choice).to_have_value("hm")
    choice.focus()
    choice.select_option("decimal")
    page.keyboard.press("Tab")  # through the language and the two e-mail switches, to the button
    expect(page.get_by_label("Language")).to_be_focused()
    expect(page.get_by_label("Language")).to_have_value("")  # the browser's
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail me when my week is approved, sent back or reopened")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail me when someone I decide for submits a week")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save preferences")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your preferences were saved.")).to_be_visible()
    expect(page.get_by_label("Show durations as")).to_have_value("decimal")
    assert User.objects.get(pk=employee.pk).duration_format == "decimal"
    page.evaluate(AXE)
    assert page.evaluate(SERIOUS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"preferences-{width}.png"), full_page=True)
