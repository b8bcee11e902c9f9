"""In a real headless Chromium: the /reports/ controls update the table and the chart in place
(htmx, no page load), the URL follows them (back restores the earlier report), and the export
link carries exactly what is shown."""

from datetime import datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reports.forms import preset_range
from reports.tests.factories import ProjectFactory, TimeEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# True when the main chart (Chart.js) shows these group labels (joined by commas; null: any at all).
CHART_SHOWS = """(expected) => {
  const canvas = document.getElementById("chart-main");
  const chart = canvas && Chart.getChart(canvas);
  if (!chart) return false;
  return expected === null ? chart.data.labels.length > 0 : chart.data.labels.join() === expected;
}"""


def _entry(user, project, day, hours):
    start = datetime.combine(day, time(9), tzinfo=user.tzinfo)
    TimeEntryFactory(user=user, project=project, started_at=start, ended_at=start + timedelta(hours=hours))


def test_group_by_and_a_preset_update_table_and_chart_without_a_page_load(page, login, live_server, employee):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    today = timezone.localdate(timezone=employee.tzinfo)
    this_month = preset_range("this_month", today)
    last_month = preset_range("last_month", today)
    alpha, beta = ProjectFactory(name="Alpha"), ProjectFactory(name="Beta")
    _entry(employee, alpha, this_month[0], 2)  # this month: Alpha only
    _entry(employee, alpha, last_month[0] + timedelta(days=9), 3)  # last month: Alpha and Beta
    _entry(employee, beta, last_month[0] + timedelta(days=10), 1)

    login(page, employee)
    page.goto(f"{live_server.url}/reports/")
    table = page.locator("#report-table")
    expect(table.locator("thead th").first).to_have_text("Day")
    page.wait_for_function(CHART_SHOWS, arg=None)
    page.evaluate("window.__marker = 1")

    page.get_by_label("Group by").select_option("project")
    expect(table.locator("thead th").first).to_have_text("Project")
    expect(table.locator("tbody th")).to_have_text(["Alpha"])
    page.wait_for_function(CHART_SHOWS, arg="Alpha")
    assert "group_by=project" in page.url

    page.get_by_label("Period").select_option("last_month")
    expect(table.locator("tbody th")).to_have_text(["Alpha", "Beta"])
    page.wait_for_function(CHART_SHOWS, arg="Alpha,Beta")
    expect(page.locator("#figure-tracked")).to_have_text("4:00")
    assert page.evaluate("window.__marker") == 1, "the page was loaded again"
    query = parse_qs(urlsplit(page.url).query)
    assert query["preset"] == ["last_month"] and query["group_by"] == ["project"]
    # The sub-group was Project too: choosing Project as the grouping set it to nothing.
    assert query["sub_group"] == ["none"]

    href = page.locator("#export-summary-csv").get_attribute("href")
    exported = parse_qs(urlsplit(href).query)
    assert exported == {
        "from": [last_month[0].isoformat()],
        "to": [last_month[1].isoformat()],
        "kind": ["summary"],
        "group_by": ["project"],
        "format": ["csv"],
    }
    entries = parse_qs(urlsplit(page.locator("#export-csv").get_attribute("href")).query)
    assert entries["from"] == [last_month[0].isoformat()] and entries["to"] == [last_month[1].isoformat()]

    # Back: the earlier report (this month, by project), still without a page load.
    page.go_back()
    expect(table.locator("tbody th")).to_have_text(["Alpha"])
    expect(page.get_by_label("Period")).to_have_value("this_month")
    page.wait_for_function(CHART_SHOWS, arg="Alpha")
    assert page.evaluate("window.__marker") == 1

    # Custom dates: the fields appear, filled with the preset's dates; a wrong order is refused at the field.
    page.get_by_label("Period").select_option("custom")
    expect(page.get_by_label("From")).to_have_value(this_month[0].isoformat())
    page.get_by_label("From").fill((this_month[1] + timedelta(days=1)).isoformat())
    error = page.locator("#error-to")
    expect(error).to_have_text("The end date is before the start date.")
    expect(page.get_by_label("To")).to_have_attribute("aria-invalid", "true")
    assert page.locator("#chart-main").count() == 0
    page.get_by_label("From").fill(last_month[0].isoformat())
    expect(error).to_have_text("")
    expect(table.locator("tbody th")).to_have_text(["Alpha", "Beta"])
    assert page.evaluate("window.__marker") == 1

    # Reload: the URL alone gives the same report.
    page.reload()
    expect(page.get_by_label("Period")).to_have_value("custom")
    expect(table.locator("tbody th")).to_have_text(["Alpha", "Beta"])
    # The one 400 is the refused date order (Chromium logs every 4xx answer); nothing else failed.
    assert errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
