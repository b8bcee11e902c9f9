"""Imports: Toggl, Clockify and our own CSV; row errors, all or nothing, duplicates, round trip."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from reports import imports, services
from reports.models import ImportedRow, ImportJob, JobStatus
from reports.summary import ReportFilters, summarize
from reports.tests.factories import TagFactory, TimeEntryFactory, utc
from timetracking.models import Project, Tag, TimeEntry

pytestmark = pytest.mark.django_db
IMPORT = reverse("api:report-import")


def _import(actor, user, data, file_format, **options):
    rows = services.parse_upload(data=data, file_format=file_format, user=user)
    return services.entries_import(actor=actor, user=user, rows=rows, **options)


def test_toggl_detailed_report(employee, catalog, data_file):
    result = _import(employee, employee, data_file("toggl_detailed.csv"), "toggl")
    assert (result["created"], result["skipped"], result["errors"]) == (4, 0, [])
    entries = list(TimeEntry.objects.for_user(employee).order_by("started_at").with_details())
    first = entries[0]
    assert first.started_at == utc(2026, 3, 2, 8)  # 09:00 in Berlin
    assert first.project == catalog["website"] and first.task.name == "Frontend"
    assert sorted(tag.name for tag in first.tags.all()) == ["development", "review"]
    assert first.billable is True and first.source == TimeEntry.Source.IMPORT
    overnight = entries[-1]
    assert overnight.hours == Decimal("1.00")  # 23:30 to 00:30 the next day
    assert sum(entry.hours for entry in entries) == Decimal("8.25")


def test_clockify_detailed_report(employee, catalog, data_file):
    result = _import(employee, employee, data_file("clockify_detailed.csv"), "clockify")
    assert result["created"] == 3
    entries = list(TimeEntry.objects.for_user(employee).order_by("started_at"))
    assert entries[0].started_at == utc(2026, 3, 5, 7, 30)  # 08:30 AM in Berlin
    assert entries[1].ended_at == utc(2026, 3, 5, 14, 15)  # 03:15 PM
    assert sum(entry.hours for entry in entries) == Decimal("7.25")
    assert entries[2].task is None


def test_reimporting_the_same_file_creates_no_duplicates(employee, catalog, data_file):
    _import(employee, employee, data_file("toggl_detailed.csv"), "toggl")
    again = _import(employee, employee, data_file("toggl_detailed.csv"), "toggl")
    assert (again["created"], again["skipped"]) == (0, 4)
    assert TimeEntry.objects.for_user(employee).count() == 4
    assert ImportedRow.objects.for_user(employee).count() == 4


def test_a_deleted_entry_can_be_imported_again(employee, catalog, data_file):
    _import(employee, employee, data_file("toggl_detailed.csv"), "toggl")
    TimeEntry.objects.for_user(employee).order_by("started_at").first().delete()
    again = _import(employee, employee, data_file("toggl_detailed.csv"), "toggl")
    assert (again["created"], again["skipped"]) == (1, 3)


def test_each_refused_row_is_reported_by_line_and_nothing_is_saved(employee, catalog, data_file):
    with pytest.raises(services.ImportRefused) as refused:
        _import(employee, employee, data_file("toggl_bad_rows.csv"), "toggl")
    errors = {row["row"]: row["errors"] for row in refused.value.errors}
    assert set(errors) == {3, 4, 5}
    assert "started_at" in errors[3]
    assert errors[4]["ended_at"] == ["The end must be after the start."]
    assert errors[5]["code"] == "overlap"  # the existing overlap rule, against the file's first row
    assert not TimeEntry.objects.exists()  # all or nothing: the good first row is not saved either
    assert not ImportedRow.objects.exists()


def test_overlap_with_an_existing_entry_is_refused(employee, catalog, data_file):
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 2, 9), ended_at=utc(2026, 3, 2, 10))
    with pytest.raises(services.ImportRefused) as refused:
        _import(employee, employee, data_file("toggl_detailed.csv"), "toggl")
    assert [row["row"] for row in refused.value.errors] == [2]
    assert TimeEntry.objects.count() == 1


def test_unknown_names_are_row_errors_unless_created(employee, manager, data_file):
    with pytest.raises(services.ImportRefused) as refused:
        _import(employee, employee, data_file("clockify_detailed.csv"), "clockify")
    assert "project" in refused.value.errors[0]["errors"]
    # Employees may not create projects, even when asking for it.
    with pytest.raises(services.ImportRefused) as refused:
        _import(employee, employee, data_file("clockify_detailed.csv"), "clockify", create_missing=True)
    assert "only HR and managers" in refused.value.errors[0]["errors"]["project"][0]
    # A manager may.
    result = _import(manager, manager, data_file("clockify_detailed.csv"), "clockify", create_missing=True)
    assert result["created"] == 3
    assert Project.objects.filter(name="Website relaunch", client__name="Acme Corp").exists()
    assert set(Tag.objects.values_list("name", flat=True)) == {"development", "review", "meeting"}


def test_dry_run_saves_nothing_and_previews_each_row(employee, catalog, data_file):
    result = _import(employee, employee, data_file("toggl_detailed.csv"), "toggl", dry_run=True)
    assert result["created"] == 4 and result["dry_run"] is True
    assert [row["outcome"] for row in result["preview"]] == ["created"] * 4
    assert not TimeEntry.objects.exists()


def test_round_trip_export_then_import_gives_the_same_totals(client_for, employee, colleague, catalog):
    tag = TagFactory(name="bugfix")
    start = utc(2026, 3, 2, 7, 15)
    for index in range(6):
        TimeEntryFactory(
            user=employee,
            project=catalog["website"] if index % 2 else None,
            started_at=start.replace(day=2 + index),
            ended_at=start.replace(day=2 + index, hour=9 + index % 3, minute=40),
            description=f"=Entry {index}, with a comma" if index == 0 else f"Entry {index}",
            billable=bool(index % 2),
            tags=[tag] if index % 3 == 0 else [],
        )
    exported = client_for(employee).get(reverse("api:report-export"), {"from": "2026-03-01", "to": "2026-03-31"})
    data = b"".join(exported.streaming_content)
    filters = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31), users=[employee])
    before = {key: summarize(filters, [key]) for key in ("day", "project", "tag")}

    # Into another user's account (their own import) ...
    result = _import(colleague, colleague, data, "native")
    assert result["created"] == 6
    other = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31), users=[colleague])
    for key, report in before.items():
        after = summarize(other, [key])
        assert after["total"] == report["total"], key
        assert [row["seconds"] for row in after["rows"]] == [row["seconds"] for row in report["rows"]], key
    assert TimeEntry.objects.for_user(colleague).filter(description="=Entry 0, with a comma").exists()
    # ... and back into the same account after deleting: the same totals again, no duplicates.
    TimeEntry.objects.for_user(employee).delete()
    assert _import(employee, employee, data, "native")["created"] == 6
    assert summarize(filters, ["day"])["total"] == before["day"]["total"]
    assert _import(employee, employee, data, "native")["skipped"] == 6


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Foo,Bar\n1,2\n", "missing column"),
        (b"", "missing column"),
        (b"User,Email,Client,Project,Task,Description,Billable,Start,End,Tags\n", "no rows"),
    ],
)
def test_unreadable_files_are_a_file_error(employee, content, message):
    with pytest.raises(services.ReportError) as error:
        rows = services.parse_upload(data=content, file_format="native", user=employee)
        services.entries_import(actor=employee, user=employee, rows=rows)
    assert error.value.field == "file"
    assert message in error.value.message


def test_long_values_are_row_errors(employee):
    header = "User,Email,Client,Project,Task,Description,Billable,Start,End,Tags\n"
    row = f",,,,,{'x' * 1001},No,2026-03-02T09:00:00+01:00,2026-03-02T10:00:00+01:00,{'t' * 51}\n"
    rows = imports.parse((header + row).encode(), "native", employee.tzinfo)
    assert set(rows[0].errors) == {"description", "tags"}


def test_only_hr_imports_for_someone_else(employee, manager, hr, outsider, catalog, data_file):
    with pytest.raises(services.ReportError) as error:
        _import(manager, employee, data_file("toggl_detailed.csv"), "toggl")
    assert error.value.kind == "invalid"
    with pytest.raises(services.ReportNotFound):
        _import(outsider, employee, data_file("toggl_detailed.csv"), "toggl")
    assert _import(hr, employee, data_file("toggl_detailed.csv"), "toggl")["created"] == 4


# --- API -------------------------------------------------------------------------------------


def _upload(data, name="report.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_api_import(client_for, employee, catalog, data_file, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(employee)
    response = client.post(
        IMPORT, {"file": _upload(data_file("toggl_detailed.csv")), "format": "toggl"}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 4
    again = client.post(
        IMPORT, {"file": _upload(data_file("toggl_detailed.csv")), "format": "toggl"}, format="multipart"
    )
    assert again.json()["skipped"] == 4


def test_api_import_refused_rows(client_for, employee, catalog, data_file, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = client_for(employee).post(
        IMPORT, {"file": _upload(data_file("toggl_bad_rows.csv")), "format": "toggl"}, format="multipart"
    )
    assert response.status_code == 400
    assert [row["row"] for row in response.json()["errors"]] == [3, 4, 5]
    assert not TimeEntry.objects.exists()


def test_api_import_dry_run_and_bad_input(client_for, employee, outsider, catalog, data_file):
    client = client_for(employee)
    response = client.post(
        IMPORT,
        {"file": _upload(data_file("toggl_detailed.csv")), "format": "toggl", "dry_run": True},
        format="multipart",
    )
    assert response.status_code == 200 and response.json()["created"] == 4
    assert not TimeEntry.objects.exists()
    response = client.post(IMPORT, {"file": _upload(b"x"), "format": "excel"}, format="multipart")
    assert response.status_code == 400 and "format" in response.json()
    response = client.post(
        IMPORT,
        {"file": _upload(data_file("toggl_detailed.csv")), "format": "toggl", "user": outsider.pk},
        format="multipart",
    )
    assert response.status_code == 404


def test_large_import_runs_as_a_job_with_progress(
    client_for, employee, manager, catalog, data_file, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_ASYNC_IMPORT_THRESHOLD = 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(employee).post(
            IMPORT, {"file": _upload(data_file("toggl_detailed.csv")), "format": "toggl"}, format="multipart"
        )
    assert response.status_code == 202
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert (job.status, job.created_count) == (JobStatus.DONE, 4)
    assert ImportedRow.objects.filter(job=job).count() == 4
    detail = reverse("api:report-import-job-detail", args=[job.pk])
    assert client_for(employee).get(detail).json()["processed_rows"] == 4
    assert client_for(manager).get(detail).status_code == 404
    with pytest.raises(services.ImportConflict):
        services.import_job_start(job=job)


def test_a_refused_job_records_its_errors(employee, catalog, data_file, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = services.import_job_create(
        requested_by=employee, user=employee, uploaded=_upload(data_file("toggl_bad_rows.csv")), file_format="toggl"
    )
    job = services.import_job_run(job_id=job.pk)
    assert job.status == JobStatus.FAILED
    assert [row["row"] for row in job.errors] == [3, 4, 5]
    assert not TimeEntry.objects.exists()


# --- Command ---------------------------------------------------------------------------------


def test_management_command(employee, catalog, tmp_path, data_file):
    path = tmp_path / "toggl.csv"
    path.write_bytes(data_file("toggl_detailed.csv"))
    out = io.StringIO()
    call_command("import_time_entries", str(path), "--format", "toggl", "--user", "employee", stdout=out)
    assert "Imported 4 entries" in out.getvalue()
    call_command("import_time_entries", str(path), "--format", "toggl", "--user", "employee", stdout=out)
    assert "4 already imported" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(data_file("toggl_bad_rows.csv"))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_time_entries", str(bad), "--format", "toggl", "--user", "employee", stderr=err)
    assert "line 3" in err.getvalue()
    with pytest.raises(CommandError):
        call_command("import_time_entries", str(path), "--format", "toggl", "--user", "nobody")


def test_native_header_matches_the_export_columns():
    from reports.exports import ENTRY_COLUMNS

    assert set(imports.NATIVE_COLUMNS) <= set(ENTRY_COLUMNS)
    reader = csv.reader(io.StringIO(",".join(ENTRY_COLUMNS)))
    assert next(reader) == ENTRY_COLUMNS
    assert datetime.fromisoformat("2026-03-02T09:00:00+01:00").utcoffset().total_seconds() == 3600


def test_nul_characters_are_row_errors(employee):
    header = "User,Email,Client,Project,Task,Description,Billable,Start,End,Tags\n"
    row = ",,,,,bad\x00text,No,2026-03-02T09:00:00+01:00,2026-03-02T10:00:00+01:00,a\x00b\n"
    rows = imports.parse((header + row).encode(), "native", employee.tzinfo)
    assert set(rows[0].errors) == {"description", "tags"}


def test_an_import_and_its_progress_work_with_the_cache_down(
    client_for, employee, catalog, data_file, settings, tmp_path
):
    """The progress lives in the cache (Redis): Redis down, the page shows 0 and the import still runs."""
    from core.breaker import breaker_for

    settings.MEDIA_ROOT = tmp_path
    nowhere = "redis://127.0.0.1:1/0"  # nothing listens: connection refused
    settings.CACHES = {"default": {"BACKEND": "core.cache.BreakerRedisCache", "LOCATION": nowhere}}
    try:
        job = services.import_job_create(
            requested_by=employee, user=employee, uploaded=_upload(data_file("toggl_detailed.csv")), file_format="toggl"
        )
        detail = reverse("api:report-import-job-detail", args=[job.pk])
        assert client_for(employee).get(detail).json()["processed_rows"] == 0
        job = services.import_job_run(job_id=job.pk)
        assert (job.status, job.created_count) == (JobStatus.DONE, 4)
        assert client_for(employee).get(detail).json()["processed_rows"] == 4
    finally:
        breaker_for(nowhere).reset()
