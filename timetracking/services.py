"""Every write on time tracking data that carries a rule. API, pages, admin and demo call these.

Rules: an entry ends after it starts and lasts at most `TIME_ENTRY_MAX_HOURS`; one user's
entries never overlap (touching end-to-start is fine; a running timer reaches to infinity);
at most one running timer per user; archived projects/tasks and member-only projects the
user does not belong to take no new time; a task belongs to the entry's project.

The database enforces what it can (see models.py and migration 0002); these functions
check the same rules first so that callers get a clear field error or a 409, and map a
constraint violation that slips through a race to the same 409.
"""

import re
from datetime import UTC, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accounts.services import audit_changes, audit_record
from core.errors import BatchRefused, Conflict, DomainError, Forbidden
from timetracking import compliance
from timetracking.models import (
    END_AFTER_START_CONSTRAINT,
    NO_OVERLAP_CONSTRAINT,
    RUNNING_TIMER_CONSTRAINT,
    Project,
    Tag,
    Task,
    TimeEntry,
    TimesheetPeriod,
    TimesheetRow,
    local_day_bounds,
)
from webhooks.services import outbox_publish

TAG_NAME_MAX_LENGTH = 50
MAX_TAGS_PER_ENTRY = 20
DESCRIPTION_MAX_LENGTH = 1000
BULK_MAX_ROWS = 500


class TimeTrackingError(DomainError):
    """A time tracking rule refused the input (400)."""


class TimeTrackingConflict(TimeTrackingError, Conflict):
    """The write clashes with the user's other entries or their running timer (409)."""


class PeriodLocked(TimeTrackingConflict):
    """The entry lies in an approved (locked) week (409 `period_locked`)."""

    default_code = "period_locked"


class PeriodNotAllowed(TimeTrackingError, Forbidden):
    """The caller sees the week but may not take this decision on it (403)."""

    default_code = "not_allowed"


class ComplianceBlocked(TimeTrackingConflict):
    """WORKING_TIME_BLOCK_ON_VIOLATION is on and the write would breach a working-time rule (409)."""

    default_code = "compliance_violation"

    def __init__(self, violations):
        super().__init__(
            "This would breach the working-time rules: " + " ".join(violation.message for violation in violations)
        )
        self.violations = violations

    def as_dict(self):
        return {
            "detail": self.message,
            "code": self.code,
            "violations": [violation.as_dict() for violation in self.violations],
        }


class BulkError(BatchRefused, TimeTrackingError):
    """Some rows of a bulk request were refused; nothing was written. `errors` lists each row as
    {"index": i, "kind": kind, "errors": body} (core.errors.BatchRefused)."""

    default_code = "invalid_rows"

    def __init__(self, errors):
        super().__init__(f"{len(errors)} row(s) were refused; nothing was saved.", errors)

    @property
    def errors(self):
        return self.items


def max_entry_duration():
    return timedelta(hours=settings.TIME_ENTRY_MAX_HOURS)


def can_manage_catalog(user):
    """Clients, projects, tasks and tags are changed by HR and managers; everyone reads them."""
    return user.is_authenticated and (user.is_hr or user.is_manager)


# --- Input helpers --------------------------------------------------------------------------

_DURATION_PATTERNS = [
    re.compile(r"^(?P<hours>\d{1,2}):(?P<minutes>[0-5]\d)$"),  # 1:30, 01:30
    re.compile(r"^(?:(?P<hours>\d{1,2})\s*h)?\s*(?:(?P<minutes>\d{1,4})\s*m(?:in)?)?$"),  # 1h30m, 90m, 2h
]


def parse_duration(value, *, field="duration"):
    """'01:30', '1:30', '1h30m', '90m', '2h' or decimal hours '1.5' -> timedelta (> 0)."""
    if isinstance(value, timedelta):
        duration = value
    else:
        text = str(value or "").strip().lower()
        duration = None
        if len(text) <= 10:
            for pattern in _DURATION_PATTERNS:
                match = pattern.match(text)
                if match and any(match.groupdict().values()):
                    duration = timedelta(
                        hours=int(match["hours"] or 0),
                        minutes=int(match["minutes"] or 0),
                    )
                    break
            if duration is None and re.fullmatch(r"\d{1,2}([.,]\d{1,2})?", text):
                try:
                    hours = Decimal(text.replace(",", "."))
                except InvalidOperation:  # pragma: no cover - the regex already checked the shape
                    hours = None
                if hours is not None:
                    duration = timedelta(seconds=int(hours * 3600))
        if duration is None:
            raise TimeTrackingError("Give a duration as HH:MM (e.g. 01:30) or hours (e.g. 1.5).", field=field)
    if duration <= timedelta(0):
        raise TimeTrackingError("The duration must be more than zero.", field=field)
    if duration > max_entry_duration():
        raise TimeTrackingError(
            f"An entry can last at most {settings.TIME_ENTRY_MAX_HOURS} hours.", field=field, code="too_long"
        )
    return duration


def _normalize_tag_name(name):
    name = " ".join(str(name).split())
    if not name:
        raise TimeTrackingError("A tag name cannot be empty.", field="tags")
    if len(name) > TAG_NAME_MAX_LENGTH:
        raise TimeTrackingError(f"A tag name has at most {TAG_NAME_MAX_LENGTH} characters.", field="tags")
    return name


def tag_get_or_create(*, name):
    """The tag called `name` (case-insensitively), created if it does not exist yet."""
    name = _normalize_tag_name(name)
    tag = Tag.objects.filter(name__iexact=name).first()
    if tag:
        return tag
    try:
        # Savepoint: two requests creating the same new tag at once both miss it above;
        # the unique index refuses the second, which then reads the winner's row.
        with transaction.atomic():
            return Tag.objects.create(name=name)
    except IntegrityError:
        return Tag.objects.get(name__iexact=name)


def tags_resolve(*, refs):
    """Tags given by id (int or digits) or by name; an unknown name creates the tag."""
    refs = list(refs or [])
    if len(refs) > MAX_TAGS_PER_ENTRY:
        raise TimeTrackingError(f"An entry has at most {MAX_TAGS_PER_ENTRY} tags.", field="tags")
    tags = {}
    for ref in refs:
        if isinstance(ref, Tag):
            tag = ref
        elif isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
            tag = Tag.objects.filter(pk=int(ref)).first()
            if tag is None:
                raise TimeTrackingError(f"There is no tag with id {int(ref)}.", field="tags")
        else:
            tag = tag_get_or_create(name=ref)
        tags[tag.pk] = tag
    return list(tags.values())


# --- Checks shared by every entry write ------------------------------------------------------


def _lock_user(user):
    # Serialise the writes on one user's entries. Two requests at once (a double click, two
    # tabs, a frontend retry) would otherwise both pass the running-timer and overlap checks
    # and both insert. With the user's row locked, the second waits for the first to commit and
    # its checks then see the first's entry. (SQLite's IMMEDIATE transactions serialise anyway;
    # on PostgreSQL the constraints are the last line of defence, see _integrity_error.)
    get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).get()


def _check_owner(*, actor, user):
    if actor is not None and actor.pk != user.pk and not actor.is_hr:
        raise TimeTrackingError("You can only log your own time.", field="user", code="not_allowed")
    if not user.is_active:
        raise TimeTrackingError("This user is deactivated.", field="user")


def _check_times(started_at, ended_at):
    if started_at is None:
        raise TimeTrackingError("Give a start time.", field="started_at", code="required")
    if ended_at is None:
        return
    if ended_at <= started_at:
        raise TimeTrackingError("The end must be after the start.", field="ended_at", code="end_before_start")
    if ended_at - started_at > max_entry_duration():
        raise TimeTrackingError(
            f"An entry can last at most {settings.TIME_ENTRY_MAX_HOURS} hours.", field="ended_at", code="too_long"
        )


def _check_project_and_task(*, user, project, task):
    """Return (project, task) after the rules: a task implies its project, both active, membership."""
    if task is not None and project is None:
        project = task.project
    if task is not None and task.project_id != project.pk:
        raise TimeTrackingError("This task belongs to another project.", field="task", code="foreign_task")
    if project is not None:
        if not project.active:
            raise TimeTrackingError("This project is archived.", field="project", code="archived")
        if not Project.objects.loggable_by(user).filter(pk=project.pk).exists():
            raise TimeTrackingError("You are not a member of this project.", field="project", code="not_member")
    if task is not None and not task.active:
        raise TimeTrackingError("This task is archived.", field="task", code="archived")
    return project, task


def _check_overlap(*, user, started_at, ended_at, exclude=None):
    clash = _first_clash(user=user, started_at=started_at, ended_at=ended_at, exclude=exclude)
    if clash is not None:
        raise _overlap_error(user, clash)


def _first_clash(*, user, started_at, ended_at, exclude=None):
    clashes = TimeEntry.objects.for_user(user).overlapping(started_at, ended_at)
    if exclude is not None:
        clashes = clashes.exclude(pk=exclude.pk)
    return clashes.order_by("started_at").first()


def _overlap_error(user, clash):
    local = user.tzinfo
    if clash.ended_at is None:
        message = f"This overlaps your running timer (since {timezone.localtime(clash.started_at, local):%H:%M})."
    else:
        message = (
            f"This overlaps your entry of {timezone.localtime(clash.started_at, local):%Y-%m-%d %H:%M}"
            f"–{timezone.localtime(clash.ended_at, local):%H:%M}."
        )
    return TimeTrackingConflict(message, code="overlap")


def _mondays(user, intervals):
    """The Mondays (user's local ISO weeks) that the intervals [(start, end or None), ...] touch."""
    tzinfo = user.tzinfo
    mondays = set()
    for started_at, ended_at in intervals:
        # An end is exclusive: an entry ending at Monday 00:00 does not touch that week.
        for moment in (started_at, ended_at - timedelta(microseconds=1) if ended_at else None):
            if moment is not None:
                day = timezone.localtime(moment, tzinfo).date()
                mondays.add(day - timedelta(days=day.weekday()))
    return mondays


def _check_unlocked(user, *intervals):
    """Refuse (409 `period_locked`) any entry write touching an approved week, whoever writes.

    Every entry write (create, update, delete, bulk, timer start/stop/switch) calls this after
    `_lock_user`: `period_approve` takes the same lock, so a write and an approval never interleave.
    """
    locked = (
        TimesheetPeriod.objects.filter(user=user, week_start__in=_mondays(user, intervals))
        .locked()
        .order_by("week_start")
        .first()
    )
    if locked is not None:
        raise PeriodLocked(
            f"The week of {locked.week_start:%d %b %Y} is approved and locked; it must be reopened "
            "by a manager or HR before its entries can change."
        )


def _compliance_review(*, user, changed, exclude_ids=(), restore=()):
    """The working-time violations this write creates (or changes) on the days it touches.

    `changed`: the intervals written; `exclude_ids` + `restore`: how to rebuild the state before the
    write (the new/changed entries left out, the old intervals put back). In block mode a new
    violation refuses the write: the exception rolls the transaction back.
    """
    changed = [(start, end) for start, end in changed if start is not None and end is not None]
    if not changed:
        return []
    tzinfo = user.tzinfo
    days = [timezone.localtime(moment, tzinfo).date() for interval in changed for moment in interval]
    first_day, last_day = min(days), max(days)
    start, end = compliance.fetch_window(first_day, last_day)
    rows = list(TimeEntry.objects.for_user(user).intervals(start, end))
    excluded = set(exclude_ids)
    after = [(started_at, ended_at) for _, _, started_at, ended_at in rows]
    before = [(started_at, ended_at) for _, pk, started_at, ended_at in rows if pk not in excluded]
    before += [(old_start, old_end) for old_start, old_end in restore if old_end is not None]

    def assess(intervals):
        return compliance.evaluate(intervals, user_id=user.pk, tzinfo=tzinfo, first_day=first_day, last_day=last_day)

    found = assess(after)
    if not found:  # the usual case: nothing to compare with the state before
        return []
    known = {(violation.key, violation.actual) for violation in assess(before)}
    new = [violation for violation in found if (violation.key, violation.actual) not in known]
    if new and settings.WORKING_TIME_BLOCK_ON_VIOLATION:
        raise ComplianceBlocked(new)
    return new


def _integrity_error(error):
    """Map a constraint violation (a race past the checks above) to the domain error it means."""
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) or ""
    text = f"{constraint} {error}"
    if NO_OVERLAP_CONSTRAINT in text:
        return TimeTrackingConflict("This overlaps another of your entries.", code="overlap")
    # SQLite names the column, not the partial unique index.
    if RUNNING_TIMER_CONSTRAINT in text or "timetracking_timeentry.user_id" in text:
        return TimeTrackingConflict("A timer is already running.", code="timer_running")
    if END_AFTER_START_CONSTRAINT in text:
        return TimeTrackingError("The end must be after the start.", field="ended_at", code="end_before_start")
    return None


def _save(entry, tags=None):
    """Save the entry and, when given, its tags. The saved tags are kept on `entry.saved_tags`
    (sorted by name, as the API lists them) so that the answer needs no re-read."""
    adding = entry._state.adding
    try:
        with transaction.atomic():  # a savepoint: a violation leaves the outer transaction usable
            entry.save()
            if tags is not None and adding:
                # A new entry has no tags to compare with: one INSERT, not set()'s SELECT first.
                through = TimeEntry.tags.through
                through.objects.bulk_create([through(timeentry_id=entry.pk, tag_id=tag.pk) for tag in tags])
            elif tags is not None:
                entry.tags.set(tags)
    except IntegrityError as error:
        mapped = _integrity_error(error)
        if mapped is None:
            raise
        if mapped.code == "overlap":  # rolled back to the savepoint: name the entry it overlaps
            clash = _first_clash(
                user=entry.user,
                started_at=entry.started_at,
                ended_at=entry.ended_at,
                exclude=None if entry._state.adding else entry,
            )
            if clash is not None:
                mapped = _overlap_error(entry.user, clash)
        raise mapped from error
    if tags is not None:
        entry.saved_tags = sorted(tags, key=lambda tag: (tag.name, tag.pk))
    return entry


def _clean_description(description):
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise TimeTrackingError(f"A description has at most {DESCRIPTION_MAX_LENGTH} characters.", field="description")
    return description


def _utc(moment):
    # Arithmetic on aware datetimes in a local zone is wall-clock arithmetic (01:30 + 2 h across a
    # DST change is not 2 real hours); in UTC it is real elapsed time.
    if moment is None:
        return None
    if timezone.is_naive(moment):
        raise TimeTrackingError("A time needs a time zone.", field="started_at")
    return moment.astimezone(UTC)


def _resolve_times(*, started_at, ended_at, duration, now):
    """Start + end, start + duration, end + duration, or a duration alone that ends now."""
    started_at, ended_at = _utc(started_at), _utc(ended_at)
    if duration in (None, ""):
        if started_at is None:
            raise TimeTrackingError(
                "Give a start and an end, a start and a duration, or a duration.", field="started_at", code="required"
            )
        if ended_at is None:
            raise TimeTrackingError("Give an end time or a duration.", field="ended_at", code="required")
        return started_at, ended_at
    duration = parse_duration(duration)
    if started_at is not None and ended_at is not None:
        raise TimeTrackingError("Give an end or a duration, not both.", field="duration")
    if started_at is not None:
        return started_at, started_at + duration
    end = ended_at if ended_at is not None else now
    return end - duration, end


# --- Audit trail and webhooks ------------------------------------------------------------------

SNAPSHOT_ATTRIBUTES = {
    "user": "user_id",
    "project": "project_id",
    "task": "task_id",
    "description": "description",
    "started_at": "started_at",
    "ended_at": "ended_at",
    "billable": "billable",
    "source": "source",
}


def _snapshot(entry, tag_names):
    """The entry's fields as plain values, for the audit diff and the webhook payload."""
    snapshot = {field: getattr(entry, attribute) for field, attribute in SNAPSHOT_ATTRIBUTES.items()}
    snapshot["tags"] = sorted(tag_names)
    return snapshot


def _announce(event_type, *, entry, actor, before=None, after=None):
    """Audit the write and publish its webhook event, in the write's own transaction: a refused or
    rolled-back change leaves neither."""
    object_id = entry.pk if after is not None else before["id"]
    audit_record(
        actor=actor,
        action=event_type,
        object_type=TimeEntry._meta.label_lower,
        object_id=object_id,
        changes=audit_changes(
            {key: value for key, value in (before or {}).items() if key != "id"},
            after or {},
        ),
    )
    payload = {"id": object_id, **(after if after is not None else {"user": before["user"]})}
    if after is not None:
        payload["hours"] = entry.hours
    outbox_publish(event_type=event_type, payload=payload)


# --- Entries --------------------------------------------------------------------------------


@transaction.atomic
def entry_create(
    *,
    user,
    actor=None,
    started_at=None,
    ended_at=None,
    duration=None,
    project=None,
    task=None,
    tags=(),
    description="",
    billable=None,
    source=TimeEntry.Source.MANUAL,
    check_compliance=True,
):
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
def entry_update(*, entry, actor=None, **changes):
    """Change an entry (finished or running). Project/task rules apply only to what changes,
    so an old entry on a since-archived project can still get its description fixed."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise TimeTrackingError(f"These fields cannot be changed: {', '.join(sorted(unknown))}.")
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
            raise TimeTrackingError("Give an end or a duration, not both.", field="duration")
        ended_at = started_at + parse_duration(changes["duration"])
    if entry.ended_at is not None and ended_at is None:
        raise TimeTrackingError("A finished entry needs an end.", field="ended_at", code="required")
    if entry.ended_at is None and started_at > timezone.now():
        raise TimeTrackingError("A running timer cannot start in the future.", field="started_at")
    _check_times(started_at, ended_at)
    old_interval = (entry.started_at, entry.ended_at)
    _check_unlocked(user, old_interval, (started_at, ended_at))

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
def entry_delete(*, entry, actor=None):
    _check_owner(actor=actor, user=entry.user)
    _lock_user(entry.user)
    _check_unlocked(entry.user, (entry.started_at, entry.ended_at))
    before = {"id": entry.pk, **_snapshot(entry, [tag.name for tag in entry.tags.all()])}
    entry.delete()
    _announce("time_entry.deleted", entry=entry, actor=actor or entry.user, before=before)


@transaction.atomic
def entries_bulk_create(*, actor, rows):
    """Create up to BULK_MAX_ROWS entries, all or nothing.

    Every row is checked (against the database and the rows before it); if any is refused,
    nothing is saved and BulkError lists each refused row with its errors.
    """
    if not rows:
        raise TimeTrackingError("Give at least one entry.", field="entries")
    if len(rows) > BULK_MAX_ROWS:
        raise TimeTrackingError(f"At most {BULK_MAX_ROWS} entries per request.", field="entries")
    created, errors = [], []
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
    by_user = {}
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


# --- Timer ----------------------------------------------------------------------------------


def timer_current(*, user):
    return TimeEntry.objects.for_user(user).running().with_details().first()


@transaction.atomic
def timer_start(
    *, user, project=None, task=None, tags=(), description="", billable=None, started_at=None, switch=False
):
    """Start the user's timer. If one runs: 409 `timer_running`, unless `switch`, which stops it
    at the same instant the new one starts."""
    now = timezone.now()
    started_at = _utc(started_at) or now
    if started_at > now:
        raise TimeTrackingError("A timer cannot start in the future.", field="started_at")
    description = _clean_description(description)
    project, task = _check_project_and_task(user=user, project=project, task=task)
    tag_list = tags_resolve(refs=tags)
    _lock_user(user)
    _check_unlocked(user, (started_at, None))
    running = TimeEntry.objects.for_user(user).running().select_related("project", "task").first()
    warnings = []
    if running is not None:
        if not switch:
            raise TimeTrackingConflict(
                "A timer is already running. Stop it first, or switch to the new one.", code="timer_running"
            )
        _check_times(running.started_at, started_at)
        _check_unlocked(user, (running.started_at, started_at))
        _stop(running, ended_at=started_at, actor=user)
        warnings = _compliance_review(user=user, changed=[(running.started_at, started_at)], exclude_ids=[running.pk])
    _check_overlap(user=user, started_at=started_at, ended_at=None)
    entry = TimeEntry(
        user=user,
        project=project,
        task=task,
        description=description,
        started_at=started_at,
        ended_at=None,
        billable=project.billable if billable is None and project else bool(billable),
        source=TimeEntry.Source.TIMER,
    )
    _save(entry, tag_list)
    _announce("time_entry.created", entry=entry, actor=user, after=_snapshot(entry, [tag.name for tag in tag_list]))
    entry.compliance_warnings = warnings  # from stopping the previous timer, if any
    return entry


def _stop(running, *, ended_at, actor):
    tags = sorted(running.tags.all(), key=lambda tag: (tag.name, tag.pk))
    tag_names = [tag.name for tag in tags]
    before = _snapshot(running, tag_names)
    running.ended_at = ended_at
    _save(running)
    running.saved_tags = tags
    _announce("time_entry.updated", entry=running, actor=actor, before=before, after=_snapshot(running, tag_names))
    return running


@transaction.atomic
def timer_stop(*, user, ended_at=None):
    """Stop the running timer now (or at `ended_at`, e.g. when it was forgotten). 409 if none runs."""
    now = timezone.now()
    ended_at = _utc(ended_at) or now
    if ended_at > now:
        raise TimeTrackingError("A timer cannot stop in the future.", field="ended_at")
    _lock_user(user)
    running = TimeEntry.objects.for_user(user).running().select_related("project", "task").first()
    if running is None:
        raise TimeTrackingConflict("No timer is running.", code="no_timer")
    if ended_at - running.started_at > max_entry_duration():
        raise TimeTrackingError(
            f"This timer has run for more than {settings.TIME_ENTRY_MAX_HOURS} hours: give the time you actually "
            "stopped (edit it on the timesheet, or send ended_at).",
            field="ended_at",
            code="too_long",
        )
    _check_times(running.started_at, ended_at)
    _check_unlocked(user, (running.started_at, ended_at))
    entry = _stop(running, ended_at=ended_at, actor=user)
    entry.compliance_warnings = _compliance_review(
        user=user, changed=[(entry.started_at, ended_at)], exclude_ids=[entry.pk]
    )
    return entry


@transaction.atomic
def timer_update(*, user, **changes):
    """Edit the running timer (project, task, tags, description, billable, start)."""
    if "ended_at" in changes or "duration" in changes:
        raise TimeTrackingError("Stop the timer to give it an end.", field="ended_at")
    _lock_user(user)
    running = TimeEntry.objects.for_user(user).running().select_related("project", "task").first()
    if running is None:
        raise TimeTrackingConflict("No timer is running.", code="no_timer")
    return entry_update(entry=running, **changes)


# --- Timesheet ------------------------------------------------------------------------------


@transaction.atomic
def timesheet_copy_previous_week(*, user, week_start):
    """Pin last week's projects/tasks (from its entries and rows) to the week starting `week_start`.

    Archived projects/tasks and projects the user may no longer log to are left out.
    Returns the number of rows added (rows already pinned are kept, not duplicated).
    """
    previous = week_start - timedelta(days=7)
    start, end = local_day_bounds(previous, previous + timedelta(days=6), user.tzinfo)
    pairs = set(
        TimeEntry.objects.for_user(user)
        .in_range(start, end)
        .filter(project__isnull=False)
        .values_list("project_id", "task_id")
    )
    pairs |= set(TimesheetRow.objects.filter(user=user, week_start=previous).values_list("project_id", "task_id"))
    loggable = set(Project.objects.loggable_by(user).filter(pk__in={p for p, _ in pairs}).values_list("pk", flat=True))
    active_tasks = set(Task.objects.filter(pk__in={t for _, t in pairs if t}, active=True).values_list("pk", flat=True))
    existing = set(TimesheetRow.objects.filter(user=user, week_start=week_start).values_list("project_id", "task_id"))
    new_rows = [
        TimesheetRow(user=user, week_start=week_start, project_id=project_id, task_id=task_id)
        for project_id, task_id in sorted(pairs, key=lambda pair: (pair[0], pair[1] or 0))
        if project_id in loggable
        and (task_id is None or task_id in active_tasks)
        and (project_id, task_id) not in existing
    ]
    TimesheetRow.objects.bulk_create(new_rows, ignore_conflicts=True)
    return len(new_rows)


@transaction.atomic
def timesheet_row_remove(*, user, week_start, project_id, task_id=None):
    """Unpin a project/task row from the user's week. Its entries, if any, stay (and keep the row shown)."""
    deleted, _ = TimesheetRow.objects.filter(
        user=user, week_start=week_start, project_id=project_id, task_id=task_id
    ).delete()
    return deleted


# --- Catalog (clients, projects, tasks, tags) ---------------------------------------------


@transaction.atomic
def catalog_delete(*, instance):
    """Delete a client/project/task/tag; one that time entries use is refused (archive it instead)."""
    try:
        with transaction.atomic():
            instance.delete()
    except ProtectedError as error:
        raise TimeTrackingConflict(
            f"{instance._meta.verbose_name.capitalize()} “{instance}” is in use by time entries or projects; "
            "archive it instead.",
            code="in_use",
        ) from error


# --- Period close (submit → approve = locked → reopen) ---------------------------------------

PERIOD_TEXT_MAX_LENGTH = 1000


def period_week_start(*, user, day):
    """The Monday of the ISO week containing `day` (a date, in the user's own calendar)."""
    return day - timedelta(days=day.weekday())


def can_decide_period(*, actor, period):
    """The user's manager or HR decide a week; nobody decides their own, not even HR."""
    if actor.pk == period.user_id:
        return False
    return actor.is_hr or period.user.manager_id == actor.pk


def _lock_period(period):
    # Lock the owner's row first (as every entry write does), then the period's: an approval and
    # an entry write in that week serialise, and two approvers at once serialise too; the second
    # then sees the first's decision and gets 409 instead of deciding again.
    _lock_user(period.user)
    return TimesheetPeriod.objects.select_for_update().select_related("user").get(pk=period.pk)


def _period_event(action, *, actor, period, old_status, **changes):
    audit_record(
        actor=actor,
        action=f"period.{action}",
        obj=period,
        changes={
            "status": [old_status, period.status],
            "week_start": [None, period.week_start.isoformat()],
            **{name: [None, value] for name, value in changes.items()},
        },
    )


def _clean_text(value, *, field, required):
    value = (value or "").strip()
    if required and not value:
        raise TimeTrackingError("Give a reason.", field=field, code="required")
    if len(value) > PERIOD_TEXT_MAX_LENGTH:
        raise TimeTrackingError(f"At most {PERIOD_TEXT_MAX_LENGTH} characters.", field=field)
    return value


@transaction.atomic
def period_submit(*, user, day):
    """Submit the user's ISO week containing `day` for approval. Only its owner submits it;
    a week that has not started yet cannot be submitted."""
    week_start = period_week_start(user=user, day=day)
    if week_start > timezone.localdate(timezone=user.tzinfo):
        raise TimeTrackingError("This week has not started yet.", field="week", code="future_week")
    _lock_user(user)
    period, _ = TimesheetPeriod.objects.select_for_update().get_or_create(user=user, week_start=week_start)
    if period.status == TimesheetPeriod.Status.SUBMITTED:
        raise TimeTrackingConflict("This week is already submitted.", code="already_submitted")
    if period.status == TimesheetPeriod.Status.APPROVED:
        raise PeriodLocked("This week is already approved and locked.")
    old_status = period.status
    period.status = TimesheetPeriod.Status.SUBMITTED
    period.submitted_at = timezone.now()
    period.save(update_fields=["status", "submitted_at", "updated_at"])
    _period_event("submitted", actor=user, period=period, old_status=old_status)
    return period


def _decide(*, actor, period, expected, verb):
    period = _lock_period(period)
    if not can_decide_period(actor=actor, period=period):
        if actor.pk == period.user_id:
            raise PeriodNotAllowed(f"You cannot {verb} your own week; your manager or HR does.")
        raise PeriodNotAllowed(f"Only {period.user}'s manager or HR can {verb} this week.")
    if period.status != expected:
        raise TimeTrackingConflict(
            f"This week is {period.get_status_display().lower()}; it cannot be {verb}d now.", code="already_decided"
        )
    return period


@transaction.atomic
def period_approve(*, actor, period):
    """Approve a submitted week: it is locked for everyone until reopened."""
    period = _decide(actor=actor, period=period, expected=TimesheetPeriod.Status.SUBMITTED, verb="approve")
    week_start, week_end = local_day_bounds(period.week_start, period.week_end, period.user.tzinfo)
    if TimeEntry.objects.for_user(period.user).running().filter(started_at__lt=week_end).exists():
        raise TimeTrackingConflict(
            "A timer started in this week is still running; it must be stopped first.", code="timer_running"
        )
    old_status = period.status
    period.status = TimesheetPeriod.Status.APPROVED
    period.decided_by, period.decided_at = actor, timezone.now()
    period.note = ""
    period.save(update_fields=["status", "decided_by", "decided_at", "note", "updated_at"])
    _period_event("approved", actor=actor, period=period, old_status=old_status)
    outbox_publish(
        event_type="period.locked",
        payload={
            "id": period.pk,
            "user": period.user_id,
            "week_start": period.week_start,
            "week_end": period.week_end,
            "starts_at": week_start,
            "ends_at": week_end,
            "approved_by": actor.pk,
            "approved_at": period.decided_at,
        },
    )
    return period


@transaction.atomic
def period_reject(*, actor, period, note):
    """Send a submitted week back to its owner (draft again) with a note saying what to fix."""
    note = _clean_text(note, field="note", required=True)
    period = _decide(actor=actor, period=period, expected=TimesheetPeriod.Status.SUBMITTED, verb="reject")
    old_status = period.status
    period.status = TimesheetPeriod.Status.DRAFT
    period.decided_by, period.decided_at = actor, timezone.now()
    period.note = note
    period.save(update_fields=["status", "decided_by", "decided_at", "note", "updated_at"])
    _period_event("rejected", actor=actor, period=period, old_status=old_status, note=note)
    return period


@transaction.atomic
def period_reopen(*, actor, period, reason):
    """Unlock an approved week (the manager or HR, with a reason); its owner can then change and resubmit it."""
    reason = _clean_text(reason, field="reason", required=True)
    period = _decide(actor=actor, period=period, expected=TimesheetPeriod.Status.APPROVED, verb="reopen")
    old_status = period.status
    period.status = TimesheetPeriod.Status.REOPENED
    period.decided_by, period.decided_at = actor, timezone.now()
    period.reopen_reason = reason
    period.save(update_fields=["status", "decided_by", "decided_at", "reopen_reason", "updated_at"])
    _period_event("reopened", actor=actor, period=period, old_status=old_status, reason=reason)
    return period
