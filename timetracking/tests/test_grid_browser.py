"""The week timesheet in a real headless Chromium, as a person uses it: a duration typed into a grid
cell (totals change without a page load), a bad value corrected at the cell, arrow keys, an entry
edited in its row, delete and undo, copy last week with hours, a new entry from the keyboard, and
the page at phone width."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.days import week_start
from timetracking.models import TimeEntry, TimesheetRow
from timetracking.tests.factories import ProjectFactory, TaskFactory, TimeEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def mark(page):
    """A flag in the page's window: still there later means no page load happened in between."""
    page.evaluate("window.__still_here = true")


def still_here(page):
    return page.evaluate("window.__still_here === true")


def this_monday(user):
    return week_start(timezone.localdate(timezone=user.tzinfo))


def at(user, day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=user.tzinfo)


@pytest.fixture
def website(employee):
    task = TaskFactory(name="Frontend", project=ProjectFactory(name="Website"))
    TimesheetRow.objects.create(user=employee, week_start=this_monday(employee), project=task.project, task=task)
    return task


def cell(page, monday, offset):
    return page.get_by_role("textbox", name=f"Website · Frontend, {(monday + timedelta(days=offset)):%A %-d %B}")


def test_type_a_duration_into_an_empty_cell(page, login, live_server, employee, website):
    monday = this_monday(employee)
    login(page, employee)
    page.goto(f"{live_server.url}/time/")
    mark(page)
    monday_cell = cell(page, monday, 0)
    monday_cell.click()
    monday_cell.fill("1:30")
    monday_cell.press("Tab")
    expect(page.get_by_test_id(f"day-total-{monday:%Y-%m-%d}")).to_have_text("1:30")
    expect(page.get_by_test_id("week-total")).to_have_text("1:30")
    assert still_here(page)  # saved through htmx: no page load
    expect(cell(page, monday, 1)).to_be_focused()  # Tab went on to Tuesday, and stays there after the swap
    entry = TimeEntry.objects.get(user=employee)
    assert (entry.duration, entry.task) == (timedelta(minutes=90), website)
    assert timezone.localtime(entry.started_at, employee.tzinfo) == at(employee, monday, 9)
    # Another figure in the same cell changes the same entry; Enter saves and moves down (here: stays).
    monday_cell = cell(page, monday, 0)
    monday_cell.fill("2h 15m")
    monday_cell.press("Enter")
    expect(page.get_by_test_id("week-total")).to_have_text("2:15")
    assert TimeEntry.objects.get(user=employee).duration == timedelta(hours=2, minutes=15)
    assert still_here(page)


def test_a_bad_value_is_shown_at_the_cell_and_corrected_there(page, login, live_server, employee, website):
    monday = this_monday(employee)
    login(page, employee)
    page.goto(f"{live_server.url}/time/")
    mark(page)
    tuesday = cell(page, monday, 1)
    tuesday.fill("1.5.5")
    tuesday.press("Enter")
    tuesday = cell(page, monday, 1)
    expect(tuesday).to_have_attribute("aria-invalid", "true")
    expect(tuesday).to_be_focused()  # the error's field has the focus, and its message is read with it
    error = page.locator(f"#{tuesday.get_attribute('id')}-error")
    expect(error).to_contain_text("Give a duration like 1:30")
    expect(tuesday).to_have_value("1.5.5")  # what was typed stays, to be corrected
    assert not TimeEntry.objects.exists()
    tuesday.fill("1.5h")
    tuesday.press("Enter")
    expect(page.get_by_test_id(f"day-total-{monday + timedelta(days=1):%Y-%m-%d}")).to_have_text("1:30")
    expect(page.locator(".tt-cell-error")).to_have_count(0)
    assert still_here(page)


def test_arrow_keys_move_between_cells(page, login, live_server, employee, website):
    monday = this_monday(employee)
    other = TaskFactory(name="Backend", project=website.project)
    TimesheetRow.objects.create(user=employee, week_start=monday, project=website.project, task=other)
    login(page, employee)
    page.goto(f"{live_server.url}/time/")
    first = cell(page, monday, 0)
    first.focus()
    first.press("ArrowRight")
    expect(cell(page, monday, 1)).to_be_focused()
    page.keyboard.press("ArrowUp")  # rows are in name order: Backend above Frontend
    expect(
        page.get_by_role("textbox", name=f"Website · Backend, {monday + timedelta(days=1):%A %-d %B}")
    ).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowLeft")
    expect(first).to_be_focused()
    # Typing is never a shortcut: "t" and "n" are text here.
    page.keyboard.type("tn")
    expect(first).to_have_value("tn")
    assert page.url.endswith("/time/")


def test_edit_an_entry_in_its_row_with_the_error_at_the_field(page, login, live_server, employee):
    monday = this_monday(employee)
    entry = TimeEntryFactory(
        user=employee, description="Planning", started_at=at(employee, monday, 9), ended_at=at(employee, monday, 10)
    )
    login(page, employee)
    page.goto(f"{live_server.url}/time/")
    mark(page)
    page.get_by_role("link", name="Edit the entry of 09:00").first.click()
    form = page.locator(f"#entry-{entry.pk} form")
    start = form.get_by_label("Start")
    expect(start).to_be_focused()
    form.get_by_label("End").fill("08:00")
    form.get_by_role("button", name="Save").click()
    end = page.locator(f"#entry-{entry.pk} form").get_by_label("End")
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(end).to_be_focused()
    expect(page.locator("#id_end_error")).to_contain_text("after")
    end.fill("11:15")
    page.locator(f"#entry-{entry.pk} form").get_by_role("button", name="Save").click()
    expect(page.locator(f"#entry-{entry.pk}")).to_contain_text("09:00–11:15")
    expect(page.locator("#tt-notice")).to_contain_text("Entry saved.")
    expect(page.get_by_test_id("week-total")).to_have_text("2:15")
    assert still_here(page)
    entry.refresh_from_db()
    assert entry.duration == timedelta(hours=2, minutes=15)


def test_delete_asks_and_can_be_undone(page, login, live_server, employee):
    monday = this_monday(employee)
    TimeEntryFactory(
        user=employee, description="Oops", started_at=at(employee, monday, 9), ended_at=at(employee, monday, 10, 30)
    )
    login(page, employee)
    page.goto(f"{live_server.url}/time/")
    mark(page)
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Delete the entry of 09:00").click()
    expect(page.get_by_test_id("week-total")).to_have_text("1:30")  # dismissed: nothing happened
    assert questions and "09:00–10:30" in questions[0]
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete the entry of 09:00").click()
    expect(page.get_by_test_id("week-total")).to_have_text("0:00")
    assert not TimeEntry.objects.exists()
    undo = page.locator("#tt-notice").get_by_role("button", name="Undo")
    expect(undo).to_be_focused()
    undo.click()
    expect(page.get_by_test_id("week-total")).to_have_text("1:30")
    expect(page.locator("#tt-notice")).to_contain_text("Entry restored.")
    assert TimeEntry.objects.get().description == "Oops"
    assert still_here(page)


def test_copy_last_week_with_its_hours(page, login, live_server, employee, website):
    monday = this_monday(employee)
    last_monday = monday - timedelta(days=7)
    for day, hours in ((0, 3), (2, 5)):
        TimeEntryFactory(
            user=employee,
            project=website.project,
            task=website,
            started_at=at(employee, last_monday + timedelta(days=day), 8),
            ended_at=at(employee, last_monday + timedelta(days=day), 8 + hours),
        )
    login(page, employee)
    page.goto(f"{live_server.url}/time/")
    mark(page)
    page.get_by_role("button", name="Rows and hours").click()
    expect(page.get_by_test_id("week-total")).to_have_text("8:00")
    expect(page.get_by_test_id(f"day-total-{monday + timedelta(days=2):%Y-%m-%d}")).to_have_text("5:00")
    expect(page.locator("#tt-notice")).to_contain_text("Copied 2 entries from last week.")
    expect(cell(page, monday, 0)).to_have_value("3:00")
    assert still_here(page)


def test_a_new_entry_from_the_keyboard(page, login, live_server, employee):
    login(page, employee)
    page.goto(f"{live_server.url}/time/")
    mark(page)
    page.locator("body").press("n")
    form = page.locator("#add-entry form")
    start = form.get_by_label("Start")
    expect(start).to_be_focused()
    start.fill("07:00")
    form.get_by_label("End").fill("08:45")
    form.get_by_label("Description").fill("Early review")
    form.get_by_label("Description").press("Enter")
    expect(page.get_by_test_id("week-total")).to_have_text("1:45")
    expect(page.locator("#add-entry")).to_have_count(0)
    expect(page.locator(".tt-days")).to_contain_text("Early review")
    assert still_here(page)


def test_the_timesheet_fits_a_phone(new_page, login, live_server, employee, website):
    monday = this_monday(employee)
    for offset in range(5):
        TimeEntryFactory(
            user=employee,
            project=website.project,
            task=website,
            description="A rather long description of the work done on this day",
            started_at=at(employee, monday + timedelta(days=offset), 8),
            ended_at=at(employee, monday + timedelta(days=offset), 12),
        )
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, employee)
    page.goto(f"{live_server.url}/time/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    wrap = page.locator(".tt-grid-wrap")
    assert wrap.evaluate("element => element.scrollWidth > element.clientWidth")  # the grid scrolls in its box
    # The project column stays in view while the days scroll.
    wrap.evaluate("element => { element.scrollLeft = element.scrollWidth; }")
    label = page.locator(".tt-grid tbody th").first
    assert label.evaluate("element => element.getBoundingClientRect().left") >= 0


def test_a_phone_opens_the_grid_on_todays_column(new_page, login, live_server, employee, website):
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, employee)
    page.goto(f"{live_server.url}/time/")
    page.wait_for_load_state("load")
    wrap = page.locator(".tt-grid-wrap")
    today = wrap.locator("th.tt-today")
    # Today's column is inside the box's visible part (right of the sticky project column), whatever
    # the weekday; past Monday that means the box was scrolled, while the page itself was not.
    expect(today).to_have_count(1)
    visible = today.evaluate(
        """th => { const box = th.closest('.tt-grid-wrap').getBoundingClientRect();
                   const label = th.closest('tr').querySelector('th').getBoundingClientRect();
                   const own = th.getBoundingClientRect();
                   return own.left >= label.right - 1 && own.right <= box.right + 1; }"""
    )
    assert visible
    if timezone.localdate(timezone=employee.tzinfo).isoweekday() > 2:
        assert wrap.evaluate("element => element.scrollLeft") > 0
    assert page.evaluate("window.scrollX") == 0


def test_n_elsewhere_opens_todays_new_entry_on_the_timesheet(page, login, live_server, employee):
    login(page, employee)  # on the dashboard
    page.locator("body").press("n")
    page.wait_for_url(f"{live_server.url}/time/?new=today#add-entry")
    today = timezone.localdate(timezone=employee.tzinfo)
    form = page.locator(f"#day-{today:%Y-%m-%d} #add-entry form")
    expect(form.get_by_label("Start")).to_be_focused()
    expect(form.get_by_label("Date")).to_have_value(f"{today:%Y-%m-%d}")
    form.get_by_role("link", name="Cancel").click()
    expect(page.locator("#add-entry")).to_have_count(0)
    expect(page.locator(f"#add-{today:%Y-%m-%d}")).to_be_visible()


def test_preferences_are_in_the_users_menu(page, login, live_server, employee):
    login(page, employee)
    page.locator("header details.dropdown summary").click()
    page.get_by_role("link", name="Preferences").click()
    page.wait_for_url(f"{live_server.url}/accounts/preferences/")


def test_a_wide_screen_shows_every_entry_action_whole(page, login, live_server, employee, website):
    """At 1366 px a day's entries fit their box: Pico once sized each Delete button to 100% of its
    cell, so the last column overflowed and read "Delet"."""
    monday = this_monday(employee)
    for hour in (8, 10, 12):
        TimeEntryFactory(
            user=employee,
            project=website.project,
            task=website,
            started_at=at(employee, monday, hour),
            ended_at=at(employee, monday, hour, 45),
            description="Responsive product pages and a long description",
        )
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, employee)
    page.goto(f"{live_server.url}/time/")
    delete = page.get_by_role("button", name=f"Delete the entry of {at(employee, monday, 8):%H:%M}")
    expect(delete).to_be_visible()
    overflowing = page.evaluate(
        "() => [...document.querySelectorAll('.tt-day .table-wrap')].filter(w => w.scrollWidth > w.clientWidth).length"
    )
    assert overflowing == 0
    box, button = page.locator(".tt-day .table-wrap").first.bounding_box(), delete.bounding_box()
    assert button["x"] + button["width"] <= box["x"] + box["width"]
    assert button["width"] < 120  # as wide as its word, not its cell
