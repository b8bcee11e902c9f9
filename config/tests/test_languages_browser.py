"""Every page in German for a German user (issue 20), in Debian's Chromium: the pages the
accessibility test walks (config.tests.pages), for an employee and for HR, each has `lang="de"` and no
English word left in its layout (header, menu, footer, skip link) or its headings and title.

"English word" = a word of the English catalog (the msgids) that none of the German translations
uses (so "Timer", "Team" or "Status", the same in both, are not counted); the people's, projects'
and factories' own names are data, not the layout, and are taken out before reading. The API docs
are Swagger UI's and ReDoc's own English interface (lang="en"), left out as in the phone test."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

from config.tests.pages import FAILING_URLCONF, LONG_PROJECT, demo_like_cast, settle
from config.tests.test_phone_layout import TOO_WIDE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CATALOG = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.po"
WORD = re.compile(r"[^\W\d_]{3,}")
# The layout's text as a reader sees it, with the data (names of people, projects, entries, factories,
# files) removed: what is left must all be German.
VISIBLE_LAYOUT = """() => {
    const parts = [];
    const data = ['[data-testid=timer-running-description]', '.tt-bar-project', '.tt-suggestions',
        'details.dropdown > summary'].join(', ');
    for (const selector of ['header', 'nav', 'footer', '.skip-link', 'h1', 'h2', 'caption', 'th', 'label', 'button']) {
        for (const element of document.querySelectorAll(selector)) {
            const copy = element.cloneNode(true);
            copy.querySelectorAll(data).forEach((node) => node.remove());
            if (copy.matches && copy.matches(data)) continue;
            parts.push(copy.textContent);
        }
    }
    // The tab title carries the running timer's description (data) before the page's own title.
    const running = document.querySelector('[data-testid=timer-running-description]');
    parts.push(running ? document.title.replace(running.textContent.trim(), '') : document.title);
    return parts.join(' ');
}"""


def english_only_words():
    po = polib.pofile(str(CATALOG))
    english, german = set(), set()
    for entry in po:
        english.update(WORD.findall(re.sub(r"%\(\w+\)s|\{\w+\}|<[^>]+>", " ", entry.msgid + " " + entry.msgid_plural)))
        german.update(WORD.findall(entry.msgstr + " " + " ".join(entry.msgstr_plural.values())))
    german = {word.lower() for word in german}  # "Tag" is German, whatever its case
    return {word for word in english if word.lower() not in german and not word.isupper()}  # CSV, HR: the same


# Words of the demo-like data (config.tests.pages) that are also English msgid words.
DATA_WORDS = {"Internal", "Meetings", "Frontend", "Website", "Example", "Corporation", "International"}
DATA_WORDS |= {"Vacation", "Overtime", "compensation", "Sick", "leave"}  # the leave types' names (HR's)
DATA_WORDS |= set(WORD.findall(LONG_PROJECT))


@pytest.mark.parametrize("role", ["alice", "hr"])
@pytest.mark.parametrize("width", [1366, 390])
def test_every_page_is_german_for_a_german_user(new_page, login, live_server, settings, role, width):
    """At a desktop's width and a phone's: German's longer words must not make a page scroll sideways."""
    settings.ROOT_URLCONF = FAILING_URLCONF  # the 500 page is one of the pages
    cast = demo_like_cast()
    user = cast.user(role)
    user.set_language("de")
    english = english_only_words() - DATA_WORDS
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    login(page, user)
    found = {}
    for path, _status in cast.pages(role, api_docs=False):
        page.goto(f"{live_server.url}{path}")  # the statuses are the accessibility test's
        assert page.locator("html").get_attribute("lang") == "de", path
        settle(page)
        words = set(WORD.findall(page.evaluate(VISIBLE_LAYOUT)))
        left = sorted(words & english)
        if left:
            found[path] = left
        if page.evaluate("document.documentElement.scrollWidth") > width:
            found[path + " (too wide)"] = page.evaluate(TOO_WIDE, width)
    assert found == {}, found


def test_the_shortcuts_dialog_and_the_timer_speak_german(new_page, login, live_server, employee):
    employee.set_language("de")
    page = login(new_page(), employee)
    page.locator("details.dropdown > summary").click()
    page.get_by_role("button", name="Tastenkürzel").click()
    dialog = page.get_by_role("dialog", name="Tastenkürzel")
    assert "Zum Stundenzettel" in dialog.inner_text()
    page.keyboard.press("Escape")
    assert page.get_by_role("combobox", name="Woran arbeiten Sie?").is_visible()


def test_a_german_browser_without_a_preference_gets_german(browser, live_server, employee):
    from accounts.tests.factories import PASSWORD

    context = browser.new_context(locale="de-DE")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        assert page.locator("html").get_attribute("lang") == "de"
        page.get_by_label("Benutzername").fill(employee.username)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_url(f"{live_server.url}/")
        assert page.get_by_role("link", name="Stundenzettel").first.is_visible()
    finally:
        context.close()
