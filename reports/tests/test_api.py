"""The report endpoints: permissions, parameters, query counts, exports and jobs."""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from reports.models import ExportJob, JobStatus
from reports.tests.factories import ApprovedLeaveFactory, ProjectFactory, TagFactory, TimeEntryFactory, utc

pytestmark = pytest.mark.django_db
SUMMARY = reverse("api:report-summary")
OVERTIME = reverse("api:report-overtime")
EXPORT = reverse("api:report-export")
LEAVE_EXPORT = reverse("api:report-leave-export")
RANGE = {"from": "2026-03-01", "to": "2026-03-31"}


def _entries(user, count, *, project=None, tags=(), first=0):
    start = utc(2026, 3, 2, 7) + timedelta(hours=3 * first)  # `first` skips slots: entries never overlap
    return [
        TimeEntryFactory(
            user=user,
            project=project,
            started_at=start + timedelta(hours=3 * index),
            ended_at=start + timedelta(hours=3 * index, minutes=90),
            tags=list(tags),
        )
        for index in range(count)
    ]


# --- Permission matrix -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "subject", "expected"),
    [
        ("employee", "employee", 200),
        ("employee", "colleague", 404),
        ("employee", "manager", 404),
        ("manager", "employee", 200),
        ("other_manager", "employee", 404),
        ("outsider", "employee", 404),
        ("hr", "employee", 200),
    ],
)
@pytest.mark.parametrize("url", [SUMMARY, OVERTIME, EXPORT])
def test_permission_matrix(request, client_for, url, viewer, subject, expected):
    viewer, subject = request.getfixturevalue(viewer), request.getfixturevalue(subject)
    _entries(subject, 2)
    response = client_for(viewer).get(url, {**RANGE, "user": subject.pk})
    assert response.status_code == expected
    if expected == 404:
        assert response.json()["user"] == ["No such user."]


def test_anonymous_is_refused(api_client):
    assert api_client.get(SUMMARY).status_code in (401, 403)


def test_summary_defaults_to_yourself(client_for, employee, colleague):
    _entries(employee, 2)
    _entries(colleague, 3)
    body = client_for(employee).get(SUMMARY, RANGE).json()
    assert body["users"] == [employee.pk]
    # An employee sees no money (billing/tests/test_summary_money.py): billing's keys are null.
    no_money = {"billed_seconds": None, "amount": None, "cost": None, "currency": None}
    assert body["total"] == {"seconds": 2 * 5400, "hours": "3.00", "billable_hours": "0.00", "entries": 2, **no_money}


def test_user_all_is_the_team_for_a_manager_and_everyone_for_hr(client_for, manager, employee, colleague, outsider, hr):
    for person in (employee, colleague, outsider):
        _entries(person, 1)
    team = client_for(manager).get(SUMMARY, {**RANGE, "user": "all", "group_by": "user"}).json()
    assert {row["user"] for row in team["rows"]} == {employee.pk, colleague.pk}
    everyone = client_for(hr).get(SUMMARY, {**RANGE, "user": "all", "group_by": "user"}).json()
    assert {row["user"] for row in everyone["rows"]} == {employee.pk, colleague.pk, outsider.pk}


def test_summary_two_levels_with_filters(client_for, employee):
    project, other = ProjectFactory(name="Alpha"), ProjectFactory(name="Beta")
    tag = TagFactory(name="review")
    _entries(employee, 2, project=project, tags=[tag])
    TimeEntryFactory(user=employee, project=other, started_at=utc(2026, 3, 10, 8), ended_at=utc(2026, 3, 10, 9))
    body = client_for(employee).get(SUMMARY, {**RANGE, "group_by": "week,project", "tag": tag.pk}).json()
    assert body["rows"] == [
        {
            "week": "2026-03-02",
            "project": project.pk,
            "project_name": "Alpha",
            "project_color": project.color,
            "seconds": 10800,
            "hours": "3.00",
            "billable_hours": "0.00",
            "entries": 2,
            "billed_seconds": None,
            "amount": None,
            "cost": None,
            "currency": None,
        }
    ]
    body = client_for(employee).get(SUMMARY, {**RANGE, "group_by": "project", "project": other.pk}).json()
    assert body["total"]["hours"] == "1.00"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "year"}, "group_by"),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"project": "abc"}, "project"),
        ({"billable": "maybe"}, "billable"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "from"),
    ],
)
def test_bad_parameters_are_field_errors(client_for, employee, params, field):
    response = client_for(employee).get(SUMMARY, params)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("group_by", ["day", "week,project", "tag", "user,month"])
def test_summary_query_count_does_not_grow_with_entries(
    client_for, manager, employee, colleague, django_assert_max_num_queries, group_by
):
    client = client_for(manager)
    project, tag = ProjectFactory(), TagFactory()
    _entries(employee, 2, project=project, tags=[tag])
    # With the money a manager sees: the entries read for pricing, their tags (by tag), the projects'
    # terms and the rates (billing.pricing).
    with django_assert_max_num_queries(10) as few:
        client.get(SUMMARY, {**RANGE, "user": "all", "group_by": group_by})
    _entries(colleague, 30, project=project, tags=[tag])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(SUMMARY, {**RANGE, "user": "all", "group_by": group_by})
    assert response.json()["total"]["entries"] >= 32


def test_overtime_query_count_does_not_grow_with_entries(client_for, employee, django_assert_max_num_queries):
    client = client_for(employee)
    _entries(employee, 2)
    with django_assert_max_num_queries(8) as few:
        client.get(OVERTIME, RANGE)
    _entries(employee, 30, first=2)
    ApprovedLeaveFactory(user=employee, start_date=utc(2026, 3, 20).date(), end_date=utc(2026, 3, 20).date())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(OVERTIME, RANGE).status_code == 200


def test_overtime_body(client_for, employee, frozen):
    employee.date_joined = utc(2026, 3, 2, 6)
    employee.save()
    _entries(employee, 2)  # 3 h on Monday 2 March
    body = client_for(employee).get(OVERTIME, {"from": "2026-03-02", "to": "2026-03-08", "group_by": "week"}).json()
    assert body["rows"] == [
        {
            "period": "2026-03-02",
            "expected_hours": "40.00",
            "actual_hours": "3.00",
            "overtime_hours": "-37.00",
            "balance_hours": "-37.00",
        }
    ]
    assert client_for(employee).get(OVERTIME, {"user": "all"}).status_code == 400
    assert client_for(employee).get(OVERTIME, {"group_by": "year"}).status_code == 400


# --- Exports ---------------------------------------------------------------------------------


def _csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_export_is_streamed_with_local_times_and_tags(client_for, employee):
    project = ProjectFactory(name="Alpha")
    tags = [TagFactory(name="b-tag"), TagFactory(name="a-tag")]
    TimeEntryFactory(
        user=employee,
        project=project,
        description="=HYPERLINK(evil)",
        started_at=utc(2026, 3, 2, 8),
        ended_at=utc(2026, 3, 2, 9, 30),
        tags=tags,
    )
    response = client_for(employee).get(EXPORT, {**RANGE, "format": "csv"})
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[0][:3] == ["User", "Email", "Client"]
    assert rows[1][3] == "Alpha"
    assert rows[1][5] == "'=HYPERLINK(evil)"  # formulas are defused
    assert rows[1][7] == "2026-03-02T09:00:00+01:00"
    assert rows[1][9] == "1.50"
    assert rows[1][10] == "a-tag, b-tag"


def test_csv_export_queries_do_not_grow_with_rows(
    client_for, employee, django_assert_max_num_queries, django_assert_num_queries
):
    tags = [TagFactory(), TagFactory()]
    _entries(employee, 3, tags=tags)
    _csv(client_for(employee).get(EXPORT, {**RANGE, "format": "csv"}))  # warm: one-time lookups are done
    with django_assert_max_num_queries(6) as few:
        rows = _csv(client_for(employee).get(EXPORT, {**RANGE, "format": "csv"}))
    assert len(rows) == 4
    _entries(employee, 60, tags=tags, first=3)
    # Tags come with the entries (a join): the same queries for 63 rows as for 3.
    with django_assert_num_queries(len(few.captured_queries)):
        rows = _csv(client_for(employee).get(EXPORT, {**RANGE, "format": "csv"}))
    assert len(rows) == 64


def test_xlsx_export(client_for, employee):
    _entries(employee, 3)
    response = client_for(employee).get(EXPORT, {**RANGE, "format": "xlsx"})
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    assert sheet.max_row == 4
    assert sheet.cell(row=2, column=10).value == 1.5


def test_summary_export(client_for, employee):
    _entries(employee, 2, project=ProjectFactory(name="Alpha"))
    response = client_for(employee).get(EXPORT, {**RANGE, "kind": "summary", "group_by": "week,project"})
    rows = _csv(response)
    assert rows[0] == ["Week", "Project id", "Project", "Hours", "Billable hours", "Entries"]
    assert rows[1][2:] == ["Alpha", "3.00", "0.00", "2"]
    assert rows[-1][0] == "Total"


def test_bad_export_format_is_400_in_json(client_for, employee):
    response = client_for(employee).get(EXPORT, {"format": "pdf"})
    assert response.status_code == 400
    assert response.json()["format"]


def test_large_export_runs_as_a_job_downloadable_only_by_its_owner(
    client_for, employee, manager, settings, django_capture_on_commit_callbacks, tmp_path
):
    settings.REPORTS_ASYNC_EXPORT_THRESHOLD = 3
    settings.MEDIA_ROOT = tmp_path
    _entries(employee, 5)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(employee).get(EXPORT, {**RANGE, "format": "csv"})
    assert response.status_code == 202
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert job.status == JobStatus.DONE and job.processed_rows == 5
    detail = client_for(employee).get(reverse("api:report-export-job-detail", args=[job.pk])).json()
    assert detail["progress"] == 100
    download = client_for(employee).get(detail["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content).decode("utf-8-sig").count("\n") == 6
    assert client_for(manager).get(detail["download_url"]).status_code == 404
    assert client_for(manager).get(reverse("api:report-export-job-detail", args=[job.pk])).status_code == 404


def test_leave_export_is_for_hr(client_for, hr, employee):
    ApprovedLeaveFactory(user=employee, start_date=utc(2026, 3, 2).date(), end_date=utc(2026, 3, 3).date())
    response = client_for(hr).get(LEAVE_EXPORT, {"from": "2026-03-01", "to": "2026-03-31"})
    assert response.status_code == 200
    rows = _csv(response)
    assert rows[1][:2] == ["employee", "employee@example.com"]
    assert rows[1][4:6] == ["2026-03-02", "2026-03-03"]
    assert client_for(employee).get(LEAVE_EXPORT).status_code == 403
    assert client_for(hr).get(LEAVE_EXPORT, {"from": "2026-03-01"}).status_code == 400


def test_entry_rows_are_read_in_chunks_by_one_query(employee, django_assert_num_queries):
    from datetime import date

    from reports import exports
    from reports.summary import ReportFilters

    _entries(employee, 5, tags=[TagFactory(), TagFactory()])
    filters = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31), users=[employee])
    rows = exports.entry_rows(filters, chunk_size=2)
    with django_assert_num_queries(1):  # the entries with their tags (a server-side cursor on PostgreSQL)
        first = next(rows)
    assert first[0] == "employee"
    with django_assert_num_queries(0):  # the next chunks come from the same cursor
        rest = list(rows)
    assert len(rest) == 4


@pytest.mark.parametrize("params", [{"from": "0001-01-01", "to": "0001-01-02"}, {"to": "9999-12-31"}])
def test_far_dates_are_field_errors_not_overflows(client_for, employee, params):
    for url in (SUMMARY, OVERTIME, EXPORT):
        response = client_for(employee).get(url, params)
        assert response.status_code == 400, url


def test_from_is_named_from_in_the_body(client_for, employee):
    body = client_for(employee).get(OVERTIME, RANGE).json()
    assert body["from"] == "2026-03-01" and "from_" not in body
    assert client_for(employee).get(SUMMARY, RANGE).json()["from"] == "2026-03-01"
