"""A running export or import whose worker died is run again, once; a live run is left alone;
a run thought dead that wakes up stops without writing; a job that keeps losing its worker
fails with a reason. (Real killed workers: test_worker_crash.py.)"""

import threading
from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.storage import FileSystemStorage
from django.db import connection, transaction
from django.db.models import F

from reports import exports, services
from reports.models import ExportJob, ImportJob, JobStatus
from reports.summary import ReportFilters
from reports.tests.factories import TimeEntryFactory, utc
from timetracking.models import TimeEntry

NOW = utc(2026, 3, 20, 12)
STARTED = NOW - timedelta(minutes=10)  # when the import jobs below were started


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORTS_JOB_STALE_SECONDS = 120
    settings.REPORTS_JOB_MAX_ATTEMPTS = 3
    return tmp_path


def _stored_files(media):
    return sorted(path.name for path in media.rglob("*") if path.is_file())


def _running_export(user, *, silent_for, attempts=1):
    """An export some worker started `silent_for` ago and has not reported on since."""
    TimeEntryFactory(user=user, started_at=utc(2026, 3, 9, 8))
    TimeEntryFactory(user=user, started_at=utc(2026, 3, 10, 8))
    filters = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31), users=[user])
    job = ExportJob.objects.create(requested_by=user, params={**filters.as_params(), "group_by": []}, total_rows=2)
    ExportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=attempts, heartbeat_at=NOW - silent_for, processed_rows=1
    )
    return job


@pytest.mark.django_db
def test_a_running_export_whose_worker_went_silent_is_written_again(employee, media):
    job = _running_export(employee, silent_for=timedelta(seconds=121))
    with time_machine.travel(NOW, tick=False):
        job = services.export_job_run(job_id=job.pk)
    assert (job.status, job.attempts, job.processed_rows) == (JobStatus.DONE, 2, 2)
    assert _stored_files(media) == [job.file_name]
    with time_machine.travel(NOW, tick=False):  # the redelivered task of the dead run: one effect
        assert services.export_job_run(job_id=job.pk).attempts == 2
    assert _stored_files(media) == [job.file_name]


@pytest.mark.django_db
def test_a_running_export_with_a_recent_heartbeat_is_left_alone(employee, media):
    job = _running_export(employee, silent_for=timedelta(seconds=119))
    with time_machine.travel(NOW, tick=False):
        job = services.export_job_run(job_id=job.pk)
        assert services.jobs_requeue_waiting() == 0
    job.refresh_from_db()
    assert (job.status, job.attempts, job.processed_rows) == (JobStatus.RUNNING, 1, 1)
    assert _stored_files(media) == []


@pytest.mark.django_db
def test_an_export_that_lost_its_worker_too_often_fails_with_the_reason(employee, media):
    job = _running_export(employee, silent_for=timedelta(minutes=5), attempts=3)
    with time_machine.travel(NOW, tick=False):
        job = services.export_job_run(job_id=job.pk)
    assert (job.status, job.attempts, job.finished_at) == (JobStatus.FAILED, 3, NOW)
    assert job.error == "Its worker stopped 3 times before it finished; try a smaller range."
    assert _stored_files(media) == []


@pytest.mark.django_db
def test_requeue_runs_again_the_exports_whose_worker_went_silent(employee, colleague, media):
    dead = _running_export(employee, silent_for=timedelta(minutes=3))
    alive = _running_export(colleague, silent_for=timedelta(seconds=30))
    with time_machine.travel(NOW, tick=False):
        assert services.jobs_requeue_waiting() == 1  # eager Celery here: it runs at once
        assert services.jobs_requeue_waiting() == 0
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.status, dead.attempts) == (JobStatus.DONE, 2)
    assert (alive.status, alive.attempts) == (JobStatus.RUNNING, 1)


@pytest.mark.django_db
def test_a_running_export_from_before_heartbeats_is_run_again(employee, media):
    job = _running_export(employee, silent_for=timedelta(0))
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=None, attempts=0)
    with time_machine.travel(NOW, tick=False):
        assert services.jobs_requeue_waiting() == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)


def _take_over(job):
    """What a later run does to a job it believes dead (see services._claim)."""
    ExportJob.objects.filter(pk=job.pk).update(attempts=F("attempts") + 1)


@pytest.mark.django_db
def test_a_run_taken_over_midway_stops_at_its_next_heartbeat_and_writes_nothing(employee, media, monkeypatch):
    filters = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31), users=[employee])
    job = ExportJob.objects.create(requested_by=employee, params={**filters.as_params(), "group_by": []}, total_rows=4)

    def slow_chunks(filters, *, progress, money=None):
        yield "User\r\n"
        progress(2)
        _take_over(job)  # this run stalled long enough to be thought dead
        yield "more\r\n"
        progress(4)
        yield "never written\r\n"

    monkeypatch.setattr(exports, "entry_csv_chunks", slow_chunks)
    result = services.export_job_run(job_id=job.pk)
    assert (result.status, result.attempts, result.processed_rows) == (JobStatus.RUNNING, 2, 2)
    assert not result.file
    assert _stored_files(media) == []


@pytest.mark.django_db
def test_a_run_taken_over_while_storing_its_file_deletes_it(employee, media, monkeypatch):
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8))
    filters = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31), users=[employee])
    job = ExportJob.objects.create(requested_by=employee, params={**filters.as_params(), "group_by": []}, total_rows=1)
    save = FileSystemStorage.save

    def save_then_lose_the_job(storage, name, content, max_length=None):
        stored = save(storage, name, content, max_length=max_length)
        _take_over(job)
        return stored

    monkeypatch.setattr(FileSystemStorage, "save", save_then_lose_the_job)
    result = services.export_job_run(job_id=job.pk)
    assert (result.status, result.attempts) == (JobStatus.RUNNING, 2)
    assert not result.file
    assert _stored_files(media) == []


@pytest.mark.django_db
def test_a_failing_export_records_its_error_once(employee, media, monkeypatch):
    job = _running_export(employee, silent_for=timedelta(minutes=3))

    def broken(filters, *, progress, money=None):
        raise ValueError("disk full")
        yield  # pragma: no cover - a generator

    monkeypatch.setattr(exports, "entry_csv_chunks", broken)
    job = services.export_job_run(job_id=job.pk)
    assert (job.status, job.error, job.attempts) == (JobStatus.FAILED, "disk full", 2)
    assert job.finished_at is not None


# --- Imports: the run's transaction holds the job's row; a row nobody holds is a dead run ------


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_running_import_whose_run_died_is_imported_again_once(employee, catalog, toggl_import_job, media):
    job = toggl_import_job(employee, status=JobStatus.RUNNING, attempts=1, heartbeat_at=STARTED)
    with time_machine.travel(NOW, tick=False):
        assert services.jobs_requeue_waiting() == 1  # eager Celery: it runs at once
        assert services.jobs_requeue_waiting() == 0
    job.refresh_from_db()
    assert (job.status, job.attempts, job.created_count) == (JobStatus.DONE, 2, 4)
    assert TimeEntry.objects.filter(user=employee).count() == 4
    assert services.import_job_run(job_id=job.pk).attempts == 2  # a redelivered task: one effect


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_running_import_whose_run_is_alive_is_left_alone(employee, catalog, toggl_import_job, media):
    job = toggl_import_job(employee, status=JobStatus.RUNNING, attempts=1, heartbeat_at=STARTED)
    holding, release = threading.Event(), threading.Event()

    def live_run():  # what a live run's transaction does: it holds the job's row until it ends
        try:
            with transaction.atomic():
                ImportJob.objects.select_for_update().filter(pk=job.pk).values_list("pk", flat=True).get()
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=live_run)
    thread.start()
    try:
        assert holding.wait(10)
        with time_machine.travel(NOW, tick=False):
            assert services.jobs_requeue_waiting() == 0
            assert services.import_job_run(job_id=job.pk).status == JobStatus.RUNNING
    finally:
        release.set()
        thread.join()
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
    assert not TimeEntry.objects.exists()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_an_import_that_lost_its_worker_too_often_fails_with_the_reason(employee, catalog, toggl_import_job, media):
    job = toggl_import_job(employee, status=JobStatus.RUNNING, attempts=3, heartbeat_at=STARTED)
    with time_machine.travel(NOW, tick=False):
        job = services.import_job_run(job_id=job.pk)
    assert (job.status, job.attempts) == (JobStatus.FAILED, 3)
    assert job.errors == [
        {
            "row": None,
            "errors": {
                "detail": "Its worker stopped 3 times before it finished; try a smaller range.",
                "code": "worker_lost",
            },
        }
    ]
    assert not TimeEntry.objects.exists()


@pytest.mark.django_db
def test_on_sqlite_a_running_import_is_never_taken_over(employee, catalog, toggl_import_job, media):
    """SQLite has no row locks to tell a live run from a dead one: nothing is run twice there."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL tells a live run from a dead one (tests above)")
    job = toggl_import_job(employee, status=JobStatus.RUNNING, attempts=1, heartbeat_at=STARTED)
    with time_machine.travel(NOW, tick=False):
        assert services.jobs_requeue_waiting() == 0
        assert services.import_job_run(job_id=job.pk).status == JobStatus.RUNNING
    assert not TimeEntry.objects.exists()


@pytest.mark.django_db
def test_a_queued_import_runs_and_its_status_commits_with_its_rows(employee, catalog, toggl_import_job, media):
    job = services.import_job_run(job_id=toggl_import_job(employee, status=JobStatus.QUEUED).pk)
    assert (job.status, job.attempts, job.created_count, job.processed_rows) == (JobStatus.DONE, 1, 4, 4)
    assert job.heartbeat_at is not None
