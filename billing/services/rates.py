"""Writes on rates: create, change, delete. HR sets any rate; a project's managers set the rates of
the projects they manage (the project's, its tasks', its people's). Every write is audited.

A rate is valid from its day until the next rate of the same kind and target, so changing a rate
from a day on is a new rate, and the days before keep the rate they had. A rate may start in the
future (next year's rate, scheduled now): it applies from its day, not before.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import User
from accounts.services import audit_changes, audit_record
from billing.currencies import MINOR_UNITS, is_currency, round_money
from billing.models import LEVEL_TARGETS, TARGET_FIELDS, Rate, RateKind, RateLevel, managed_projects
from billing.services.errors import BillingError, BillingForbidden
from billing.services.invoices import refuse_invoiced_rate_change
from billing.services.prices import prices_refresh, rate_scope
from billing.services.settings import client_currency, default_currency
from core.days import FIRST_DAY, LAST_DAY
from timetracking.models import Client, Project, Task

RATE_EDITABLE_FIELDS = ("amount", "currency", "valid_from")
RATE_FIELDS = ("kind", "level", *TARGET_FIELDS, *RATE_EDITABLE_FIELDS)
NOT_ALLOWED = gettext_lazy("Only HR and the managers of a project set its rates.")


def can_set_rates(user: User) -> bool:
    """Who may write rates at all (the API's permission): HR and managers."""
    return user.is_authenticated and (user.is_hr or user.is_manager)


def _audited(rate: Rate) -> dict[str, Any]:
    return {
        "kind": rate.kind,
        "level": rate.level,
        **{f"{name}_id": getattr(rate, f"{name}_id") for name in TARGET_FIELDS},
        "amount": round_money(Decimal(rate.amount), rate.currency),
        "currency": rate.currency,
        "valid_from": rate.valid_from,
    }


def _refuse_invoiced_period(rate: Rate, day: date) -> None:
    """A rate written from `day` on would change the amounts of entries from `day` on: refused
    (409 `invoiced`) when any of them (of the rate's target) is on an invoice. Every rate write
    passes through it."""
    refuse_invoiced_rate_change(rate=rate, day=day)


def _reprice(rate: Rate, day: date) -> None:
    """Rewrite the stored prices of the entries the rate may price from `day` on (billing.services.prices)."""
    prices_refresh(
        entries=rate_scope(
            level=rate.level, day=day, **{f"{name}_id": getattr(rate, f"{name}_id") for name in TARGET_FIELDS}
        )
    )


def _check_targets(level: str, targets: Mapping[str, Any]) -> None:
    needed = LEVEL_TARGETS[level]
    for name in needed:
        if targets.get(name) is None:
            raise BillingError(
                _("A {level} rate needs a {target}.").format(level=level.replace("_", " "), target=name),
                field=name,
                code="required",
            )
    for name in TARGET_FIELDS:
        if name not in needed and targets.get(name) is not None:
            raise BillingError(
                _("A {level} rate has no {target}.").format(level=level.replace("_", " "), target=name),
                field=name,
                code="not_allowed",
            )
    if level == RateLevel.USER_ON_PROJECT and not targets["user"].is_active:
        raise BillingError(_("This person has left."), field="user", code="inactive")


def _target_project(level: str, targets: Mapping[str, Any]) -> Project | None:
    project: Project | None = targets["task"].project if level == RateLevel.TASK else targets.get("project")
    return project


def _check_actor(actor: User, level: str, targets: Mapping[str, Any]) -> None:
    """HR sets any rate; a manager those of the projects they manage; a project they do not manage
    is one they cannot see in billing (a field error, as for an id that does not exist)."""
    if actor.is_hr:
        return
    if not actor.is_manager or level in (RateLevel.COMPANY, RateLevel.CLIENT):
        raise BillingForbidden(str(NOT_ALLOWED))
    project = _target_project(level, targets)
    assert project is not None  # project, task and user_on_project rates name one
    if not managed_projects(actor).filter(pk=project.pk).exists():
        field = "task" if level == RateLevel.TASK else "project"
        raise BillingError(_("No such {target}.").format(target=field), field=field, code="does_not_exist")


def _target_currency(level: str, targets: Mapping[str, Any]) -> str:
    """The currency a rate of this target is in: its client's (entries are billed in it)."""
    if level == RateLevel.COMPANY:
        return default_currency()
    client: Client | None = targets.get("client")
    if client is None:
        project = _target_project(level, targets)
        client = project.client if project is not None else None
    return client_currency(client)


def _check_amount(amount: Any, currency: str) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise BillingError(_("Give the rate as a decimal number."), field="amount")
    if amount < 0:
        raise BillingError(_("A rate is never negative."), field="amount", code="negative")
    places = MINOR_UNITS[currency]
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise BillingError(
            ngettext(
                "{currency} has {places} decimal place.", "{currency} has {places} decimal places.", places
            ).format(currency=currency, places=places),
            field="amount",
            code="precision",
        )
    if amount >= Decimal(10) ** 9:
        raise BillingError(_("That rate is too large."), field="amount", code="too_large")
    return amount


def _check_currency(currency: Any, expected: str, level: str) -> str:
    if currency in (None, ""):
        return expected
    if not is_currency(currency):
        raise BillingError(
            _("{currency} is not an ISO 4217 currency code.").format(currency=repr(str(currency)[:10])),
            field="currency",
            code="unknown",
        )
    if level != RateLevel.COMPANY and currency != expected:
        raise BillingError(
            _("The client is billed in {currency}: give the rate in {currency}.").format(currency=expected),
            field="currency",
            code="mismatch",
        )
    return str(currency)


def _check_valid_from(valid_from: Any) -> date:
    if not isinstance(valid_from, date):
        raise BillingError(_("Give the first day as YYYY-MM-DD."), field="valid_from")
    if not FIRST_DAY <= valid_from <= LAST_DAY:
        raise BillingError(
            _("Give a day between {first} and {last}.").format(first=FIRST_DAY, last=LAST_DAY), field="valid_from"
        )
    return valid_from


def _duplicate() -> BillingError:
    return BillingError(
        _("A rate of this kind for this target is already valid from this day: change that one."),
        field="valid_from",
        code="duplicate",
    )


def _save(rate: Rate) -> None:
    same_day = Rate.objects.filter(
        kind=rate.kind,
        level=rate.level,
        currency=rate.currency,
        valid_from=rate.valid_from,
        **{f"{name}_id": getattr(rate, f"{name}_id") for name in TARGET_FIELDS},
    ).exclude(pk=rate.pk)
    if same_day.exists():
        raise _duplicate()
    try:
        # A savepoint: a rate written at the same moment for the same day fails on the unique
        # index, and the transaction must survive to answer with the field error.
        with transaction.atomic():
            rate.save()
    except IntegrityError as error:
        if "unique" in str(error).lower():
            raise _duplicate() from None
        raise


@transaction.atomic
def rate_create(
    *,
    actor: User,
    kind: str,
    level: str,
    amount: Decimal,
    valid_from: date,
    currency: str | None = None,
    client: Client | None = None,
    project: Project | None = None,
    task: Task | None = None,
    user: User | None = None,
) -> Rate:
    """A new rate of `kind` for the target of `level`, valid from `valid_from` (a future day too).
    `currency` defaults to the target client's (the company default for company rates)."""

    if kind not in RateKind.values:
        raise BillingError(
            _("A rate is one of {choices}.").format(choices=", ".join(RateKind.values)),
            field="kind",
            code="invalid_choice",
        )
    if level not in RateLevel.values:
        raise BillingError(
            _("A level is one of {choices}.").format(choices=", ".join(RateLevel.values)),
            field="level",
            code="invalid_choice",
        )
    targets = {"client": client, "project": project, "task": task, "user": user}
    _check_targets(level, targets)
    _check_actor(actor, level, targets)
    currency = _check_currency(currency, _target_currency(level, targets), level)
    rate = Rate(
        kind=kind,
        level=level,
        amount=round_money(_check_amount(amount, currency), currency),
        currency=currency,
        valid_from=_check_valid_from(valid_from),
        **targets,
    )
    _refuse_invoiced_period(rate, rate.valid_from)
    _save(rate)
    _reprice(rate, rate.valid_from)
    audit_record(actor=actor, action="billing.rate_created", obj=rate, changes=audit_changes({}, _audited(rate)))
    return rate


@transaction.atomic
def rate_update(*, actor: User, rate: Rate, data: Mapping[str, Any]) -> Rate:
    """Change a rate's amount, currency or first day. Its kind and target are what it is: another
    target is another rate (delete this one, create that one)."""

    fixed = set(data) - set(RATE_EDITABLE_FIELDS)
    if fixed:
        name = sorted(fixed)[0]
        raise BillingError(
            _("A rate's kind and target cannot change: create another rate."), field=name, code="not_editable"
        )
    # Locked: two changes of one rate at once would each audit a "before" the other overwrote.
    rate = (
        Rate.objects.select_for_update(of=("self",))
        .select_related("client", "project__client", "task__project__client")
        .get(pk=rate.pk)
    )
    targets = {name: getattr(rate, name) for name in TARGET_FIELDS}
    _check_actor(actor, rate.level, targets)
    before = _audited(rate)
    if "currency" in data:
        rate.currency = _check_currency(data["currency"], _target_currency(rate.level, targets), rate.level)
    if "amount" in data or "currency" in data:
        amount = _check_amount(data.get("amount", round_money(rate.amount, rate.currency)), rate.currency)
        rate.amount = round_money(amount, rate.currency)
    first_day = rate.valid_from
    if "valid_from" in data:
        new_day = _check_valid_from(data["valid_from"])
        first_day = min(new_day, rate.valid_from)
        rate.valid_from = new_day
    _refuse_invoiced_period(rate, first_day)
    _save(rate)
    _reprice(rate, first_day)
    changes = audit_changes(before, _audited(rate))
    if changes:
        audit_record(actor=actor, action="billing.rate_updated", obj=rate, changes=changes)
    return rate


@transaction.atomic
def rate_delete(*, actor: User, rate: Rate) -> None:
    """Delete a rate: its days fall back to the previous rate of its target (or a less specific one)."""

    rate = Rate.objects.select_for_update(of=("self",)).select_related("task__project").get(pk=rate.pk)
    _check_actor(actor, rate.level, {name: getattr(rate, name) for name in TARGET_FIELDS})
    _refuse_invoiced_period(rate, rate.valid_from)
    audit_record(actor=actor, action="billing.rate_deleted", obj=rate, changes=audit_changes(_audited(rate), {}))
    rate.delete()
    _reprice(rate, rate.valid_from)
