"""The /reports/ page: every grouping and preset, the htmx fragment, team and everyone figures,
who may see whom, bad input (400 with the error at the field, never 500) and query counts."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import time_machine
from django.urls import reverse

from accounts.models import User
from reports.summary import DIMENSIONS
from reports.tests.factories import ApprovedLeaveFactory, ProjectFactory, TagFactory, TimeEntryFactory, UserFactory

pytestmark = pytest.mark.django_db
INDEX = reverse("reports:index")
JOINED = datetime(2026, 1, 1, 8, tzinfo=UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def logged_in(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def _joined_early(*users):
    """Expected hours start on the joining day: the fixtures' users joined when the test froze time."""
    User.objects.filter(pk__in=[user.pk for user in users]).update(date_joined=JOINED)
    for user in users:
        user.refresh_from_db()


def _work(user, day, hours, project=None, start_hour=7, billable=True):
    start = datetime(day.year, day.month, day.day, start_hour, tzinfo=UTC)
    return TimeEntryFactory(
        user=user, project=project, started_at=start, ended_at=start + timedelta(hours=hours), billable=billable
    )


def _range(response):
    filters = response.context["filters"]
    return filters.start, filters.end


# --- Presets (frozen: Friday 20 March 2026, 12:00 UTC) ---------------------------------------------


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("this_week", (date(2026, 3, 16), date(2026, 3, 22))),
        ("last_week", (date(2026, 3, 9), date(2026, 3, 15))),
        ("this_month", (date(2026, 3, 1), date(2026, 3, 31))),
        ("last_month", (date(2026, 2, 1), date(2026, 2, 28))),
        ("this_year", (date(2026, 1, 1), date(2026, 12, 31))),
    ],
)
def test_each_preset_resolves_to_its_dates_and_the_exports_carry_them(logged_in, employee, frozen, preset, expected):
    response = logged_in(employee).get(INDEX, {"preset": preset})
    assert response.status_code == 200
    assert _range(response) == expected
    exported = parse_qs(response.context["summary_export"])
    assert exported["from"] == [expected[0].isoformat()] and exported["to"] == [expected[1].isoformat()]
    assert "preset" not in exported  # the export endpoint gets dates, not a preset
    html = response.content.decode()
    assert f'<option value="{preset}" selected>' in html
    assert 'id="report-custom-dates" hidden' in html  # the date fields show for custom dates only


def test_no_preset_is_this_month_and_dates_alone_are_custom(logged_in, employee, frozen):
    client = logged_in(employee)
    assert _range(client.get(INDEX)) == (date(2026, 3, 1), date(2026, 3, 31))
    response = client.get(INDEX, {"from": "2026-02-10", "to": "2026-03-05"})
    assert _range(response) == (date(2026, 2, 10), date(2026, 3, 5))
    assert '<option value="custom" selected>' in response.content.decode()
    # With a preset, dates in the query are ignored (the fields are disabled then, and not sent).
    response = client.get(INDEX, {"preset": "last_week", "from": "2020-01-01", "to": "2020-01-02"})
    assert _range(response) == (date(2026, 3, 9), date(2026, 3, 15))


@pytest.mark.parametrize(
    ("moment", "preset", "expected"),
    [
        # Thursday 1 January 2026: the week began in 2025, last month was December.
        (datetime(2026, 1, 1, 12, tzinfo=UTC), "this_week", (date(2025, 12, 29), date(2026, 1, 4))),
        (datetime(2026, 1, 1, 12, tzinfo=UTC), "last_month", (date(2025, 12, 1), date(2025, 12, 31))),
        (datetime(2026, 1, 1, 12, tzinfo=UTC), "this_year", (date(2026, 1, 1), date(2026, 12, 31))),
        # 23:30 UTC on 31 March is already 1 April in Berlin: the viewer's own today counts.
        (datetime(2026, 3, 31, 23, 30, tzinfo=UTC), "this_month", (date(2026, 4, 1), date(2026, 4, 30))),
        (datetime(2026, 3, 31, 23, 30, tzinfo=UTC), "last_month", (date(2026, 3, 1), date(2026, 3, 31))),
        # 1 March 2024 (leap year): last month has 29 days.
        (datetime(2024, 3, 1, 12, tzinfo=UTC), "last_month", (date(2024, 2, 1), date(2024, 2, 29))),
        # Sunday 31 December 2023 closes its ISO week; 2024 begins on a Monday.
        (datetime(2023, 12, 31, 12, tzinfo=UTC), "this_week", (date(2023, 12, 25), date(2023, 12, 31))),
        (datetime(2024, 1, 1, 12, tzinfo=UTC), "last_week", (date(2023, 12, 25), date(2023, 12, 31))),
    ],
)
def test_presets_around_month_and_year_boundaries(logged_in, employee, moment, preset, expected):
    with time_machine.travel(moment, tick=False):
        response = logged_in(employee).get(INDEX, {"preset": preset})
    assert response.status_code == 200
    assert _range(response) == expected


# --- Groupings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("group_by", DIMENSIONS)
def test_each_grouping_shows_its_table_chart_and_export(logged_in, manager, employee, frozen, group_by):
    alpha = ProjectFactory(name="Alpha")
    tag = TagFactory(name="review")
    _work(employee, date(2026, 3, 16), 2, alpha).tags.set([tag])
    _work(manager, date(2026, 3, 17), 1.5, alpha)
    response = logged_in(manager).get(
        INDEX, {"preset": "this_week", "group_by": group_by, "sub_group": "none", "user": "all"}
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert report["group_by"] == group_by and report["sub_group"] is None
    chart = response.context["chart"]
    assert chart["labels"] == [group["label"] for group in report["groups"]]
    assert [len(dataset["values"]) for dataset in chart["datasets"]] == [len(report["groups"])]
    assert sum(chart["datasets"][0]["values"]) == pytest.approx(3.5)
    assert chart["horizontal"] is (group_by not in ("day", "week", "month"))
    html = response.content.decode()
    assert f'<th scope="col">{response.context["group_label"]}</th>' in html
    assert "3:30" in html  # the total through the hm filter, not "3.50 h"
    assert parse_qs(response.context["summary_export"])["group_by"] == [group_by]


def test_a_sub_group_nests_under_each_group_and_stacks_the_chart(logged_in, manager, employee, frozen):
    alpha, beta = ProjectFactory(name="Alpha", color="#112233"), ProjectFactory(name="Beta")
    _work(employee, date(2026, 3, 16), 2, alpha)
    _work(employee, date(2026, 3, 16), 1, beta, start_hour=10)
    _work(manager, date(2026, 3, 17), 4, beta)
    response = logged_in(manager).get(
        INDEX, {"preset": "this_week", "group_by": "user", "sub_group": "project", "user": "all"}
    )
    report = response.context["report"]
    by_person = {
        group["key"]: [(child["label"], child["seconds"]) for child in group["children"]] for group in report["groups"]
    }
    assert by_person == {employee.pk: [("Alpha", 7200), ("Beta", 3600)], manager.pk: [("Beta", 14400)]}
    chart = response.context["chart"]
    assert (chart["datasets"][0]["label"], chart["datasets"][0]["color"]) == ("Alpha", "#112233")
    order = [group["key"] for group in report["groups"]]
    beta_values = next(dataset["values"] for dataset in chart["datasets"] if dataset["label"] == "Beta")
    assert beta_values == [1.0 if key == employee.pk else 4.0 for key in order]
    assert parse_qs(response.context["summary_export"])["group_by"] == ["user,project"]
    html = response.content.decode()
    assert '<tr class="sub-row">' in html and "7:00" in html


# --- Expected and overtime -------------------------------------------------------------------------


def test_one_person_shows_expected_overtime_and_the_balance(logged_in, employee, frozen):
    _joined_early(employee)
    for offset in range(5):  # last week (9-15 March): 5 x 9 h against 40 h
        _work(employee, date(2026, 3, 9) + timedelta(days=offset), 9)
    response = logged_in(employee).get(INDEX, {"preset": "last_week", "group_by": "week"})
    person = response.context["person_overtime"]
    assert person["expected_seconds"] == 40 * 3600 and person["overtime_seconds"] == 5 * 3600
    html = response.content.decode()
    assert '<p class="figure" id="figure-expected">40:00</p>' in html
    assert '<p class="figure" id="figure-overtime">+5:00</p>' in html
    assert 'id="overtime-balance"' in html and 'id="chart-balance"' in html


def test_a_managers_team_sums_the_manager_and_their_reports(logged_in, manager, employee, colleague, outsider, frozen):
    _joined_early(manager, employee, colleague, outsider)
    User.objects.filter(pk=colleague.pk).update(weekly_hours=Decimal("20"), working_weekdays="1234")
    ApprovedLeaveFactory(user=employee, start_date=date(2026, 3, 13), end_date=date(2026, 3, 13))  # Friday
    _work(manager, date(2026, 3, 9), 10)
    _work(employee, date(2026, 3, 10), 8)
    _work(colleague, date(2026, 3, 11), 5)
    _work(outsider, date(2026, 3, 11), 8)  # another team: never counted
    response = logged_in(manager).get(INDEX, {"preset": "last_week", "user": "all"})
    team = response.context["team_overtime"]
    # Expected last week: manager 40 h, employee 32 h (a day of leave), colleague 20 h: 92 h.
    # Worked 10 + 8 + 5 = 23 h: overtime -69 h.
    assert team["expected_seconds"] == 92 * 3600
    assert team["actual_seconds"] == 23 * 3600
    assert team["overtime_seconds"] == -69 * 3600
    assert {row["user"] for row in team["people"]} == {manager.pk, employee.pk, colleague.pk}
    html = response.content.decode()
    assert '<p class="figure" id="figure-expected">92:00</p>' in html
    assert '<p class="figure" id="figure-overtime">−69:00</p>' in html
    assert 'id="people-table"' in html and 'id="overtime-balance"' not in html


def test_hr_sees_everyone_summed(logged_in, hr, manager, employee, outsider, other_manager, frozen):
    _joined_early(hr, manager, employee, outsider, other_manager)
    _work(outsider, date(2026, 3, 16), 6)
    _work(employee, date(2026, 3, 16), 2)
    response = logged_in(hr).get(INDEX, {"preset": "this_week", "user": "all"})
    team = response.context["team_overtime"]
    assert len(team["people"]) == 5
    # 5 people x 5 days x 8 h expected; Monday to Thursday are over and count, Friday 20 March is
    # today, with nothing worked yet, so it does not count yet: 8 h worked against 5 x 4 x 8 h.
    assert team["expected_seconds"] == 5 * 40 * 3600
    assert team["overtime_seconds"] == 8 * 3600 - 5 * 32 * 3600
    assert response.context["report"]["total"]["seconds"] == 8 * 3600
    assert "Everyone" in response.content.decode()


def test_project_filters_narrow_the_hours_but_not_expected_and_overtime(logged_in, employee, frozen):
    _joined_early(employee)
    alpha, beta = ProjectFactory(name="Alpha"), ProjectFactory(name="Beta")
    _work(employee, date(2026, 3, 16), 3, alpha)
    _work(employee, date(2026, 3, 16), 5, beta, start_hour=11)
    response = logged_in(employee).get(INDEX, {"preset": "this_week", "project": alpha.pk})
    assert response.context["report"]["total"]["seconds"] == 3 * 3600
    assert response.context["person_overtime"]["actual_seconds"] == 8 * 3600
    assert "expected and overtime count all of the time worked" in response.content.decode()


# --- htmx -----------------------------------------------------------------------------------------


def test_an_htmx_change_gets_the_results_fragment_and_back_gets_the_page(logged_in, employee, frozen):
    client = logged_in(employee)
    fragment = client.get(INDEX, {"preset": "last_week", "group_by": "project"}, **HTMX)
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "<html" not in html and 'id="report-form"' not in html
    assert 'id="report-chart-data"' in html and "<script" not in html  # htmx drops scripts from swaps
    assert 'id="error-from" class="error field-error" data-error-for="report-from" hx-swap-oob="true"' in html
    state = json.loads(fragment.context["state_json"])
    assert state["preset"] == "last_week" and state["from"] == "2026-03-09" and state["to"] == "2026-03-15"
    # A history restore that missed htmx's cache asks for the whole page.
    restored = client.get(
        INDEX, {"preset": "last_week"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restored.content.decode()


def test_the_empty_state_says_what_to_do_next(logged_in, employee, frozen):
    response = logged_in(employee).get(INDEX, {"preset": "last_week"})
    html = response.content.decode()
    assert "No time tracked from 9 Mar 2026 to 15 Mar 2026." in html
    assert "Last month" in html and reverse("timetracking:week") in html
    assert 'id="chart-main"' not in html
    # Nothing expected either (the employee joined after that week): no charts of zeros, no empty exports.
    assert 'id="chart-expected"' not in html and 'id="export-csv"' not in html


# --- Who may see whom --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "subject", "expected"),
    [("employee", "colleague", 404), ("employee", "manager", 404), ("manager", "outsider", 404),
     ("manager", "other_manager", 404), ("manager", "employee", 200), ("hr", "outsider", 200),
     ("other_manager", "employee", 404)],
)  # fmt: skip
def test_someone_elses_report_is_404_unless_you_may_see_it(request, logged_in, viewer, subject, expected):
    viewer, subject = request.getfixturevalue(viewer), request.getfixturevalue(subject)
    client = logged_in(viewer)
    assert client.get(INDEX, {"user": subject.pk}).status_code == expected
    assert client.get(INDEX, {"user": subject.pk}, **HTMX).status_code == expected
    # An id that does not exist looks the same.
    assert client.get(INDEX, {"user": 987654}).status_code == 404


def test_an_employees_everyone_is_themself(logged_in, employee, colleague, frozen):
    _work(colleague, date(2026, 3, 16), 4)
    _work(employee, date(2026, 3, 16), 1)
    response = logged_in(employee).get(INDEX, {"user": "all", "preset": "this_week"})
    assert [user.pk for user in response.context["filters"].users] == [employee.pk]
    assert response.context["report"]["total"]["seconds"] == 3600
    assert 'id="report-user"' not in response.content.decode()  # nobody else to choose


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"preset": "next_decade"}, "preset", "Choose one of the options in the list."),
        ({"group_by": "colour"}, "group_by", "Choose one of the options in the list."),
        ({"sub_group": "colour"}, "sub_group", "Choose one of the options in the list."),
        ({"group_by": "week", "sub_group": "week"}, "sub_group", "Choose a sub-group other than the grouping"),
        (
            {"preset": "custom", "from": "2026-03-10", "to": "2026-03-01"},
            "to",
            "The end date is before the start date.",
        ),
        ({"preset": "custom", "from": "2026-13-01", "to": "2026-03-01"}, "from", "Enter a date like 2026-03-31."),
        ({"preset": "custom", "from": "yesterday", "to": "2026-03-01"}, "from", "Enter a date like 2026-03-31."),
        ({"preset": "custom", "to": "2026-03-01"}, "from", "Enter the start date, e.g. 2026-03-31."),
        ({"preset": "custom", "from": "2026-03-01"}, "to", "Enter the end date, e.g. 2026-03-31."),
        ({"preset": "custom", "from": "1999-12-31", "to": "2026-03-01"}, "from", "Choose a date between"),
        ({"preset": "custom", "from": "2020-01-01", "to": "2026-03-01"}, "from", "A report covers at most three years"),
        ({"user": "abc"}, "user", "Choose a person from the list."),
        ({"user": "1" * 20}, "user", "Ensure this value has at most 12 characters"),
        ({"project": "999999"}, "project", "Choose a project from the list."),
        ({"project": "x"}, "project", "Choose a project from the list."),
        ({"billable": "maybe"}, "billable", "Choose one of the options in the list."),
    ],
)
def test_bad_input_is_a_400_with_the_error_at_the_field(logged_in, manager, employee, frozen, params, field, message):
    client = logged_in(manager)  # a manager: the person control is shown (their report, the employee)
    for extra in ({}, HTMX):
        response = client.get(INDEX, params, **extra)
        assert response.status_code == 400
        html = response.content.decode()
        error = html.split(f'id="error-{field}"', 1)[1].split("</small>", 1)[0]
        assert message.replace('"', "&quot;") in error.replace("&#x27;", "'"), html
        assert 'role="alert"' in error
        assert "could not be made from these choices" in html
        assert "Traceback" not in html


def test_a_bad_person_without_the_person_control_is_named_in_the_notice(logged_in, employee):
    response = logged_in(employee).get(INDEX, {"user": "abc"})
    assert response.status_code == 400
    assert "<li>Person: Choose a person from the list.</li>" in response.content.decode()


def test_grouping_by_project_alone_needs_no_sub_group(logged_in, employee, frozen):
    response = logged_in(employee).get(INDEX, {"group_by": "project"})
    assert response.status_code == 200
    assert response.context["report"]["sub_group"] is None


def test_a_bad_control_keeps_the_others_and_marks_itself_invalid(logged_in, employee, frozen):
    response = logged_in(employee).get(
        INDEX, {"preset": "custom", "from": "2026-03-10", "to": "2026-03-01", "group_by": "project"}
    )
    html = response.content.decode()
    assert 'name="to" value="2026-03-01"' in html and 'aria-invalid="true"' in html
    assert '<option value="project" selected>' in html
    assert 'id="report-custom-dates" hidden' not in html


# --- Query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("group_by", ["day", "project"])
def test_a_teams_page_costs_the_same_queries_for_more_people_and_entries(
    logged_in, manager, frozen, django_assert_max_num_queries, django_assert_num_queries, group_by
):
    project = ProjectFactory()

    def add_reports(prefix, count):
        for index in range(count):
            person = UserFactory(username=f"{prefix}{index}", manager=manager, date_joined=JOINED)
            for day in range(16, 20):
                _work(person, date(2026, 3, day), 8, project)
            ApprovedLeaveFactory(user=person, start_date=date(2026, 3, 20), end_date=date(2026, 3, 20))

    client = logged_in(manager)
    params = {"preset": "this_week", "user": "all", "group_by": group_by, "sub_group": "user"}
    add_reports("few", 2)
    client.get(INDEX, params)  # warm the session and the per-request caches
    with django_assert_max_num_queries(40) as few:
        assert client.get(INDEX, params).status_code == 200
    add_reports("many", 6)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(INDEX, params)
    assert len(response.context["team_overtime"]["people"]) == 9


def test_durations_follow_the_viewers_format_in_table_figures_and_chart(logged_in, employee, frozen):
    User.objects.filter(pk=employee.pk).update(duration_format="decimal")
    _work(employee, date(2026, 3, 16), 3.5, ProjectFactory(name="Alpha"))
    response = logged_in(employee).get(INDEX, {"preset": "this_week", "group_by": "project"})
    html = response.content.decode()
    assert '<p class="figure" id="figure-tracked">3.50 h</p>' in html
    assert "3:30" not in html
    chart = response.context["chart"]
    assert chart["sample"] == "1.50 h"  # reports.js spells the axis like this
    assert chart["datasets"][0]["texts"] == ["3.50 h"] and chart["datasets"][0]["values"] == [3.5]
