"""`reports/import/` is a thin adapter of `reports.services.import_upload`: the size limit and the
refused-import answer are the service's, the same for a dry run and an import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports import imports, services
from timetracking.models import TimeEntry

pytestmark = pytest.mark.django_db
IMPORT = reverse("api:report-import")


def _upload(data):
    return SimpleUploadedFile("report.csv", data, content_type="text/csv")


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_file_over_the_limit_is_one_400_for_a_dry_run_and_an_import(client_for, employee, monkeypatch, dry_run):
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 1024 * 1024)
    response = client_for(employee).post(
        IMPORT, {"file": _upload(b"x" * (1024 * 1024 + 1)), "format": "native", "dry_run": dry_run}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json() == {"file": ["The file is larger than 1 MB."], "code": "invalid"}


def test_a_refused_import_answers_the_services_error(client_for, employee, catalog, data_file, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = client_for(employee).post(
        IMPORT, {"file": _upload(data_file("toggl_bad_rows.csv")), "format": "toggl"}, format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["detail", "code", "errors"]
    assert (body["detail"], body["code"]) == ("3 row(s) were refused; nothing was imported.", "invalid_rows")
    assert [row["row"] for row in body["errors"]] == [3, 4, 5]
    assert not TimeEntry.objects.exists()


def test_the_service_answers_a_result_or_a_queued_job(employee, catalog, data_file, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    toggl = data_file("toggl_detailed.csv")
    outcome = services.import_upload(actor=employee, user=employee, uploaded=_upload(toggl), file_format="toggl")
    assert outcome.job is None and (outcome.result["created"], outcome.result["dry_run"]) == (4, False)
    settings.REPORTS_ASYNC_IMPORT_THRESHOLD = 2
    TimeEntry.objects.all().delete()
    queued = services.import_upload(actor=employee, user=employee, uploaded=_upload(toggl), file_format="toggl")
    assert queued.result is None and queued.job.total_rows == 4


def test_whose_time(employee, manager, hr, outsider):
    assert services.import_target(actor=employee, user_id=None) == employee
    assert services.import_target(actor=employee, user_id=employee.pk) == employee
    assert services.import_target(actor=hr, user_id=outsider.pk) == outsider
    assert services.import_target(actor=manager, user_id=employee.pk) == employee  # visible; the import says no
    with pytest.raises(services.ReportNotFound):
        services.import_target(actor=employee, user_id=outsider.pk)
