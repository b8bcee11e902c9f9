"""Imports: parsed rows (reports.imports reads the files) become entries through
`timetracking.services.entry_create`, all or nothing, directly or as a job."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from core.errors import DomainError
from core.tasks import enqueue_on_commit
from reports import imports
from reports.models import ImportedRow, ImportFormat, ImportJob, JobStatus
from reports.services.common import ImportConflict, ImportRefused, _claim
from reports.summary import ReportError, ReportNotFound
from timetracking import services as timetracking_services
from timetracking.models import Client, Project, Tag, Task, TimeEntry

logger = logging.getLogger(__name__)
_Created = TypeVar("_Created", Client, Project, Task, Tag)
_Key = TypeVar("_Key")
PREVIEW_ROWS = 50
PROGRESS_EVERY = 50


def check_import_target(*, actor: User, user: User) -> None:
    """You import your own time; HR anyone's. A manager sees their reports but cannot write
    their time (400); someone you cannot see is 404."""
    if actor.pk == user.pk or actor.is_hr:
        return
    if actor.can_see(user):
        raise ReportError(gettext("You can only import your own time."), field="user", code="not_allowed")
    raise ReportNotFound(gettext("No such user."), field="user")


class _Catalog:
    """Projects, tasks and tags by name, read once per name (not once per row). Missing ones are
    created through the catalog services (checked and audited), when asked and allowed."""

    def __init__(self, *, actor: User, create_missing: bool) -> None:
        self.actor, self.create_missing = actor, create_missing
        self.projects: dict[tuple[str, str], Project] = {}
        self.tasks: dict[tuple[int, str], Task] = {}
        self.tags: dict[str, Tag] = {}
        self._created_in_row: list[tuple[dict[Any, Any], Any]] = []

    def _may_create(self, what: str, name: str, field: str) -> None:
        if not self.create_missing:
            raise ReportError(
                gettext("There is no {what} named “{name}” (choose “create missing” to create it).").format(
                    what=what, name=name
                ),
                field=field,
            )

    def _create(self, create: Callable[..., _Created], *, field: str, **fields: Any) -> _Created:
        try:
            return create(actor=self.actor, **fields)
        except ValidationError as error:  # e.g. a name longer than the catalog allows
            raise ReportError(" ".join(error.messages), field=field) from error

    def _remember(self, cache: dict[_Key, _Created], key: _Key, value: _Created, *, created: bool) -> _Created:
        cache[key] = value
        if created:
            self._created_in_row.append((cache, key))
        return value

    def row_done(self, *, saved: bool) -> None:
        """A refused row's savepoint rolled back what it created: forget those, or the next rows
        would use rows that no longer exist."""
        if not saved:
            for cache, key in self._created_in_row:
                cache.pop(key, None)
        self._created_in_row = []

    def project(self, client_name: str, name: str) -> Project | None:
        if not name:
            return None
        key = (client_name.lower(), name.lower())
        if key in self.projects:
            return self.projects[key]
        candidates = Project.objects.filter(name__iexact=name).select_related("client").order_by("pk")
        if client_name:
            candidates = candidates.filter(client__name__iexact=client_name)
        project = candidates.first()
        if project is not None:
            return self._remember(self.projects, key, project, created=False)
        self._may_create("project", name, "project")
        if not timetracking_services.can_manage_catalog(self.actor):
            raise ReportError(
                gettext("There is no project named “{name}”; only HR and managers can create projects.").format(
                    name=name
                ),
                field="project",
            )
        client = None
        if client_name:
            client = Client.objects.filter(name__iexact=client_name).first() or self._create(
                timetracking_services.client_create, field="project", name=client_name
            )
        project = self._create(timetracking_services.project_create, field="project", client=client, name=name)
        return self._remember(self.projects, key, project, created=True)

    def task(self, project: Project | None, name: str) -> Task | None:
        if not name:
            return None
        if project is None:
            raise ReportError(gettext("A task needs a project."), field="task")
        key = (project.pk, name.lower())
        if key in self.tasks:
            return self.tasks[key]
        task = Task.objects.filter(project=project, name__iexact=name).first()
        if task is not None:
            return self._remember(self.tasks, key, task, created=False)
        self._may_create("task", name, "task")
        if not timetracking_services.can_manage_catalog(self.actor):
            raise ReportError(
                gettext("There is no task named “{name}”; only HR and managers can create tasks.").format(name=name),
                field="task",
            )
        task = self._create(timetracking_services.task_create, field="task", project=project, name=name)
        return self._remember(self.tasks, key, task, created=True)

    def tag(self, name: str) -> Tag:
        key = name.lower()
        if key in self.tags:
            return self.tags[key]
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is not None:
            return self._remember(self.tags, key, tag, created=False)
        self._may_create("tag", name, "tags")
        # Anyone may create a tag, as entries do (the same service as theirs: race-safe).
        return self._remember(self.tags, key, timetracking_services.tag_get_or_create(name=name), created=True)


def _lock_user(user: User) -> None:
    # Two imports of the same file at once: without the lock both read "no key yet" and both
    # create the rows. With the user's row locked, the second waits for the first to commit,
    # then finds its keys and skips those rows as duplicates.
    get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()


@transaction.atomic
def entries_import(
    *,
    actor: User,
    user: User,
    rows: list[imports.ParsedRow],
    create_missing: bool = False,
    dry_run: bool = False,
    job: ImportJob | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Import parsed rows as `user`'s entries, all or nothing.

    Rows already imported (same key) are skipped. Every other row goes through
    `entry_create`; if any row is refused, nothing is saved and ImportRefused lists each
    refused row by its line number. `dry_run` checks everything and saves nothing.
    """
    check_import_target(actor=actor, user=user)
    if not rows:
        raise ReportError(gettext("The file has no rows."), field="file")
    _lock_user(user)
    catalog = _Catalog(actor=actor, create_missing=create_missing)
    keys = {row.line: row.key for row in rows}
    existing = set(ImportedRow.objects.for_user(user).filter(key__in=set(keys.values())).values_list("key", flat=True))
    seen: set[str] = set()
    keys_to_save: list[ImportedRow] = []
    errors: list[dict[str, Any]] = []
    preview: list[dict[str, Any]] = []
    created = skipped = 0
    for index, row in enumerate(rows, start=1):
        outcome = "created"
        if row.errors:
            errors.append({"row": row.line, "errors": row.errors})
            outcome = "error"
        elif keys[row.line] in existing or keys[row.line] in seen:
            skipped += 1
            outcome = "duplicate"
        else:
            seen.add(keys[row.line])
            try:
                with transaction.atomic():  # a savepoint: a refused row leaves the import usable
                    project = catalog.project(row.client, row.project)
                    task = catalog.task(project, row.task)
                    tags = [catalog.tag(name) for name in row.tags]
                    entry = timetracking_services.entry_create(
                        user=user,
                        actor=actor,
                        started_at=row.started_at,
                        ended_at=row.ended_at,
                        project=project,
                        task=task,
                        tags=tags,
                        description=row.description,
                        billable=row.billable,
                        source=TimeEntry.Source.IMPORT,
                    )
                keys_to_save.append(ImportedRow(user=user, key=keys[row.line], entry=entry, job=job))
                created += 1
                catalog.row_done(saved=True)
            except DomainError as error:
                catalog.row_done(saved=False)
                errors.append({"row": row.line, "errors": error.as_dict()})
                outcome = "error"
        if len(preview) < PREVIEW_ROWS:
            preview.append(
                {
                    "row": row.line,
                    "started_at": row.started_at,
                    "ended_at": row.ended_at,
                    "hours": row.hours,
                    "project": row.project,
                    "task": row.task,
                    "description": row.description,
                    "tags": row.tags,
                    "outcome": outcome,
                }
            )
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index)
    if errors and not dry_run:
        raise ImportRefused(errors)
    try:
        with transaction.atomic():
            ImportedRow.objects.bulk_create(keys_to_save)
    except IntegrityError as error:  # pragma: no cover - the user lock above serialises imports
        raise ImportConflict(gettext("Another import of the same rows finished first; try again.")) from error
    if dry_run:
        transaction.set_rollback(True)
    return {
        "rows": len(rows),
        "created": created,
        "skipped": skipped,
        "errors": errors,
        "dry_run": dry_run,
        "preview": preview,
    }


def import_is_large(row_count: int) -> bool:
    return row_count > int(settings.REPORTS_ASYNC_IMPORT_THRESHOLD)


def parse_upload(*, data: bytes, file_format: str, user: User) -> list[imports.ParsedRow]:
    """Bytes -> parsed rows, or ReportError on the file field."""
    try:
        return imports.parse(data, file_format, user.tzinfo)
    except imports.FileError as error:
        raise ReportError(str(error), field="file") from error


def _check_upload_size(uploaded: UploadedFile) -> None:
    # Before reading it: a file over the limit is never read into memory.
    if uploaded.size is not None and uploaded.size > imports.MAX_FILE_BYTES:
        raise ReportError(
            gettext("The file is larger than {value} MB.").format(value=imports.MAX_FILE_BYTES // (1024 * 1024)),
            field="file",
        )


def import_target(*, actor: User, user_id: int | None) -> User:
    """Whose time an import writes: the actor's own (no `user_id`, or theirs), or a user the actor
    sees; anyone else is 404. `check_import_target` then says whether the actor may write it."""
    if not user_id or user_id == actor.pk:
        return actor
    user = User.objects.visible_to(actor).filter(pk=user_id).first()
    if user is None:
        raise ReportNotFound(gettext("No such user."), field="user")
    return user


@dataclass(frozen=True)
class ImportOutcome:
    """What an upload became: `result` (the rows created and skipped, as `entries_import` answers)
    when it ran at once, or `job` when it was queued."""

    result: dict[str, Any] | None = None
    job: ImportJob | None = None


def import_upload(
    *,
    actor: User,
    user: User,
    uploaded: UploadedFile,
    file_format: str,
    create_missing: bool = False,
    dry_run: bool = False,
) -> ImportOutcome:
    """Import an uploaded file as `user`'s entries: checked and previewed only (`dry_run`), imported at
    once, or queued as a job when it has more than REPORTS_ASYNC_IMPORT_THRESHOLD rows. A refused
    import raises ImportRefused listing every refused row (and its job records them)."""
    if dry_run:
        _check_upload_size(uploaded)
        rows = parse_upload(data=uploaded.read(), file_format=file_format, user=user)
        return ImportOutcome(
            result=entries_import(actor=actor, user=user, rows=rows, create_missing=create_missing, dry_run=True)
        )
    job = import_job_create(
        requested_by=actor, user=user, uploaded=uploaded, file_format=file_format, create_missing=create_missing
    )
    queued = import_is_large(job.total_rows)
    job = import_job_start(job=job)
    if queued:
        return ImportOutcome(job=job)
    if job.status == JobStatus.FAILED:
        raise ImportRefused(job.errors)
    return ImportOutcome(
        result={
            "rows": job.total_rows,
            "created": job.created_count,
            "skipped": job.skipped_count,
            "errors": [],
            "dry_run": False,
            "preview": [],
        }
    )


@transaction.atomic
def import_job_create(
    *, requested_by: User, user: User, uploaded: UploadedFile, file_format: str, create_missing: bool = False
) -> ImportJob:
    """Store an uploaded file as a job to preview and run. The file is parsed once here to check it."""
    if file_format not in ImportFormat.values:
        raise ReportError(gettext("Choose toggl, clockify or native."), field="format")
    check_import_target(actor=requested_by, user=user)
    _check_upload_size(uploaded)
    data = uploaded.read()
    rows = parse_upload(data=data, file_format=file_format, user=user)
    if not rows:
        raise ReportError(gettext("The file has no rows."), field="file")
    uploaded.seek(0)
    return ImportJob.objects.create(
        requested_by=requested_by,
        user=user,
        format=file_format,
        file=uploaded,
        file_name=(uploaded.name or "").replace("\x00", "")[:255],
        create_missing=create_missing,
        total_rows=len(rows),
    )


def import_job_rows(job: ImportJob) -> list[imports.ParsedRow]:
    with job.file.open("rb") as handle:
        return parse_upload(data=handle.read(), file_format=job.format, user=job.user)


def import_job_preview(*, job: ImportJob) -> dict[str, Any]:
    return entries_import(
        actor=job.requested_by,
        user=job.user,
        rows=import_job_rows(job),
        create_missing=job.create_missing,
        dry_run=True,
    )


def import_progress_key(job_id: int) -> str:
    return f"reports:import-progress:{job_id}"


def import_job_progress(job: ImportJob) -> int:
    """Rows processed so far. A running import's rows are inside its uncommitted transaction, so
    its progress is kept in the cache, not in the job row. Redis down: 0 (the progress is a hint)."""
    if job.is_finished:
        return job.total_rows
    try:
        return int(cache.get(import_progress_key(job.pk), 0))
    except Exception:  # noqa: BLE001 - the cache down (core.breaker) must not fail the page
        return 0


def _import_progress_record(job_id: int, count: int | None) -> None:
    """Keep the progress for the pages; Redis down must not fail (nor roll back) the import."""
    try:
        if count is None:
            cache.delete(import_progress_key(job_id))
        else:
            cache.set(import_progress_key(job_id), count, 3600)
    except Exception:  # noqa: BLE001
        logger.info("Cache unavailable: import %s progress not recorded.", job_id)


def import_job_start(*, job: ImportJob) -> ImportJob:
    """Run the job: in a Celery task when the file is large, else right away. Returns the job.
    A job that has already started is refused (409); the run itself locks the job row, so a
    double submit never imports twice."""
    if job.status != JobStatus.PENDING:
        raise ImportConflict(gettext("This import has already run."), code="already_started")
    if import_is_large(job.total_rows):
        from reports.tasks import run_import  # cycle: reports.tasks imports reports.services

        with transaction.atomic():
            # Only one start wins: the row lock makes a double submit see QUEUED and stop.
            locked = ImportJob.objects.select_for_update().get(pk=job.pk)
            if locked.status != JobStatus.PENDING:
                raise ImportConflict(gettext("This import has already run."), code="already_started")
            locked.status = JobStatus.QUEUED
            locked.save(update_fields=["status"])
            enqueue_on_commit(run_import, locked.pk, lost="jobs_requeue_waiting queues it again")
        return locked
    # None only if the job's row was deleted meanwhile (jobs_purge): then the job as it was.
    return import_job_run(job_id=job.pk) or job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Import a queued job's file, all or nothing.

    The import and the job's DONE status commit in one transaction, which also holds the job's
    row lock from start to end. So a running job whose row is not locked lost its worker: the
    database rolled its transaction back, and the job is run again from the start (redelivered by
    Celery, or queued by `jobs_requeue_waiting`). A refused import records why in its own commit."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=job_id)
            .select_related("user", "requested_by")
            .first()
        )
        if job is None:  # no such job, or a live run holds it
            return ImportJob.objects.filter(pk=job_id).first()
        # SQLite has no row locks to tell a live run from a dead one: there a job is never taken over.
        attempt = _claim(job, may_take_over=connection.features.has_select_for_update_skip_locked)
    if attempt is None:
        return job
    mine = ImportJob.objects.filter(pk=job.pk, attempts=attempt, status=JobStatus.RUNNING)
    try:
        with transaction.atomic():
            if mine.select_for_update().values_list("pk", flat=True).first() is None:
                logger.warning("%s: run %s was taken over by a later run; it stops", job, attempt)
                return ImportJob.objects.get(pk=job.pk)
            result = entries_import(
                actor=job.requested_by,
                user=job.user,
                rows=import_job_rows(job),
                create_missing=job.create_missing,
                job=job,
                progress=lambda count: _import_progress_record(job.pk, count),
            )
            job.status, job.errors = JobStatus.DONE, []
            job.created_count, job.skipped_count = result["created"], result["skipped"]
            _finish_import(job)
    except ImportRefused as error:
        job.status, job.errors = JobStatus.FAILED, error.errors
        _finish_import(job, mine)
    except DomainError as error:
        job.status, job.errors = JobStatus.FAILED, [{"row": None, "errors": error.as_dict()}]
        _finish_import(job, mine)
    _import_progress_record(job.pk, None)
    job.refresh_from_db()
    return job


def _finish_import(job: ImportJob, mine: QuerySet[ImportJob] | None = None) -> None:
    job.processed_rows = job.total_rows
    job.finished_at = timezone.now()
    fields = ["status", "errors", "created_count", "skipped_count", "processed_rows", "finished_at"]
    if mine is None:
        job.save(update_fields=fields)
    else:  # outside the run's transaction: only while the job is still this run's
        mine.update(**{field: getattr(job, field) for field in fields})
