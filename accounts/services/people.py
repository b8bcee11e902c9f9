"""HR's writes on people: create, edit, deactivate (someone leaving) and reactivate.

The API, pages and imports call these. Apps holding a leaver's other state (a running timer,
pending leave requests) listen to `accounts.signals.user_deactivated`, sent inside the
deactivating transaction, so a failure there leaves the user active.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from accounts.services import AccountsError, audit_changes, audit_record
from core.errors import Conflict

# What HR sets on a person through the API and imports. Roles (staff, HR, superuser) and the
# password are not here: roles are granted in the admin, a password is set by its owner.
HR_EDITABLE_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "timezone",
    "country",
    "subdivision",
    "manager",
    "position",
    "weekly_hours",
    "working_weekdays",
)


class UserConflict(Conflict):
    pass


def _snapshot(user: User) -> dict[str, Any]:
    values = {field: getattr(user, field) for field in HR_EDITABLE_FIELDS if field not in ("manager", "position")}
    values["manager"] = user.manager_id
    values["position"] = user.position_id  # the id only: the trail never reads a salary
    values["is_active"] = user.is_active
    values["start_date"] = user.start_date.isoformat() if user.date_joined else None
    return values


def check_manager_chain(*, user: User | None, manager: User | None) -> None:
    """Refuse a manager who is the user or reports to them, however far down (a cycle would make
    approvals go round for ever). Raises AccountsError on `manager`."""

    if manager is None or user is None or user.pk is None:
        return
    seen: set[int] = set()
    current: User | None = manager
    while current is not None and current.pk not in seen:
        if current.pk == user.pk:
            raise AccountsError(
                gettext("{manager} reports to {user}: a manager cannot be one of the user's own reports.").format(
                    manager=manager, user=user
                ),
                field="manager",
                code="manager_cycle",
            )
        seen.add(current.pk)
        current = current.manager
    if manager.pk is not None and not manager.is_active:
        raise AccountsError(
            gettext("{manager} is deactivated and cannot manage anyone.").format(manager=manager),
            field="manager",
            code="inactive",
        )


# Beside the fields: the first day of work, a local date that becomes `date_joined` (its local
# midnight): before it the person cannot log in, and leave is pro-rated from it.
START_DATE = "start_date"


def _apply(user: User, data: Mapping[str, Any]) -> None:
    unknown = set(data) - set(HR_EDITABLE_FIELDS) - {START_DATE}
    if unknown:
        raise AccountsError(
            gettext("These fields cannot be set here: {join}.").format(join=", ".join(sorted(unknown))),
            code="not_editable",
        )
    for field, value in data.items():
        if field != START_DATE:
            setattr(user, field, value)
    start = data.get(START_DATE)
    if start is not None:
        if not isinstance(start, date):
            raise AccountsError(gettext("Give the start date as YYYY-MM-DD."), field=START_DATE)
        user.full_clean(exclude=["password"])  # the time zone it is read in must be valid first
        user.date_joined = datetime.combine(start, time.min, tzinfo=user.tzinfo)
    check_manager_chain(user=user, manager=user.manager)
    # A Django ValidationError is a 400 with field errors (config.api's exception handler).
    user.full_clean(exclude=["password"])


@transaction.atomic
def user_create(*, actor: User | None, data: Mapping[str, Any]) -> User:
    """A new person with no usable password: they choose one through their invitation or a
    password reset. Audited."""

    user = User()
    _apply(user, data)
    user.set_unusable_password()
    user.save()
    audit_record(actor=actor, action="accounts.user_created", obj=user, changes=audit_changes({}, _snapshot(user)))
    return user


@transaction.atomic
def user_update(*, actor: User | None, user: User, data: Mapping[str, Any]) -> User:
    """HR changes a person's name, contact, region, manager or contract. Audited with what changed."""

    user = User.objects.select_for_update().get(pk=user.pk)
    before = _snapshot(user)
    _apply(user, data)
    user.save(update_fields=["date_joined" if field == START_DATE else field for field in data])
    audit_record(actor=actor, action="accounts.user_updated", obj=user, changes=audit_changes(before, _snapshot(user)))
    return user


@transaction.atomic
def user_deactivate(*, actor: User | None, user: User) -> User:
    """Someone leaves: the account stays (their history is the company's) but cannot log in.
    Saving it inactive ends every session, refresh token, API key and calendar feed and runs
    `user_leaving_steps` (User.save). 409 if already deactivated; HR cannot deactivate themself."""

    # Locked: two HR people deactivating at once must not both run the leaving steps.
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise UserConflict(gettext("{user} is already deactivated.").format(user=user), code="already_inactive")
    if actor is not None and actor.pk == user.pk:
        raise UserConflict(gettext("You cannot deactivate your own account."), code="self")
    user.is_active = False
    user.deactivated_by = actor
    user.save(update_fields=["is_active"])  # runs the leaving steps (User.save)
    return user


def user_leaving_steps(*, user: User) -> dict[str, int]:
    """What happens to someone deactivated, on every path (User.save calls it, in the deactivating
    transaction): `user_deactivated` lets the apps stop their timer and withdraw their pending leave
    requests; what they did is audited. Their reports keep them as manager until HR moves them."""

    from accounts.signals import user_deactivated  # cycle: accounts.signals imports accounts.services

    results: dict[str, int] = {}
    if user.invited_at is not None:  # a pending invitation dies: reactivated, they are invited afresh
        User.objects.filter(pk=user.pk).update(invited_at=None)
        user.invited_at = None
        results["invitation_revoked"] = 1
    for _receiver, response in user_deactivated.send(sender=User, user=user, actor=user.deactivated_by):
        if isinstance(response, dict):
            results.update(response)
    audit_record(
        actor=user.deactivated_by,
        action="accounts.user_deactivated",
        obj=user,
        changes={"is_active": [True, False], **{name: [None, value] for name, value in results.items()}},
    )
    return results


@transaction.atomic
def user_reactivate(*, actor: User | None, user: User) -> User:
    """Someone comes back: they can log in again (with a new password if theirs was reset), nothing
    withdrawn at leaving comes back. 409 if already active."""

    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        raise UserConflict(gettext("{user} is already active.").format(user=user), code="already_active")
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(actor=actor, action="accounts.user_reactivated", obj=user, changes={"is_active": [False, True]})
    return user
