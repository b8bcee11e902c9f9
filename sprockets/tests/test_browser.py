"""In a real headless Chromium: the factory chart draws, and the controls redraw it from the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sprockets.tests.factories import FactoryFactory, SprocketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Non-transparent pixels on the canvas: 0 when Chart.js did not draw.
PAINTED_PIXELS = """() => {
  const canvas = document.getElementById("production-chart");
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
  return painted;
}"""


def test_factory_chart_draws_and_redraws(page, live_server, login, employee):
    factory = FactoryFactory(name="Leipzig Works", sprocket_production_goal=48)
    for hours in (1, 5, 30, 50):
        SprocketFactory(factory=factory, produced_at=timezone.now() - timedelta(hours=hours))
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    login(page, employee)
    page.get_by_role("link", name="Factories").first.click()
    page.get_by_role("link", name="Leipzig Works").first.click()
    page.wait_for_function("() => window.Chart && Chart.getChart('production-chart') !== undefined")
    assert page.evaluate(PAINTED_PIXELS) > 1000
    chart = "Chart.getChart('production-chart')"
    assert page.evaluate(f"{chart}.data.labels.length") == 31
    assert page.evaluate(f"{chart}.data.datasets.map(d => d.label)") == ["Goal (per day)", "Produced (per day)"]
    assert page.evaluate(f"{chart}.data.datasets[1].data.reduce((a, b) => a + b, 0)") == 4

    # Hourly over the last three days, through the chart API.
    page.get_by_label("Group by").select_option("hour")
    page.get_by_label("From (UTC)").fill((timezone.now() - timedelta(days=2)).date().isoformat())
    with page.expect_response(lambda response: "/chart/" in response.url and response.status == 200):
        page.get_by_role("button", name="Show").click()
    page.wait_for_function(f"() => {chart}.data.labels.length === 72")
    assert page.evaluate(f"{chart}.data.datasets[0].data.at(-1)") == 2  # 48 a day = 2 an hour
    assert page.evaluate(PAINTED_PIXELS) > 1000
    assert page.locator("#production-chart-table tr").count() == 72
    assert page.locator("#production-chart-table tr").last.locator("td").nth(1).text_content() == "2.00"

    # A range the API refuses shows its message instead of a broken chart.
    page.get_by_label("From (UTC)").fill("2000-01-01")
    page.get_by_role("button", name="Show").click()
    assert "At most 1000 hour buckets" in page.get_by_role("alert").inner_text()
    assert errors == [] or all("400" in error for error in errors)
