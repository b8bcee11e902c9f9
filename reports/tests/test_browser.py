"""In a real headless Chromium: /reports/ draws its charts (under the strict CSP) and the CSV
export downloads."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from reports.tests.factories import ProjectFactory, TimeEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# True when the canvas has at least one non-transparent pixel, i.e. Chart.js drew on it.
CANVAS_HAS_PIXELS = """(id) => {
  const canvas = document.getElementById(id);
  if (!canvas || !canvas.width || !canvas.height) return false;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let index = 3; index < pixels.length; index += 4) { if (pixels[index] !== 0) return true; }
  return false;
}"""


def test_reports_page_draws_the_charts_and_downloads_a_csv(page, login, live_server, employee):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    alpha, beta = ProjectFactory(name="Alpha", color="#2563eb"), ProjectFactory(name="Beta", color="#ea580c")
    # The page opens on this month: five days of it (some may be after today, which a report shows too).
    first = timezone.localdate(timezone=employee.tzinfo).replace(day=1)
    for days in range(5):
        start = datetime.combine(first + timedelta(days=days), time(8), tzinfo=employee.tzinfo)
        TimeEntryFactory(user=employee, project=alpha, started_at=start, ended_at=start + timedelta(hours=2))
        later = start + timedelta(hours=2, minutes=30)
        TimeEntryFactory(user=employee, project=beta, started_at=later, ended_at=later + timedelta(hours=1))
    login(page, employee)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.wait_for_url(f"{live_server.url}/reports/")
    for canvas in ("chart-main", "chart-expected", "chart-balance"):
        page.wait_for_function(CANVAS_HAS_PIXELS, arg=canvas)
        assert page.evaluate(CANVAS_HAS_PIXELS, canvas), canvas
    # An empty canvas stays empty: the check itself can fail.
    assert page.evaluate(
        "() => { const c = document.createElement('canvas'); c.id = 'blank'; c.width = 10; c.height = 10;"
        " document.body.appendChild(c); return true; }"
    )
    assert not page.evaluate(CANVAS_HAS_PIXELS, "blank")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Entries as CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = download.path().read_text(encoding="utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("User,Email,Client,Project")
    assert len(lines) == 11
    assert errors == []
