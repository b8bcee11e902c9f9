"""The /reports/ pages and the dashboard panel."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports.models import ExportJob, ImportJob, JobStatus
from reports.tests.factories import ProjectFactory, TimeEntryFactory, utc
from timetracking.models import TimeEntry

pytestmark = pytest.mark.django_db
INDEX = reverse("reports:index")


@pytest.fixture
def logged_in(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def _entries(user, count, project=None, first=0):
    start = utc(2026, 3, 16, 7) + timedelta(hours=3 * first)  # `first` skips slots: entries never overlap
    for index in range(count):
        begin = start + timedelta(hours=3 * index)
        TimeEntryFactory(user=user, project=project, started_at=begin, ended_at=begin + timedelta(hours=2))


def test_index_shows_charts_data_tables_and_exports(logged_in, employee, frozen):
    _entries(employee, 3, ProjectFactory(name="Alpha"))
    response = logged_in(employee).get(INDEX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="chart-main"' in html and 'id="chart-expected"' in html
    assert "reports.js" in html and "<script>" not in html  # CSP: no inline script
    chart = response.context["chart"]
    assert chart["datasets"][0]["label"] == "Alpha"  # by day, then project (the defaults)
    assert json.loads(response.context["chart_json"]) == chart  # the data attribute reports.js reads
    assert response.context["report"]["total"]["hours"] == 6
    assert "Entries as CSV" in html


@pytest.mark.parametrize("who", ["all", "colleague"])
def test_index_query_count_does_not_grow_with_entries(
    logged_in, manager, employee, colleague, frozen, django_assert_max_num_queries, who
):
    client = logged_in(manager)
    params = {"user": "all" if who == "all" else colleague.pk}
    project = ProjectFactory()
    _entries(colleague, 2, project)
    with django_assert_max_num_queries(40) as few:
        client.get(INDEX, params)
    _entries(colleague, 25, project, first=2)
    _entries(employee, 5, project)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(INDEX, params).status_code == 200


@pytest.mark.parametrize(
    ("viewer", "subject", "expected"),
    [("manager", "employee", 200), ("hr", "employee", 200), ("other_manager", "employee", 404),
     ("outsider", "employee", 404), ("employee", "colleague", 404)],
)  # fmt: skip
def test_index_permissions(request, logged_in, viewer, subject, expected):
    viewer, subject = request.getfixturevalue(viewer), request.getfixturevalue(subject)
    assert logged_in(viewer).get(INDEX, {"user": subject.pk}).status_code == expected


def test_index_bad_dates_show_the_error(logged_in, employee):
    response = logged_in(employee).get(INDEX, {"from": "2026-03-10", "to": "2026-03-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


def test_page_export_streams_csv(logged_in, employee):
    _entries(employee, 2)
    response = logged_in(employee).get(reverse("reports:export"), {"from": "2026-03-01", "to": "2026-03-31"})
    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content).decode("utf-8-sig").count("\n") == 3


def test_large_page_export_shows_progress_then_a_download_only_for_its_owner(
    logged_in, client, employee, manager, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_ASYNC_EXPORT_THRESHOLD = 1
    _entries(employee, 3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = logged_in(employee).get(
            reverse("reports:export"), {"from": "2026-03-01", "to": "2026-03-31", "format": "xlsx"}
        )
    job = ExportJob.objects.get()
    assert response.url == reverse("reports:export-job", args=[job.pk])
    pending = client.get(response.url, headers={"HX-Request": "true"})
    assert b'hx-trigger="load delay:1s"' in pending.content and b"<progress" in pending.content
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    done = client.get(response.url, headers={"HX-Request": "true"})
    assert b"hx-get" not in done.content and b"Download" in done.content
    assert client.get(reverse("reports:export-download", args=[job.pk])).status_code == 200
    client.force_login(manager)
    assert client.get(reverse("reports:export-download", args=[job.pk])).status_code == 404
    assert client.get(reverse("reports:export-job", args=[job.pk])).status_code == 404


def test_import_upload_preview_and_run(logged_in, employee, outsider, catalog, data_file, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = logged_in(employee)
    assert client.get(reverse("reports:import")).status_code == 200
    upload = SimpleUploadedFile("toggl.csv", data_file("toggl_detailed.csv"), content_type="text/csv")
    response = client.post(reverse("reports:import"), {"file": upload, "format": "toggl"})
    job = ImportJob.objects.get()
    assert response.url == reverse("reports:import-job", args=[job.pk])
    preview = client.get(response.url)
    assert preview.context["preview"]["created"] == 4
    assert "Import 4 entries" in preview.content.decode()
    assert not TimeEntry.objects.exists()
    client.post(reverse("reports:import-run", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and TimeEntry.objects.count() == 4
    assert client.post(reverse("reports:import-run", args=[job.pk])).status_code == 302  # refused, no second run
    assert TimeEntry.objects.count() == 4
    client.force_login(outsider)
    assert client.get(reverse("reports:import-job", args=[job.pk])).status_code == 404


def test_import_page_shows_row_errors(logged_in, employee, catalog, data_file, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = logged_in(employee)
    upload = SimpleUploadedFile("bad.csv", data_file("toggl_bad_rows.csv"), content_type="text/csv")
    response = client.post(reverse("reports:import"), {"file": upload, "format": "toggl"}, follow=True)
    html = response.content.decode()
    assert "3 rows would be refused" in html
    assert "Import 1" not in html
    wrong = SimpleUploadedFile("bad.csv", b"Foo\n1\n", content_type="text/csv")
    response = client.post(reverse("reports:import"), {"file": wrong, "format": "toggl"})
    assert "missing column" in response.content.decode()


def test_dashboard_panel(logged_in, employee, frozen):
    employee.date_joined = utc(2026, 3, 16, 6)
    employee.save()
    _entries(employee, 2)  # 4 h on Monday 16 March; today is Friday 20 March
    html = logged_in(employee).get(reverse("dashboard")).content.decode()
    assert "This week vs expected" in html
    # In the viewer's format, as everywhere: 1:30 style by default, decimal hours when chosen.
    assert ">4:00<" in html and ">40:00<" in html
    # Monday to Thursday count 32 h expected against 4 h tracked; Friday (today) counts only as far
    # as it is worked (nothing yet): nobody is a day behind before the day is over.
    assert "−28:00" in html
    employee.duration_format = "decimal"
    employee.save()
    html = logged_in(employee).get(reverse("dashboard")).content.decode()
    assert ">4.00 h<" in html and ">40.00 h<" in html and "−28.00 h" in html


def test_index_filters_by_project_and_the_export_links_keep_the_filters(logged_in, employee, frozen):
    alpha, beta = ProjectFactory(name="Alpha"), ProjectFactory(name="Beta")
    _entries(employee, 2, alpha)
    _entries(employee, 1, beta, first=2)
    response = logged_in(employee).get(INDEX, {"project": beta.pk, "billable": "false"})
    assert response.context["report"]["total"]["hours"] == 2
    assert f"project={beta.pk}" in response.context["entries_export"]
    assert "billable=false" in response.context["entries_export"]
