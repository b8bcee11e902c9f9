"""Export and import jobs, and the key of every imported row (what makes re-imports idempotent).

Reports themselves have no tables: they are aggregates over timetracking's entries (see
`summary.py` and `overtime.py`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Self, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from accounts.models import User


class JobStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("Waiting")
    QUEUED = "queued", gettext_lazy("Queued for a worker")
    RUNNING = "running", gettext_lazy("Running")
    DONE = "done", gettext_lazy("Done")
    FAILED = "failed", gettext_lazy("Failed")


FINISHED_STATUSES = [JobStatus.DONE, JobStatus.FAILED]


class ExportFormat(models.TextChoices):
    CSV = "csv", gettext_lazy("CSV")
    XLSX = "xlsx", gettext_lazy("Excel (XLSX)")


class ExportKind(models.TextChoices):
    ENTRIES = "entries", gettext_lazy("Time entries")
    SUMMARY = "summary", gettext_lazy("Summary")


class ImportFormat(models.TextChoices):
    TOGGL = "toggl", gettext_lazy("Toggl Track detailed report (CSV)")
    CLOCKIFY = "clockify", gettext_lazy("Clockify detailed report (CSV)")
    NATIVE = "native", gettext_lazy("Timetrack export (CSV)")


# The manager of both job models.
JobT = TypeVar("JobT", bound="ExportJob | ImportJob")


class JobQuerySet(models.QuerySet[JobT]):
    def for_user(self, user: User) -> Self:
        """A job is only ever visible to the person who asked for it (everyone else: 404)."""
        return self.filter(requested_by=user)

    def waiting_since(self, moment: datetime) -> Self:
        """Jobs handed to the workers (pending exports, queued imports) before `moment` and never started."""
        return self.filter(status__in=[JobStatus.PENDING, JobStatus.QUEUED], created_at__lt=moment)

    def finished_before(self, moment: datetime) -> Self:
        return self.filter(status__in=FINISHED_STATUSES, finished_at__lt=moment)

    def running_without_heartbeat_since(self, moment: datetime) -> Self:
        """Running jobs whose worker has given no sign of life since `moment` (it died mid-run);
        a running job without any heartbeat was started before heartbeats were kept."""
        return self.filter(Q(heartbeat_at__lt=moment) | Q(heartbeat_at__isnull=True), status=JobStatus.RUNNING)


def export_path(instance: ExportJob, filename: str) -> str:
    # The stored name is random: a download URL never reveals or guesses another job's file.
    return f"reports/exports/{uuid.uuid4().hex}/{filename}"


def import_path(instance: ImportJob, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1][:10] if "." in filename else "csv"
    return f"reports/imports/{uuid.uuid4().hex}.{extension}"


class ExportJob(models.Model):
    """A large export running as a Celery task; the page polls `progress`, then downloads `file`."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_exports",
        verbose_name=gettext_lazy("requested by"),
    )
    kind = models.CharField(
        max_length=10, choices=ExportKind.choices, default=ExportKind.ENTRIES, verbose_name=gettext_lazy("kind")
    )
    format = models.CharField(
        max_length=4, choices=ExportFormat.choices, default=ExportFormat.CSV, verbose_name=gettext_lazy("format")
    )
    params = models.JSONField(
        default=dict,
        help_text=gettext_lazy("The resolved filters: dates, user ids, projects ..."),
        verbose_name=gettext_lazy("params"),
    )
    status = models.CharField(
        max_length=7, choices=JobStatus.choices, default=JobStatus.PENDING, verbose_name=gettext_lazy("status")
    )
    total_rows = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("total rows"))
    processed_rows = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("processed rows"))
    file = models.FileField(upload_to=export_path, blank=True, max_length=200, verbose_name=gettext_lazy("file"))
    error = models.CharField(max_length=500, blank=True, verbose_name=gettext_lazy("error"))
    attempts = models.PositiveSmallIntegerField(
        default=0,
        help_text=gettext_lazy("Runs started; each run owns the job only while this is still its number."),
        verbose_name=gettext_lazy("attempts"),
    )
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=gettext_lazy("Last sign of life of the running worker."),
        verbose_name=gettext_lazy("heartbeat at"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("finished at"))

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("export job")
        verbose_name_plural = gettext_lazy("export jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            # "My recent exports": WHERE requested_by = ? ORDER BY created_at DESC
            models.Index(fields=["requested_by", "created_at"], name="reports_export_user_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="reports_export_status_valid"),
            models.CheckConstraint(condition=Q(format__in=ExportFormat.values), name="reports_export_format_valid"),
            models.CheckConstraint(
                condition=~Q(status=JobStatus.DONE) | ~Q(file=""), name="reports_export_done_has_file"
            ),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.format}, {self.status})"

    @property
    def progress(self) -> int:
        """0-100; a finished job is 100 whatever the count said."""
        if self.status == JobStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.processed_rows * 100 // self.total_rows)

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def file_name(self) -> str:
        return f"time-entries-{self.pk}.{self.format}" if self.kind == ExportKind.ENTRIES else f"summary-{self.pk}.csv"


class ImportJob(models.Model):
    """An uploaded file: previewed, then imported (in a Celery task when it is large)."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_imports",
        verbose_name=gettext_lazy("requested by"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=gettext_lazy("Whose time the rows are."),
        verbose_name=gettext_lazy("user"),
    )
    format = models.CharField(max_length=8, choices=ImportFormat.choices, verbose_name=gettext_lazy("format"))
    file = models.FileField(upload_to=import_path, max_length=200, verbose_name=gettext_lazy("file"))
    file_name = models.CharField(
        max_length=255,
        blank=True,
        help_text=gettext_lazy("The file name as uploaded."),
        verbose_name=gettext_lazy("file name"),
    )
    create_missing = models.BooleanField(
        default=False,
        help_text=gettext_lazy("Create projects, tasks and tags that do not exist yet (else: row errors)."),
        verbose_name=gettext_lazy("create missing"),
    )
    status = models.CharField(
        max_length=7, choices=JobStatus.choices, default=JobStatus.PENDING, verbose_name=gettext_lazy("status")
    )
    total_rows = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("total rows"))
    processed_rows = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("processed rows"))
    created_count = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("created count"))
    skipped_count = models.PositiveIntegerField(
        default=0,
        help_text=gettext_lazy("Rows imported before (duplicates)."),
        verbose_name=gettext_lazy("skipped count"),
    )
    errors = models.JSONField(
        default=list,
        blank=True,
        help_text=gettext_lazy('[{"row": 3, "errors": {...}}]'),
        verbose_name=gettext_lazy("errors"),
    )
    attempts = models.PositiveSmallIntegerField(
        default=0,
        help_text=gettext_lazy("Runs started; each run owns the job only while this is still its number."),
        verbose_name=gettext_lazy("attempts"),
    )
    heartbeat_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=gettext_lazy("When the running worker started (its transaction holds the job's row)."),
        verbose_name=gettext_lazy("heartbeat at"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("finished at"))

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("import job")
        verbose_name_plural = gettext_lazy("import jobs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["requested_by", "created_at"], name="reports_import_user_created")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="reports_import_status_valid"),
            models.CheckConstraint(condition=Q(format__in=ImportFormat.values), name="reports_import_format_valid"),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.format}, {self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class ImportedRowQuerySet(models.QuerySet["ImportedRow"]):
    def for_user(self, user: User) -> Self:
        return self.filter(user=user)


class ImportedRow(models.Model):
    """One imported row's stable key. Re-importing a file finds its keys here and skips those rows;
    deleting the entry deletes the key, so the row can be imported again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=gettext_lazy("user")
    )
    key = models.CharField(
        max_length=64,
        help_text=gettext_lazy("SHA-256 of the row's start, end, project, task, description."),
        verbose_name=gettext_lazy("key"),
    )
    entry = models.OneToOneField(
        "timetracking.TimeEntry",
        on_delete=models.CASCADE,
        related_name="import_key",
        verbose_name=gettext_lazy("entry"),
    )
    job = models.ForeignKey(
        ImportJob,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rows",
        verbose_name=gettext_lazy("job"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    objects = ImportedRowQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("imported row")
        verbose_name_plural = gettext_lazy("imported rows")
        constraints = [
            # Two imports of the same file at once: the second's insert fails instead of duplicating.
            models.UniqueConstraint(fields=["user", "key"], name="reports_imported_row_once_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key[:12]}"
