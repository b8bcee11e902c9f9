"""Periodic housekeeping of report jobs: jobs a broker outage left waiting are queued again, and
finished jobs are deleted with their files after the retention period."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile

from reports import services
from reports.models import ExportJob, ImportJob, JobStatus
from reports.summary import ReportFilters
from reports.tests.factories import TimeEntryFactory, utc

pytestmark = pytest.mark.django_db

NOW = utc(2026, 3, 20, 12)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _export_job(user, *, status=JobStatus.PENDING, created=NOW, finished=None, content=None):
    filters = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31), users=[user])
    with time_machine.travel(created, tick=False):
        job = ExportJob.objects.create(requested_by=user, params={**filters.as_params(), "group_by": []}, total_rows=1)
    if content is not None or status == JobStatus.DONE:
        job.file.save("entries.csv", ContentFile(content or b"x"))
    ExportJob.objects.filter(pk=job.pk).update(status=status, finished_at=finished)
    job.refresh_from_db()
    return job


def _import_job(user, *, status, created=NOW, finished=None):
    with time_machine.travel(created, tick=False):
        job = ImportJob.objects.create(requested_by=user, user=user, format="native", status=status)
    job.file.save("upload.csv", ContentFile(b"User,Start\n"))
    if finished is not None:
        ImportJob.objects.filter(pk=job.pk).update(finished_at=finished)
    return job


def test_an_export_the_broker_never_got_is_queued_again_and_runs_once(employee, media):
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8))
    stale = _export_job(employee, created=NOW - timedelta(minutes=6))
    fresh = _export_job(employee, created=NOW - timedelta(minutes=1))
    done = _export_job(employee, status=JobStatus.DONE, created=NOW - timedelta(hours=1), finished=NOW)
    with time_machine.travel(NOW, tick=False):
        assert services.jobs_requeue_waiting() == 1  # eager Celery here: the job runs at once
        stale.refresh_from_db()
        assert stale.status == JobStatus.DONE and stale.processed_rows == 1 and stale.file.name
        assert services.jobs_requeue_waiting() == 0  # a second pass finds nothing: one effect
    fresh.refresh_from_db()
    done.refresh_from_db()
    assert fresh.status == JobStatus.PENDING
    assert done.status == JobStatus.DONE


def test_only_queued_imports_are_requeued_not_previews_waiting_for_their_user(employee, media):
    preview = _import_job(employee, status=JobStatus.PENDING, created=NOW - timedelta(hours=1))
    queued = _import_job(employee, status=JobStatus.QUEUED, created=NOW - timedelta(hours=1))
    with time_machine.travel(NOW, tick=False):
        assert services.jobs_requeue_waiting() == 1
    preview.refresh_from_db()
    queued.refresh_from_db()
    assert preview.status == JobStatus.PENDING
    assert queued.status in (JobStatus.DONE, JobStatus.FAILED)  # it ran (this file has no rows to import)


def test_purge_deletes_old_finished_jobs_and_their_files_only(employee, media, settings):
    settings.REPORTS_JOB_RETENTION_DAYS = 7
    old = _export_job(
        employee, status=JobStatus.DONE, created=NOW - timedelta(days=9), finished=NOW - timedelta(days=8), content=b"x"
    )
    recent = _export_job(
        employee, status=JobStatus.DONE, created=NOW - timedelta(days=2), finished=NOW - timedelta(days=2), content=b"y"
    )
    running = _export_job(employee, status=JobStatus.RUNNING, created=NOW - timedelta(days=30))
    old_import = _import_job(
        employee, status=JobStatus.FAILED, created=NOW - timedelta(days=9), finished=NOW - timedelta(days=9)
    )
    old_preview = _import_job(employee, status=JobStatus.PENDING, created=NOW - timedelta(days=9))
    files = {
        name: media / job.file.name
        for name, job in [("old", old), ("recent", recent), ("import", old_import), ("preview", old_preview)]
    }
    assert all(path.exists() for path in files.values())
    with time_machine.travel(NOW, tick=False):
        assert services.jobs_purge() == 3
    assert set(ExportJob.objects.values_list("pk", flat=True)) == {recent.pk, running.pk}
    assert not ImportJob.objects.exists()
    assert files["recent"].exists()
    assert not files["old"].exists() and not files["import"].exists() and not files["preview"].exists()


def test_the_housekeeping_tasks_are_scheduled():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"reports.tasks.requeue_waiting_jobs", "reports.tasks.purge_jobs"} <= tasks
    from reports import tasks

    assert tasks.requeue_waiting_jobs.name == "reports.tasks.requeue_waiting_jobs"
