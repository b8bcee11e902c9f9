"""Issue 16 leftovers: the header timer's row at 1366 px, the dashboard's 'This week vs expected'
card with the running timer, the Billable filter's words, the import preview's durations."""

from datetime import timedelta

import pytest
from django.utils import timezone

from timetracking.tests.factories import ProjectFactory, TaskFactory, TimeEntryFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_header_timer_at_1366_keeps_description_and_project_on_one_line(page, login, live_server, employee):
    # A description and a project/task pill that fit a 1366 px row side by side.
    task = TaskFactory(name="Frontend", project=ProjectFactory(name="Customer portal relaunch"))
    TimeEntryFactory(
        user=employee,
        project=task.project,
        task=task,
        description="Reviewing the onboarding flow",
        started_at=timezone.now() - timedelta(minutes=5),
        ended_at=None,
    )
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, employee)
    what = page.get_by_test_id("timer-running-description")
    what.wait_for()
    # Not cut: the whole text is shown (scrollWidth is what it would need).
    assert what.evaluate("el => el.scrollWidth <= el.clientWidth"), what.evaluate(
        "el => [el.scrollWidth, el.clientWidth]"
    )
    pill = page.locator("#header-timer .tt-bar-project")
    line_height = pill.evaluate(
        "el => parseFloat(getComputedStyle(el).lineHeight) || el.getBoundingClientRect().height"
    )
    assert pill.evaluate("el => el.getClientRects().length") == 1
    assert pill.bounding_box()["height"] <= line_height * 1.5  # one line, not two
