"""In a real headless Chromium: adding/editing an entry on /time/ (the timer: test_timer_browser.py)."""

import re

import pytest
from playwright.sync_api import expect

from timetracking.models import TimeEntry
from timetracking.tests.factories import ProjectFactory, TimeEntryFactory, utc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def console_errors(page):
    """Script errors on the page. A refused form answers 400 on purpose (its errors are the answer's
    body), which Chromium logs as a failed resource: that one is not a script error."""
    errors = []

    def note(message):
        if message.type == "error" and "responded with a status of 400" not in message.text:
            errors.append(message.text)

    page.on("console", note)
    return errors


def test_add_and_edit_an_entry_on_the_week_page(page, login, live_server, employee):
    project = ProjectFactory(name="Internal")
    errors = console_errors(page)
    login(page, employee)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Timesheet").click()
    page.wait_for_url(re.compile(r".*/time/$"))
    page.locator("[data-shortcut=new-entry]").click()  # today's "+ Add entry"
    form = page.locator("#add-entry form")
    expect(form.get_by_label("Start")).to_have_value("09:00")  # an empty day starts at 09:00
    expect(form.get_by_label("Start")).to_be_focused()
    form.get_by_label("Start").fill("09:00")
    form.get_by_label("End").fill("08:00")
    form.get_by_role("button", name="Add entry").click()
    page.locator("#id_end_error").wait_for()
    assert "after the start" in page.locator("#id_end_error").inner_text()
    assert not TimeEntry.objects.exists()
    expect(page.locator("#id_end")).to_be_focused()  # the error's field

    form = page.locator("#add-entry form")
    form.get_by_label("End").fill("10:30")
    form.get_by_label("Project").select_option(label=project.label)
    form.get_by_label("Description").fill("Weekly planning")
    form.get_by_label("Tags").fill("meeting")
    form.get_by_role("button", name="Add entry").click()
    page.get_by_text("Entry added.").wait_for()
    assert page.get_by_test_id("week-total").inner_text() == "1:30"

    page.get_by_role("link", name="Edit the entry of 09:00").click()
    expect(page.get_by_label("Start")).to_be_focused()  # the form is in and settled
    page.get_by_label("End").fill("11:00")
    page.get_by_label("Description").fill("Weekly planning and retro")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Entry saved.").wait_for()
    assert page.get_by_test_id("week-total").inner_text() == "2:00"
    entry = TimeEntry.objects.get()
    assert entry.description == "Weekly planning and retro" and entry.hours == 2
    assert [tag.name for tag in entry.tags.all()] == ["meeting"]
    assert errors == []


def test_typing_that_starts_before_the_form_settles_is_not_pulled_away(page, login, live_server, employee):
    """The week page puts the focus on a form's first field once htmx has settled the swap; a person
    (or a fast keyboard) already typing in another field of the new form keeps the focus and the text."""
    # a fixed Wednesday morning: the factory's sequence would move the entry by how many ran before it,
    # up to a UTC evening that is already the next local day and the next week
    TimeEntryFactory(user=employee, started_at=utc(2026, 4, 8, 7), description="Planning")
    login(page, employee)
    page.goto(f"{live_server.url}/time/?week=2026-04-08")
    page.evaluate("htmx.config.defaultSettleDelay = 1500")  # a slow settle: the gap made wide on purpose
    page.evaluate(  # kept, not awaited here: evaluate would wait on a returned promise
        "() => { window.settled = new Promise("
        "(done) => document.addEventListener('htmx:afterSettle', done, {once: true})); }"
    )
    page.get_by_role("link", name=re.compile(r"^Edit the entry of ")).click()
    description = page.get_by_label("Description")
    description.fill("Planning and retro")  # lands in the gap between the swap and the settle
    assert page.evaluate("window.settled.then(() => document.activeElement.id)") == "id_description"
    expect(description).to_be_focused()
    expect(description).to_have_value("Planning and retro")


def test_submit_approve_and_the_week_is_locked(new_page, page, login, live_server, employee, manager):
    from datetime import timedelta

    from django.utils import timezone

    from timetracking.models import TimesheetPeriod
    from timetracking.tests.factories import TimeEntryFactory

    started = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    TimeEntryFactory(user=employee, started_at=started, ended_at=started + timedelta(hours=1), description="Report")
    errors = console_errors(page)
    login(page, employee)
    page.goto(f"{live_server.url}/time/")
    expect(page.get_by_test_id("period-badge")).to_have_text("Draft")
    page.get_by_role("button", name="Submit week for approval").click()
    expect(page.get_by_test_id("period-badge")).to_have_text("Submitted")
    period = TimesheetPeriod.objects.get(user=employee)

    manager_page = new_page()
    login(manager_page, manager)
    manager_page.get_by_role("link", name="Team", exact=True).click()
    row = manager_page.locator(f'tr[data-period-id="{period.pk}"]')
    row.get_by_role("button", name="Approve").click()
    expect(manager_page.locator(".messages")).to_contain_text("approved and locked")
    period.refresh_from_db()
    assert period.status == "approved"

    page.goto(f"{live_server.url}/time/")
    expect(page.get_by_test_id("period-badge")).to_have_text("Approved (locked)")
    expect(page.locator(".tt-locked")).to_contain_text("approved and locked")
    expect(page.locator("#add-entry")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
    assert errors == []
