"""Export and import jobs whose Celery worker is killed mid-run: the task comes back (acks_late +
reject_on_worker_lost), the next worker sees the job's run is dead and runs it again, and the
job has one effect: one file with every row once, every imported row once. Real worker processes
on the real Redis broker and PostgreSQL.

To be sure the kill lands mid-run, the test holds an exclusive lock on the entries table: the
first worker has claimed the job and waits on that lock when it is killed."""

import time
from datetime import date

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from config.celery import app
from config.tests.servers import CeleryWorker, test_database_url, wait_for
from reports import exports
from reports.models import ExportJob, ImportedRow, ImportJob, JobStatus
from reports.summary import ReportFilters
from reports.tasks import run_export, run_import
from reports.tests.factories import TimeEntryFactory, utc
from timetracking.models import TimeEntry

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL: real workers on the Redis broker"),
    pytest.mark.django_db(transaction=True),
]

VISIBILITY_TIMEOUT = 3
STALE_SECONDS = 2


@pytest.fixture
def workers(tmp_path, settings):
    """Start workers with `workers.start()`; eager Celery is off meanwhile, the queue empty."""
    settings.MEDIA_ROOT = tmp_path / "media"
    log_path = tmp_path / "workers.log"
    started = []

    class Workers:
        log = log_path

        @staticmethod
        def start():
            worker = CeleryWorker(
                log_path,
                CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
                REPORTS_JOB_STALE_SECONDS=str(STALE_SECONDS),
                MEDIA_ROOT=str(settings.MEDIA_ROOT),
            )
            started.append(worker)
            return worker

        @staticmethod
        def tail():
            return log_path.read_text(errors="replace")[-3000:] if log_path.exists() else ""

    app.control.purge()
    app.conf.task_always_eager = False
    try:
        yield Workers
    finally:
        app.conf.task_always_eager = True
        for worker in started:
            worker.stop()


class EntriesLocked:
    """Another connection holding ACCESS EXCLUSIVE on the entries table until released."""

    def __enter__(self):
        self.connection = psycopg.connect(test_database_url().replace("postgres://", "postgresql://"))
        self.connection.execute(f"LOCK TABLE {TimeEntry._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        return self

    def a_backend_waits(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            return cursor.fetchone()[0] > 0

    def release(self):
        if not self.connection.closed:
            self.connection.rollback()
            self.connection.close()

    def __exit__(self, *exc):
        self.release()


def _kill_mid_run(workers, model, job_id, task):
    """Queue the job, let a worker claim it and block on the entries lock, kill it there."""
    with EntriesLocked() as lock:
        task.apply_async(args=[job_id])
        first = workers.start()
        assert wait_for(lambda: model.objects.get(pk=job_id).status == JobStatus.RUNNING, 90), (
            "the first worker never started the job:\n" + workers.tail()
        )
        assert wait_for(lock.a_backend_waits, 30), "the worker is not waiting on the entries table"
        first.kill()
        job = model.objects.get(pk=job_id)
        assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)  # it died mid-run
    time.sleep(VISIBILITY_TIMEOUT + 1)  # then the broker hands its task to the next worker
    return job


def test_an_export_whose_worker_was_killed_is_written_again_once(workers, employee, settings):
    for day in range(1, 21):
        TimeEntryFactory(user=employee, started_at=utc(2026, 3, day, 8))
    filters = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31), users=[employee])
    job = ExportJob.objects.create(requested_by=employee, params={**filters.as_params(), "group_by": []}, total_rows=20)
    job = _kill_mid_run(workers, ExportJob, job.pk, run_export)
    assert not job.file
    # The task comes back; the job's heartbeat is older than REPORTS_JOB_STALE_SECONDS by then.
    workers.start()
    assert wait_for(lambda: ExportJob.objects.get(pk=job.pk).is_finished, 90), (
        "the export was not run again after its worker died:\n" + workers.tail()
    )
    job.refresh_from_db()
    assert (job.status, job.attempts, job.processed_rows) == (JobStatus.DONE, 2, 20), job.error
    with job.file.open("rb") as handle:
        lines = handle.read().decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(exports.ENTRY_COLUMNS)
    assert len(lines) == 21 and len(set(lines)) == 21  # every entry once
    stored = list((settings.MEDIA_ROOT / "reports" / "exports").rglob("*.csv"))
    assert [path.name for path in stored] == [job.file_name]  # one file: the dead run wrote none


def test_an_import_whose_worker_was_killed_is_imported_again_once(workers, employee, catalog, toggl_import_job):
    job = toggl_import_job(employee, status=JobStatus.QUEUED)
    _kill_mid_run(workers, ImportJob, job.pk, run_import)
    assert not TimeEntry.objects.exists()  # the dead run's transaction was rolled back
    workers.start()
    assert wait_for(lambda: ImportJob.objects.get(pk=job.pk).is_finished, 90), (
        "the import was not run again after its worker died:\n" + workers.tail()
    )
    job.refresh_from_db()
    assert (job.status, job.attempts, job.created_count, job.skipped_count) == (JobStatus.DONE, 2, 4, 0), job.errors
    assert TimeEntry.objects.filter(user=employee).count() == 4
    assert ImportedRow.objects.filter(job=job).count() == 4
