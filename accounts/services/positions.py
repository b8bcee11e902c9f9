"""HR's writes on positions (the jobs people hold): create, change, delete.

A salary is HR's only: the audit trail records that it changed, never the amounts (the trail is
read by more eyes, for longer, than the salary's owner would agree to).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext, ngettext

from accounts.models import Position, User
from accounts.services import AccountsError, audit_changes, audit_record
from core.errors import Conflict

POSITION_EDITABLE_FIELDS = ("title", "description", "salary")
# What the audit trail says of a changed salary, instead of the amounts.
SALARY_CHANGED = "[changed]"


class PositionConflict(Conflict):
    pass


def _audited(position: Position) -> dict[str, Any]:
    """What the trail may read: the title and description, and whether a salary is set, not which."""
    return {"title": position.title, "description": position.description, "salary": position.salary is not None}


def _salary_changes(before: Any, after: Any) -> dict[str, list[Any]]:
    if before == after:
        return {}
    return {"salary": [SALARY_CHANGED, SALARY_CHANGED]}


def _apply(position: Position, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(POSITION_EDITABLE_FIELDS)
    if unknown:
        raise AccountsError(
            gettext("These fields cannot be set here: {join}.").format(join=", ".join(sorted(unknown))),
            code="not_editable",
        )
    for field, value in data.items():
        setattr(position, field, value)
    if isinstance(position.title, str):
        position.title = position.title.strip()
    try:
        position.full_clean()
    except ValidationError as error:
        # The case-insensitive unique title is a constraint on an expression: Django reports it for
        # no field; it belongs at the title.
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        if "__all__" in messages:
            messages = {**messages}
            messages["title"] = [*messages.get("title", []), *messages.pop("__all__")]
        raise ValidationError(messages) from None


@transaction.atomic
def position_create(*, actor: User | None, data: Mapping[str, Any]) -> Position:
    """A new position. Audited (a salary as set or not, never its amount)."""

    position = Position()
    _apply(position, data)
    position.save()
    changes = audit_changes({}, {**_audited(position), "salary": None})
    if position.salary is not None:
        changes["salary"] = [None, SALARY_CHANGED]
    audit_record(actor=actor, action="accounts.position_created", obj=position, changes=changes)
    return position


@transaction.atomic
def position_update(*, actor: User | None, position: Position, data: Mapping[str, Any]) -> Position:
    """HR changes a position's title, description or salary. Audited with what changed (a salary
    change as "changed", without the amounts)."""

    position = Position.objects.select_for_update().get(pk=position.pk)
    before, salary_before = _audited(position), position.salary
    _apply(position, data)
    position.save()
    changes = audit_changes({**before, "salary": None}, {**_audited(position), "salary": None})
    changes.update(_salary_changes(salary_before, position.salary))
    if changes:
        audit_record(actor=actor, action="accounts.position_updated", obj=position, changes=changes)
    return position


@transaction.atomic
def position_delete(*, actor: User | None, position: Position) -> None:
    """Delete a position nobody holds. 409 `in_use` while someone (active or not) holds it: HR
    moves them first (the database's PROTECT refuses it too)."""

    # Locked: a user given this position at the same time would otherwise point at a deleted row
    # (PROTECT still refuses it, but as a database error instead of this 409).
    position = Position.objects.select_for_update().get(pk=position.pk)
    holders = User.objects.filter(position=position).count()
    if holders:
        raise PositionConflict(
            ngettext(
                "{holders} person holds the position {position}: give them another one first.",
                "{holders} people hold the position {position}: give them another one first.",
                holders,
            ).format(holders=holders, position=position),
            code="in_use",
        )
    audit_record(
        actor=actor,
        action="accounts.position_deleted",
        obj=position,
        changes={"title": [position.title, None]},
    )
    position.delete()
