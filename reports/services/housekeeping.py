"""Housekeeping (periodic tasks): queue again the jobs that lost their message or their
worker, and purge old jobs with their files."""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from reports.models import ExportJob, ImportJob, JobStatus


def jobs_requeue_waiting(*, older_than_minutes: int = 5) -> int:
    """Queue again the export and import jobs that never started (the broker was down when they
    were created, or their message was lost) and the running ones whose worker died mid-run
    (see `export_job_run` and `import_job_run`). Running a job twice has one effect (the runs
    take the job's row lock, and only a waiting job or a dead run's job starts), so this is safe
    at any time."""
    from reports.tasks import run_export, run_import  # cycle: reports.tasks imports reports.services

    moment = timezone.now() - timedelta(minutes=older_than_minutes)
    silent_since = timezone.now() - timedelta(seconds=settings.REPORTS_JOB_STALE_SECONDS)
    export_ids = list(ExportJob.objects.waiting_since(moment).values_list("pk", flat=True))
    export_ids += ExportJob.objects.running_without_heartbeat_since(silent_since).values_list("pk", flat=True)
    # A pending import is a preview waiting for its user, not for a worker: only queued ones.
    queued_imports = ImportJob.objects.waiting_since(moment).filter(status=JobStatus.QUEUED)
    import_ids = list(queued_imports.values_list("pk", flat=True))
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():  # a running import whose row nobody holds: its run died
            silent = ImportJob.objects.running_without_heartbeat_since(silent_since)
            import_ids += silent.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)
    for job_id in export_ids:
        run_export.apply_async(args=(job_id,), ignore_result=True)
    for job_id in import_ids:
        run_import.apply_async(args=(job_id,), ignore_result=True)
    return len(export_ids) + len(import_ids)


def _delete_with_files(jobs: QuerySet[ExportJob] | QuerySet[ImportJob]) -> int:
    removed = 0
    for job in jobs.only("pk", "file"):
        name = job.file.name
        job.delete()  # the row first: a failure never leaves a row whose file is gone
        if name:
            job.file.storage.delete(name)
        removed += 1
    return removed


def jobs_purge(*, older_than_days: int | None = None) -> int:
    """Delete export and import jobs (files included) finished more than REPORTS_JOB_RETENTION_DAYS
    ago, and import previews never imported that are as old."""
    days = settings.REPORTS_JOB_RETENTION_DAYS if older_than_days is None else older_than_days
    moment = timezone.now() - timedelta(days=days)
    return (
        _delete_with_files(ExportJob.objects.finished_before(moment))
        + _delete_with_files(ImportJob.objects.finished_before(moment))
        + _delete_with_files(ImportJob.objects.filter(status=JobStatus.PENDING, created_at__lt=moment))
    )
