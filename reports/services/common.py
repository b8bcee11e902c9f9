"""What the export and import jobs share: the import errors (`ReportError` itself is defined
in reports.summary) and `_claim`, which starts a run of a job or refuses to."""

import logging
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.errors import Conflict
from reports.models import ExportJob, ImportJob, JobStatus
from reports.summary import ReportError

logger = logging.getLogger(__name__)


class ImportRefused(ReportError):
    """Some rows were refused; nothing was imported."""

    default_code = "invalid_rows"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} row(s) were refused; nothing was imported.")
        self.errors = errors

    def as_dict(self) -> dict[str, Any]:
        return {"detail": self.message, "code": self.code, "errors": self.errors}


class ImportConflict(ReportError, Conflict):
    """Another import of the same rows committed first (409)."""


def _claim(job: ExportJob | ImportJob, *, may_take_over: bool) -> int | None:
    """Start a run of `job` (its row locked by the caller) and return the run's number, or None
    when the job is not this run's to start. A running job is taken over only when
    `may_take_over`: its worker died mid-run. After REPORTS_JOB_MAX_ATTEMPTS runs the job fails
    instead, so a job that kills its worker every time is not run forever."""
    if job.status not in (JobStatus.PENDING, JobStatus.QUEUED) and not (
        job.status == JobStatus.RUNNING and may_take_over
    ):
        return None
    now = timezone.now()
    if job.attempts >= settings.REPORTS_JOB_MAX_ATTEMPTS:
        job.status, job.finished_at = JobStatus.FAILED, now
        message = f"Its worker stopped {job.attempts} times before it finished; try a smaller range."
        if isinstance(job, ExportJob):
            job.error = message
        else:
            job.errors = [{"row": None, "errors": {"detail": message, "code": "worker_lost"}}]
        job.save()
        logger.error("%s failed: %s", job, message)
        return None
    if job.status == JobStatus.RUNNING:
        logger.warning("%s: its worker stopped mid-run (run %s); running it again", job, job.attempts)
    job.status, job.heartbeat_at, job.processed_rows = JobStatus.RUNNING, now, 0
    job.attempts += 1
    job.save(update_fields=["status", "heartbeat_at", "processed_rows", "attempts"])
    return job.attempts
