"""The header timer in a real headless Chromium, as a person uses it: start on /leave/, switch on
/reports/, stop on /time/; suggestions by keyboard; continue a recent entry; a second tab follows;
a short timer asks; the tab title; the keyboard shortcuts, which do nothing inside a field."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from timetracking.models import TimeEntry
from timetracking.tests.factories import ProjectFactory, TagFactory, TaskFactory, TimeEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def console_errors(page):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def mark(page):
    """A flag in the page's window: still there later means no page load happened in between."""
    page.evaluate("window.__still_here = true")


def still_here(page):
    return page.evaluate("window.__still_here === true")


@pytest.fixture
def website():
    return TaskFactory(name="Frontend", project=ProjectFactory(name="Website"))


def test_start_on_leave_switch_on_reports_stop_on_time(page, login, live_server, employee, website, settings):
    settings.TIMER_MIN_SECONDS = 0
    # Recent work to pick from: the box suggests it as you type.
    TimeEntryFactory(
        user=employee,
        project=website.project,
        task=website,
        description="Navigation bar",
        tags=[TagFactory(name="ui")],
        started_at=timezone.now() - timedelta(days=1),
    )
    errors = console_errors(page)
    login(page, employee)
    page.goto(f"{live_server.url}/leave/")
    bar = page.locator("#header-timer")
    box = bar.get_by_role("combobox", name="What are you working on?")
    box.fill("navig")
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox.get_by_role("option")).to_have_count(1)
    mark(page)
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", re.compile("timer-suggestion-"))
    box.press("Enter")  # picks the suggestion: description, project, task and tags in one go
    expect(box).to_have_value("Navigation bar")
    box.press("Enter")  # starts
    expect(bar).to_have_class(re.compile("is-running"))
    expect(bar.get_by_role("button", name="Stop")).to_be_focused()
    assert still_here(page) and page.url.endswith("/leave/")
    entry = TimeEntry.objects.running().get()
    assert (entry.task, entry.description, [tag.name for tag in entry.tags.all()]) == (
        website,
        "Navigation bar",
        ["ui"],
    )
    # The clock ticks, and the tab title carries it.
    expect(bar.get_by_test_id("timer-clock")).to_have_text(re.compile(r"^0:00:0[1-9]$"))
    expect(page).to_have_title(re.compile(r"^▶ 0:00:\d\d Navigation bar · Leave · Timetrack$"))

    # On another page the same timer runs; switch to another task there.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.wait_for_url(re.compile(r".*/reports/"))
    expect(bar).to_contain_text("Navigation bar")
    bar.get_by_text("Switch", exact=True).first.click()
    switch_box = bar.get_by_role("combobox")
    switch_box.fill("Code review @website")
    expect(listbox.get_by_role("option").first).to_contain_text("Website")
    switch_box.press("Enter")  # no option chosen: the shorthand names the project
    expect(bar.get_by_test_id("timer-running-description")).to_have_text("Code review")
    first, second = TimeEntry.objects.order_by("started_at")[1:]  # after the old entry
    assert first.ended_at == second.started_at and second.is_running and second.project == website.project

    # Stop it on the timesheet, from the keyboard shortcut.
    page.goto(f"{live_server.url}/time/")
    page.keyboard.press("s")
    expect(bar).not_to_have_class(re.compile("is-running"))
    expect(bar.get_by_role("combobox")).to_be_focused()
    expect(page).to_have_title("Timesheet · Timetrack")
    assert not TimeEntry.objects.running().exists()
    assert errors == []


def test_a_second_tab_follows_the_first(page, login, live_server, employee, settings):
    settings.TIMER_MIN_SECONDS = 0
    login(page, employee)
    other = page.context.new_page()  # the same session, another tab
    other.goto(f"{live_server.url}/time/")
    page.goto(f"{live_server.url}/leave/")
    page.locator("#timer-description").fill("Shared work")
    page.locator("#timer-description").press("Enter")
    expect(page.locator("#header-timer")).to_have_class(re.compile("is-running"))
    # The other tab shows it within a few seconds (at once in the same browser; by polling otherwise).
    expect(other.get_by_test_id("timer-running-description")).to_have_text("Shared work", timeout=15000)
    other.locator("#header-timer").get_by_role("button", name="Stop").click()
    expect(other.locator("#header-timer")).not_to_have_class(re.compile("is-running"))
    expect(page.locator("#header-timer")).not_to_have_class(re.compile("is-running"), timeout=15000)


def test_continue_a_recent_entry_from_the_dashboard(page, login, live_server, employee, website):
    TimeEntryFactory(
        user=employee,
        project=website.project,
        task=website,
        description="Bug triage",
        started_at=timezone.now() - timedelta(hours=3),
    )
    login(page, employee)
    mark(page)
    recent = page.get_by_test_id("recent-entries")
    recent.get_by_role("button", name="Continue Bug triage on Website").click()
    bar = page.locator("#header-timer")
    expect(bar.get_by_test_id("timer-running-description")).to_have_text("Bug triage")
    expect(bar.get_by_role("button", name="Stop")).to_be_focused()
    assert still_here(page)
    running = TimeEntry.objects.running().get()
    assert (running.project, running.task) == (website.project, website)


def test_a_short_timer_asks_keep_or_discard(page, login, live_server, employee, settings):
    settings.TIMER_MIN_SECONDS = 3600  # every timer of this test is "short"
    login(page, employee)
    bar = page.locator("#header-timer")
    bar.get_by_role("combobox").fill("Mis-click")
    bar.get_by_role("button", name="Start").click()
    bar.get_by_role("button", name="Stop").click()
    expect(bar.get_by_role("alert")).to_contain_text("Keep it, or discard it?")
    expect(bar.get_by_role("button", name="Keep it")).to_be_focused()
    bar.get_by_role("button", name="Discard it").click()
    expect(bar.get_by_role("combobox")).to_be_visible()
    assert not TimeEntry.objects.exists()
    # Keep: the entry stays, stopped.
    bar.get_by_role("combobox").fill("Quick call")
    bar.get_by_role("combobox").press("Enter")
    bar.get_by_role("button", name="Stop").click()
    bar.get_by_role("button", name="Keep it").press("Enter")
    expect(bar.get_by_role("combobox")).to_be_visible()
    assert TimeEntry.objects.get().description == "Quick call" and not TimeEntry.objects.running().exists()


def test_a_bad_shorthand_is_shown_at_the_box(page, login, live_server, employee):
    login(page, employee)
    box = page.locator("#timer-description")
    box.fill("Work @nosuchproject")
    box.press("Enter")
    expect(page.locator("#timer-error")).to_contain_text("No project you can log to matches")
    expect(page.locator("#timer-description")).to_be_focused()
    expect(page.locator("#timer-description")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#timer-description")).to_have_value("Work @nosuchproject")
    assert not TimeEntry.objects.exists()


def test_shortcuts_work_outside_fields_only(page, login, live_server, employee):
    login(page, employee)
    # Inside a field a letter is a letter.
    page.locator("#timer-description").fill("")
    page.locator("#timer-description").press("t")
    page.locator("#timer-description").press("?")
    expect(page.locator("#timer-description")).to_have_value("t?")
    expect(page.locator("#shortcuts")).not_to_be_visible()
    assert page.url == f"{live_server.url}/"
    # Outside: ? lists them, Escape closes; t goes to the timesheet; [ and ] move by week.
    page.locator("#timer-description").blur()
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).not_to_be_visible()
    page.keyboard.press("t")
    page.wait_for_url(f"{live_server.url}/time/")
    this_week = page.get_by_role("heading", level=1).inner_text()
    page.keyboard.press("[")
    page.wait_for_url(re.compile(r".*week=\d{4}-\d\d-\d\d"))
    expect(page.get_by_role("heading", level=1)).not_to_have_text(this_week)
    page.keyboard.press("]")
    expect(page.get_by_role("heading", level=1)).to_have_text(this_week)
    page.wait_for_load_state()  # the heading shows before the deferred scripts (the shortcuts) have run
    page.keyboard.press("d")
    page.wait_for_url(f"{live_server.url}/")
    # A modifier held: not a shortcut (Ctrl+T belongs to the browser).
    page.keyboard.press("Control+s")
    assert not TimeEntry.objects.exists()
    page.keyboard.press("s")  # no timer: the box gets the focus
    expect(page.locator("#timer-description")).to_be_focused()


def test_the_timer_is_one_tap_away_on_a_phone(page, login, live_server, employee):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, employee)
    for path in ("/", "/leave/", "/time/", "/reports/"):
        page.goto(f"{live_server.url}{path}")
        box = page.locator("#timer-description")
        expect(box).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box.fill("On the go")
    page.locator("#header-timer").get_by_role("button", name="Start").click()
    stop = page.locator("#header-timer").get_by_role("button", name="Stop")
    expect(stop).to_be_in_viewport()
