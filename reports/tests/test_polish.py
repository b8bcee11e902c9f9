"""Issue 16 leftovers: the header timer's row at 1366 px, the dashboard's 'This week vs expected'
card with the running timer, the Billable filter's words, the import preview's durations."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.tests.factories import utc
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


def test_dashboard_week_card_counts_the_running_timer_like_the_time_card(client, employee, frozen):
    employee.date_joined = utc(2026, 3, 16, 6)
    employee.save()
    # 2 h finished on Monday, and a timer running since 10:30 today (Friday 20 March, 12:00): 1:30 so far.
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 16, 7), ended_at=utc(2026, 3, 16, 9))
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 20, 10, 30), ended_at=None)
    client.force_login(employee)
    html = client.get(reverse("dashboard")).content.decode()
    card = html[html.index("This week vs expected") :]
    assert ">3:30<" in card  # tracked this week: 2:00 + 1:30 running
    # Monday to Thursday's 32 h against Monday's 2:00, and today's 1:30 running fills today's share
    # (today counts as far as it is worked), so it is not ahead: −30:00, not −28:30 or −36:30.
    assert "−30:00" in card
    time_card = html[: html.index("This week vs expected")]
    assert "3:30" in time_card  # the Time card already counted it: the two agree


def test_dashboard_week_card_ignores_a_timer_started_before_the_week(client, employee, frozen):
    employee.date_joined = utc(2026, 3, 1, 6)
    employee.save()
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 13, 8), ended_at=None)  # last Friday
    client.force_login(employee)
    html = client.get(reverse("dashboard")).content.decode()
    card = html[html.index("This week vs expected") :]
    assert '<th scope="row">Tracked this week</th><td class="numeric">0:00<' in card


def test_reports_billable_filter_empty_choice_says_billable_and_not(client, employee, frozen):
    client.force_login(employee)
    html = client.get(reverse("reports:index")).content.decode()
    select = html[html.index('name="billable"') :]
    select = select[: select.index("</select>")]
    assert '<option value="" selected>Billable and not</option>' in select
    assert "All time" not in select  # a time range's words, not a billable filter's


@pytest.mark.parametrize(
    ("duration_format", "shown", "not_shown"), [("hm", ">2:30<", ">2.50<"), ("decimal", ">2.50 h<", ">2:30<")]
)
def test_import_preview_durations_follow_the_viewers_format(
    client, employee, catalog, data_file, settings, tmp_path, duration_format, shown, not_shown
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    employee.duration_format = duration_format
    employee.save()
    client.force_login(employee)
    upload = SimpleUploadedFile("toggl.csv", data_file("toggl_detailed.csv"), content_type="text/csv")
    preview = client.post(reverse("reports:import"), {"file": upload, "format": "toggl"}, follow=True)
    html = preview.content.decode()
    table = html[html.index('class="import-preview"') :]
    assert shown in table and not_shown not in table  # 09:00-11:30, the first row
    assert '<td class="import-start">2026-03-02 ' in table  # the cell the phone CSS keeps on one line
