"""The catalog (clients, projects, tasks, tags): created, changed, archived and deleted here, by the API,
the admin and the importer alike.

HR and managers write the catalog (`can_manage_catalog`); anyone may create a tag, as they can through an
entry. `actor=None` is the system (demo data, management commands): no permission check, audited without
an actor. Each write cleans the names, refuses duplicates (case-insensitively) with a field error, runs
`full_clean()`, saves, and appends one audit event (`client.created`, `project.archived`, ...) in the same
transaction. There is no webhook event for the catalog (webhooks.models.EVENT_TYPES), so none is published.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Required, TypedDict, TypeVar, Unpack

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext

from accounts.models import User
from accounts.services import audit_changes, audit_record
from core.errors import Forbidden
from timetracking.models import Client, Project, Tag, Task
from timetracking.services.common import TimeTrackingConflict, TimeTrackingError, can_manage_catalog
from timetracking.services.inputs import tag_name_collapsed

CatalogItem = TypeVar("CatalogItem", Client, Project, Task, Tag)

CATALOG_NOT_ALLOWED = "Only HR and managers can change clients, projects, tasks and tags."

# What a caller may set on each kind; `members` (projects) is a many-to-many, saved after the row.
CATALOG_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Client: ("name",),
    Project: ("client", "name", "code", "color", "active", "billable", "budget_hours", "members"),
    Task: ("project", "name", "active"),
    Tag: ("name",),
}


class CatalogNotAllowed(TimeTrackingError, Forbidden):
    """The actor may not change the catalog (403)."""

    default_code = "not_allowed"


class ClientFields(TypedDict, total=False):
    name: Required[str]


class ProjectFields(TypedDict, total=False):
    name: Required[str]
    client: Client | None
    code: str
    color: str
    active: bool
    billable: bool
    budget_hours: Decimal | None
    members: Iterable[User]


class TaskFields(TypedDict, total=False):
    name: Required[str]
    project: Required[Project]
    active: bool


class TagFields(TypedDict, total=False):
    name: Required[str]


# --- Rules ----------------------------------------------------------------------------------------


def _check_actor(actor: User | None, *, tag_create: bool = False) -> None:
    if actor is None or tag_create:
        return
    if not can_manage_catalog(actor):
        raise CatalogNotAllowed(CATALOG_NOT_ALLOWED)


def _tidy(instance: models.Model) -> None:
    """Names as stored and compared: trimmed; a tag's inner whitespace collapsed (as entries store it)."""
    if isinstance(instance, Tag):
        instance.name = tag_name_collapsed(instance.name)
    elif isinstance(instance, Client | Project | Task):
        instance.name = (instance.name or "").strip()
    if isinstance(instance, Project):
        instance.code = (instance.code or "").strip()


def _duplicates(instance: models.Model) -> dict[str, str]:
    """The case-insensitive uniqueness rules (the database's unique indexes), as field errors."""
    others = type(instance)._default_manager.exclude(pk=instance.pk) if instance.pk else type(instance)._default_manager
    errors: dict[str, str] = {}
    if isinstance(instance, Client):
        if others.filter(name__iexact=instance.name).exists():
            errors["name"] = "A client with this name exists."
    elif isinstance(instance, Project):
        if others.filter(name__iexact=instance.name, client_id=instance.client_id).exists():
            errors["name"] = "This client already has a project with this name."
        if instance.code and others.filter(code=instance.code).exists():
            errors["code"] = "Another project uses this code."
    elif isinstance(instance, Task):
        if others.filter(project_id=instance.project_id, name__iexact=instance.name).exists():
            errors["name"] = "This project already has a task with this name."
    elif isinstance(instance, Tag):
        if not instance.name:
            errors["name"] = "A tag name cannot be empty."
        elif others.filter(name__iexact=instance.name).exists():
            errors["name"] = "A tag with this name exists."
    return errors


def catalog_validate(*, instance: models.Model) -> None:
    """Tidy the names and refuse a duplicate (ValidationError by field, the API's 400 messages).

    The writes below call it before `full_clean()`; the admin's forms call it to show the same errors."""
    _tidy(instance)
    errors = _duplicates(instance)
    if errors:
        raise ValidationError(errors)


def _clean(instance: models.Model) -> None:
    catalog_validate(instance=instance)
    instance.full_clean()


def _save(instance: models.Model, *, update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            instance.save(update_fields=update_fields)
    except IntegrityError as error:
        # Two requests creating the same name at once: the unique index refuses the second.
        raise TimeTrackingConflict(gettext("This name is already taken."), code="duplicate") from error


def _set_members(instance: models.Model, members: Iterable[User] | None) -> None:
    if members is not None and isinstance(instance, Project):
        instance.members.set(members)


def _snapshot(instance: models.Model) -> dict[str, Any]:
    """The settable fields as plain values (ids for relations), for the audit diff."""
    snapshot: dict[str, Any] = {}
    for name in CATALOG_FIELDS[type(instance)]:
        field = instance._meta.get_field(name)
        if isinstance(instance, Project) and name == "members":
            snapshot[name] = sorted(instance.members.values_list("pk", flat=True)) if instance.pk else []
        elif isinstance(field, models.Field):
            snapshot[name] = getattr(instance, field.attname)
    return snapshot


def _audit(
    event: str,
    *,
    actor: User | None,
    instance: models.Model,
    object_id: Any,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    audit_record(
        actor=actor,
        action=f"{instance._meta.model_name}.{event}",
        object_type=instance._meta.label_lower,
        object_id=object_id,
        changes=audit_changes(before, after),
    )


def _lock(instance: CatalogItem) -> CatalogItem:
    # The row as stored, locked: two changes at once serialise, so each audit event's "before" is
    # what the other left (not both the same old values), and a change of the caller's stale or
    # already-edited copy (the admin's form sets the fields first) is diffed against the database.
    locked: CatalogItem = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    return locked


# --- Create ---------------------------------------------------------------------------------------


@transaction.atomic
def catalog_create(*, actor: User | None, instance: CatalogItem, members: Iterable[User] | None = None) -> CatalogItem:
    """Save a new client/project/task/tag the caller built (the admin's form does); returns it saved."""
    if not instance._state.adding:
        raise ValueError(f"{instance!r} is already saved; change it with catalog_update.")
    if members is not None and not isinstance(instance, Project):
        raise TimeTrackingError(gettext("Only projects have members."), field="members")
    _check_actor(actor, tag_create=isinstance(instance, Tag))
    _clean(instance)
    _save(instance)
    _set_members(instance, members)
    _audit("created", actor=actor, instance=instance, object_id=instance.pk, before={}, after=_snapshot(instance))
    return instance


def client_create(*, actor: User | None, **fields: Unpack[ClientFields]) -> Client:
    return catalog_create(actor=actor, instance=Client(**fields))


def project_create(*, actor: User | None, **fields: Unpack[ProjectFields]) -> Project:
    members = fields.pop("members", None)
    return catalog_create(actor=actor, instance=Project(**fields), members=members)


def task_create(*, actor: User | None, **fields: Unpack[TaskFields]) -> Task:
    return catalog_create(actor=actor, instance=Task(**fields))


def tag_create(*, actor: User | None, **fields: Unpack[TagFields]) -> Tag:
    """Anyone may create a tag (entries create unknown tag names too)."""
    return catalog_create(actor=actor, instance=Tag(**fields))


# --- Change, archive ------------------------------------------------------------------------------


@transaction.atomic
def catalog_update(*, actor: User | None, instance: CatalogItem, **changes: Any) -> CatalogItem:
    """Change the given fields (`CATALOG_FIELDS`) of a client/project/task/tag; returns the saved row.

    Only the fields that change are written (a rename does not undo an archive saved meanwhile), and
    a write that changes nothing leaves no audit event."""
    _check_actor(actor)
    unknown = sorted(set(changes) - set(CATALOG_FIELDS[type(instance)]))
    if unknown:
        raise TimeTrackingError(gettext("These fields cannot be changed: {join}.").format(join=", ".join(unknown)))
    stored = _lock(instance)
    before = _snapshot(stored)
    members = changes.pop("members", None)
    for name, value in changes.items():
        setattr(stored, name, value)
    _clean(stored)
    changed = [name for name, value in _snapshot(stored).items() if name != "members" and value != before[name]]
    if changed:
        _save(stored, update_fields=changed)
    _set_members(stored, members)
    after = _snapshot(stored)
    if after != before:
        _audit("updated", actor=actor, instance=stored, object_id=stored.pk, before=before, after=after)
    return stored


def _set_active(*, actor: User | None, instance: CatalogItem, active: bool) -> CatalogItem:
    if not isinstance(instance, Project | Task):
        raise TimeTrackingError(
            gettext("A {verbose_name} cannot be archived.").format(verbose_name=instance._meta.verbose_name),
            code="not_archivable",
        )
    _check_actor(actor)
    stored = _lock(instance)
    if stored.active == active:
        state = "open" if active else "archived"
        raise TimeTrackingConflict(
            gettext("{capitalize} “{stored}” is already {state}.").format(
                capitalize=str(stored._meta.verbose_name).capitalize(), stored=stored, state=state
            ),
            code=f"already_{state}",
        )
    stored.active = active
    _save(stored, update_fields=["active"])
    _audit(
        "unarchived" if active else "archived",
        actor=actor,
        instance=stored,
        object_id=stored.pk,
        before={"active": not active},
        after={"active": active},
    )
    return stored


@transaction.atomic
def catalog_archive(*, actor: User | None, instance: CatalogItem) -> CatalogItem:
    """Archive a project or task: it takes no new time (its entries stay). Archived already: 409."""
    return _set_active(actor=actor, instance=instance, active=False)


@transaction.atomic
def catalog_unarchive(*, actor: User | None, instance: CatalogItem) -> CatalogItem:
    """Reopen an archived project or task. Open already: 409."""
    return _set_active(actor=actor, instance=instance, active=True)


# --- Delete ---------------------------------------------------------------------------------------


@transaction.atomic
def catalog_delete(*, instance: Client | Project | Task | Tag, actor: User | None = None) -> None:
    """Delete a client/project/task/tag; one that time entries use is refused (archive it instead)."""
    _check_actor(actor)
    object_id, before = instance.pk, _snapshot(instance)
    try:
        with transaction.atomic():
            instance.delete()
    except ProtectedError as error:
        raise TimeTrackingConflict(
            gettext("{capitalize} “{instance}” is in use by time entries or projects; archive it instead.").format(
                capitalize=str(instance._meta.verbose_name).capitalize(), instance=instance
            ),
            code="in_use",
        ) from error
    _audit("deleted", actor=actor, instance=instance, object_id=object_id, before=before, after={})
