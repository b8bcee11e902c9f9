"""Creating, changing and deleting time entries, one by one or in bulk."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from core.errors import DomainError
from timetracking.locks import check_entries_unlocked
from timetracking.models import (
    Project,
    Tag,
    Task,
    TimeEntry,
)
from timetracking.services.checks import (
    _announce,
    _check_overlap,
    _check_owner,
    _check_project_and_task,
    _check_times,
    _check_unlocked,
    _clean_description,
    _compliance_review,
    _lock_user,
    _resolve_times,
    _save,
    _snapshot,
    _utc,
)
from timetracking.services.common import BULK_MAX_ROWS, BulkError, TimeTrackingError
from timetracking.services.inputs import parse_duration, tags_resolve

# --- Entries --------------------------------------------------------------------------------


@transaction.atomic
def entry_create(
    *,
    user: User,
    actor: User | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    duration: timedelta | str | None = None,
    project: Project | None = None,
    task: Task | None = None,
    tags: Iterable[Tag | int | str] | None = (),
    description: str | None = "",
    billable: bool | None = None,
    source: str = TimeEntry.Source.MANUAL,
    check_compliance: bool = True,
) -> TimeEntry:
    """A finished entry from start + end, start + duration, end + duration or a duration ending now.

    The returned entry carries `compliance_warnings`: the working-time violations it creates
    (`check_compliance=False` leaves that to the caller, e.g. once for a whole bulk request).
    """
    _check_owner(actor=actor, user=user)
    started_at, ended_at = _resolve_times(
        started_at=started_at, ended_at=ended_at, duration=duration, now=timezone.now()
    )
    _check_times(started_at, ended_at)
    description = _clean_description(description)
    project, task = _check_project_and_task(user=user, project=project, task=task)
    tag_list = tags_resolve(refs=tags)
    _lock_user(user)
    _check_unlocked(user, (started_at, ended_at))
    if not settings.IS_POSTGRESQL:  # PostgreSQL's exclusion constraint refuses it at the INSERT (_save)
        _check_overlap(user=user, started_at=started_at, ended_at=ended_at)
    entry = TimeEntry(
        user=user,
        project=project,
        task=task,
        description=description,
        started_at=started_at,
        ended_at=ended_at,
        billable=project.billable if billable is None and project else bool(billable),
        source=source,
    )
    _save(entry, tag_list)
    after = _snapshot(entry, [tag.name for tag in tag_list])
    _announce("time_entry.created", entry=entry, actor=actor or user, after=after)
    entry.compliance_warnings = (
        _compliance_review(user=user, changed=[(started_at, ended_at)], exclude_ids=[entry.pk])
        if check_compliance
        else []
    )
    return entry


UPDATABLE_FIELDS = {"started_at", "ended_at", "duration", "project", "task", "tags", "description", "billable"}


@transaction.atomic
def entry_update(*, entry: TimeEntry, actor: User | None = None, **changes: Any) -> TimeEntry:
    """Change an entry (finished or running). Project/task rules apply only to what changes,
    so an old entry on a since-archived project can still get its description fixed."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise TimeTrackingError(
            gettext("These fields cannot be changed: {join}.").format(join=", ".join(sorted(unknown)))
        )
    _check_owner(actor=actor, user=entry.user)
    _lock_user(entry.user)
    # Re-read under the lock: the entry may have been stopped or changed meanwhile.
    entry = TimeEntry.objects.select_related("user", "project", "task").get(pk=entry.pk)
    user = entry.user
    old_tags = sorted(entry.tags.all(), key=lambda tag: (tag.name, tag.pk))
    old_tag_names = [tag.name for tag in old_tags]
    before = _snapshot(entry, old_tag_names)

    started_at = _utc(changes.get("started_at", entry.started_at))
    ended_at = _utc(changes.get("ended_at", entry.ended_at))
    if changes.get("duration") not in (None, ""):
        if "ended_at" in changes and changes["ended_at"] is not None:
            raise TimeTrackingError(gettext("Give an end or a duration, not both."), field="duration")
        ended_at = started_at + parse_duration(changes["duration"])
    if entry.ended_at is not None and ended_at is None:
        raise TimeTrackingError(gettext("A finished entry needs an end."), field="ended_at", code="required")
    if entry.ended_at is None and started_at > timezone.now():
        raise TimeTrackingError(gettext("A running timer cannot start in the future."), field="started_at")
    _check_times(started_at, ended_at)
    old_interval = (entry.started_at, entry.ended_at)
    _check_unlocked(user, old_interval, (started_at, ended_at))
    check_entries_unlocked([entry.pk])

    project, task = entry.project, entry.task
    if "project" in changes or "task" in changes:
        new_project = changes.get("project", project)
        # Moving to another project without naming a task drops the old project's task.
        new_task = changes.get("task", task if new_project == project else None)
        if new_project != project or new_task != task:
            project, task = _check_project_and_task(user=user, project=new_project, task=new_task)

    _check_overlap(user=user, started_at=started_at, ended_at=ended_at, exclude=entry)
    entry.started_at, entry.ended_at = started_at, ended_at
    entry.project, entry.task = project, task
    if "description" in changes:
        entry.description = _clean_description(changes["description"])
    if "billable" in changes and changes["billable"] is not None:
        entry.billable = bool(changes["billable"])
    tag_list = tags_resolve(refs=changes["tags"]) if "tags" in changes else None
    _save(entry, tag_list)
    if tag_list is None:
        entry.saved_tags = old_tags
    after = _snapshot(entry, [tag.name for tag in tag_list] if tag_list is not None else old_tag_names)
    _announce("time_entry.updated", entry=entry, actor=actor or user, before=before, after=after)
    entry.compliance_warnings = _compliance_review(
        user=user, changed=[(started_at, ended_at)], exclude_ids=[entry.pk], restore=[old_interval]
    )
    return entry


@transaction.atomic
def entry_delete(*, entry: TimeEntry, actor: User | None = None) -> None:
    _check_owner(actor=actor, user=entry.user)
    _lock_user(entry.user)
    _check_unlocked(entry.user, (entry.started_at, entry.ended_at))
    check_entries_unlocked([entry.pk])
    before = {"id": entry.pk, **_snapshot(entry, [tag.name for tag in entry.tags.all()])}
    entry.delete()
    _announce("time_entry.deleted", entry=entry, actor=actor or entry.user, before=before)


@transaction.atomic
def entries_bulk_create(*, actor: User, rows: Sequence[Mapping[str, Any]]) -> list[TimeEntry]:
    """Create up to BULK_MAX_ROWS entries, all or nothing.

    Every row is checked (against the database and the rows before it); if any is refused,
    nothing is saved and BulkError lists each refused row with its errors.
    """
    if not rows:
        raise TimeTrackingError(gettext("Give at least one entry."), field="entries")
    if len(rows) > BULK_MAX_ROWS:
        raise TimeTrackingError(
            gettext("At most {BULK_MAX_ROWS} entries per request.").format(BULK_MAX_ROWS=BULK_MAX_ROWS), field="entries"
        )
    created: list[TimeEntry] = []
    errors: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        row = dict(row)
        row.setdefault("user", actor)
        row.setdefault("source", TimeEntry.Source.IMPORT)
        try:
            with transaction.atomic():
                created.append(entry_create(actor=actor, check_compliance=False, **row))
        except DomainError as error:
            errors.append({"index": index, "kind": error.kind, "errors": error.as_dict()})
    if errors:
        raise BulkError(errors)
    # Compliance once per person over all their new rows: a later row may be the break an
    # earlier one needed. Every entry of a person carries that person's warnings.
    by_user: dict[int, list[TimeEntry]] = {}
    for entry in created:
        by_user.setdefault(entry.user_id, []).append(entry)
    for entries in by_user.values():
        warnings = _compliance_review(
            user=entries[0].user,
            changed=[(entry.started_at, entry.ended_at) for entry in entries],
            exclude_ids=[entry.pk for entry in entries],
        )
        for entry in entries:
            entry.compliance_warnings = warnings
    return created
