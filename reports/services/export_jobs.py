"""Exports: a small one answered at once, a large one as a job a Celery worker writes to
storage (the file formats themselves are in reports.exports)."""

import logging
import tempfile
from collections.abc import Iterable
from datetime import timedelta
from typing import IO

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.languages import in_language_of
from accounts.models import User
from core.tasks import enqueue_on_commit
from reports import exports
from reports.models import ExportFormat, ExportJob, ExportKind, JobStatus
from reports.money import money_view
from reports.services.common import _claim
from reports.summary import ReportError, ReportFilters, summarize

logger = logging.getLogger(__name__)


def export_is_large(row_count: int) -> bool:
    threshold: int = settings.REPORTS_ASYNC_EXPORT_THRESHOLD
    return row_count > threshold


@transaction.atomic
def export_job_create(
    *,
    requested_by: User,
    filters: ReportFilters,
    export_format: str,
    kind: str = ExportKind.ENTRIES,
    group_by: Iterable[str] | None = None,
    total_rows: int = 0,
) -> ExportJob:
    """Record an export and hand it to a Celery worker once the job row is committed."""
    if export_format not in ExportFormat.values:
        raise ReportError(gettext("Export as csv or xlsx."), field="format")
    params = filters.as_params()
    params["group_by"] = list(group_by or [])
    job = ExportJob.objects.create(
        requested_by=requested_by, kind=kind, format=export_format, params=params, total_rows=total_rows
    )
    from reports.tasks import run_export  # cycle: reports.tasks imports reports.services

    enqueue_on_commit(run_export, job.pk, lost="jobs_requeue_waiting queues it again")
    return job


class _Superseded(Exception):
    """Another run took the job over (this one was thought dead): stop without writing anything."""


def _job_is_stale(job: ExportJob) -> bool:
    return job.heartbeat_at is None or job.heartbeat_at < timezone.now() - timedelta(
        seconds=settings.REPORTS_JOB_STALE_SECONDS
    )


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Write the export to storage, updating `processed_rows` and the heartbeat as it goes.

    Safe to run twice: the job's row lock lets one run start it. A running job whose heartbeat is
    older than REPORTS_JOB_STALE_SECONDS lost its worker (killed mid-run, so Celery redelivers the
    task, or `jobs_requeue_waiting` queues it again) and is run again from the start; exports write
    nothing but their file, so a re-run has one effect. Each run owns the job only while its
    number is the job's `attempts`: a run thought dead that wakes up stops at its next heartbeat,
    and never overwrites the job nor leaves a file behind."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        attempt = _claim(job, may_take_over=job.status == JobStatus.RUNNING and _job_is_stale(job))
    if attempt is None:
        return job
    mine = ExportJob.objects.filter(pk=job.pk, attempts=attempt, status=JobStatus.RUNNING)

    def progress(count: int) -> None:
        if not mine.update(processed_rows=count, heartbeat_at=timezone.now()):
            raise _Superseded

    try:
        filters = ReportFilters.from_params(job.params)
        # Headers and labels in the requester's language: the worker has no request to take it from.
        with in_language_of(job.requested_by), tempfile.TemporaryFile() as handle:
            if job.kind == ExportKind.SUMMARY:
                report = summarize(filters, job.params.get("group_by") or ["day"], money=money_view(job.requested_by))
                chunks = exports.csv_chunks(
                    exports.summary_columns(report), exports.summary_rows(report), progress=progress
                )
                _write_csv(handle, chunks)
            elif job.format == ExportFormat.XLSX:
                view = money_view(job.requested_by)
                rows = exports.entry_money_rows(filters, view)
                exports.write_xlsx(handle, exports.entry_columns(view), rows, progress=progress)
            else:
                view = money_view(job.requested_by)
                _write_csv(handle, exports.entry_csv_chunks(filters, progress=progress, money=view))
            handle.seek(0)
            name = job.file.field.generate_filename(job, job.file_name)
            name = job.file.storage.save(name, File(handle), max_length=job.file.field.max_length)
    except _Superseded:
        logger.warning("%s: run %s was taken over by a later run; it stops", job, attempt)
        job.refresh_from_db()
        return job
    except Exception as error:
        logger.exception("Export %s failed", job.pk)
        mine.update(status=JobStatus.FAILED, error=str(error)[:500], finished_at=timezone.now())
        job.refresh_from_db()
        return job
    done = mine.update(
        file=name,
        status=JobStatus.DONE,
        finished_at=timezone.now(),
        processed_rows=Greatest(F("processed_rows"), F("total_rows")),
    )
    if not done:  # taken over while the file was being stored: the later run's file is the one
        job.file.storage.delete(name)
        logger.warning("%s: run %s was taken over by a later run; its file is deleted", job, attempt)
    job.refresh_from_db()
    return job


def _write_csv(handle: IO[bytes], chunks: Iterable[bytes | str]) -> None:
    for chunk in chunks:  # bytes from PostgreSQL's COPY, text from Python's writer
        handle.write(chunk if isinstance(chunk, bytes) else chunk.encode())


def export_start(
    *,
    requested_by: User,
    filters: ReportFilters,
    export_format: str,
    kind: str = ExportKind.ENTRIES,
    group_by: list[str] | None = None,
) -> ExportJob | FileResponse | StreamingHttpResponse:
    """A small export is answered at once (returns an HTTP response); a large one becomes a job
    (returns the ExportJob)."""
    if export_format not in ExportFormat.values:
        raise ReportError(gettext("Export as csv or xlsx."), field="format")
    if kind not in ExportKind.values:
        raise ReportError(gettext("Export entries or summary."), field="kind")
    row_count = exports.entries_in_scope(filters).count() if kind == ExportKind.ENTRIES else 0
    if export_is_large(row_count):
        return export_job_create(
            requested_by=requested_by,
            filters=filters,
            export_format=export_format,
            kind=kind,
            group_by=group_by,
            total_rows=row_count,
        )
    return exports.export_now(
        filters,
        kind=kind,
        export_format=export_format,
        group_by=group_by or ["day"],
        money=money_view(requested_by),
    )
