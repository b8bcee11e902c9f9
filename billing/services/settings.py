"""A client's currency and a project's rounding: read with their company defaults, and set by HR
(currency) or HR and the project's managers (rounding). Audited."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_changes, audit_record
from billing.currencies import is_currency
from billing.models import Budget, ClientBilling, ProjectBilling, Rate, managed_projects
from billing.rounding import Rounding
from billing.services.errors import BillingConflict, BillingError, BillingForbidden
from timetracking.models import Client, Project, TimeEntry


def default_currency() -> str:
    return str(settings.BILLING_DEFAULT_CURRENCY)


def default_rounding() -> Rounding:
    return Rounding.parse(settings.BILLING_ROUNDING)


def client_currency(client: Client | None) -> str:
    """The currency `client` is billed in (the company default without a client or a setting)."""
    if client is None:
        return default_currency()
    billing = ClientBilling.objects.filter(client=client).values_list("currency", flat=True).first()
    return billing or default_currency()


def project_rounding(project: Project | None) -> Rounding:
    if project is None:
        return default_rounding()
    billing = ProjectBilling.objects.filter(project=project).first()
    return billing.rounding if billing is not None else default_rounding()


@transaction.atomic
def client_currency_set(*, actor: User, client: Client, currency: str) -> ClientBilling:
    """HR sets the currency `client` is billed in. Refused (409 `in_use`) while the client's rates
    are in another one: amounts are never converted between currencies."""
    if not actor.is_hr:
        raise BillingForbidden(_("Only HR sets a client's currency."))
    if not is_currency(currency):
        raise BillingError(
            _("{currency} is not an ISO 4217 currency code.").format(currency=repr(str(currency)[:10])),
            field="currency",
            code="unknown",
        )
    # Locked: a rate created for the client meanwhile would be in the old currency.
    Client.objects.select_for_update().get(pk=client.pk)
    before = client_currency(client)
    priced = Rate.objects.filter(client=client) | Rate.objects.filter(project__client=client)
    priced = priced | Rate.objects.filter(task__project__client=client)
    if priced.exclude(currency=currency).exists():
        raise BillingConflict(
            _("The client's rates are in {currency}: change or delete them first.").format(currency=before),
            field="currency",
            code="in_use",
        )
    budgets = Budget.objects.filter(Q(client=client) | Q(project__client=client), amount__isnull=False)
    if budgets.exclude(currency=currency).exists():
        raise BillingConflict(
            _("The client's money budgets are in {currency}: change or remove them first.").format(currency=before),
            field="currency",
            code="in_use",
        )
    billing, _created = ClientBilling.objects.update_or_create(client=client, defaults={"currency": currency})
    if currency != before:
        from billing.services.prices import prices_refresh  # prices reads this module's defaults

        prices_refresh(entries=TimeEntry.objects.filter(project__client=client))
    changes = audit_changes({"currency": before}, {"currency": currency})
    if changes:
        audit_record(actor=actor, action="billing.client_currency_set", obj=client, changes=changes)
    return billing


@transaction.atomic
def project_rounding_set(*, actor: User, project: Project, rounding: Rounding) -> ProjectBilling:
    """HR or the project's managers set how its time is rounded when billed."""
    if not actor.is_hr and not managed_projects(actor).filter(pk=project.pk).exists():
        raise BillingForbidden(_("Only HR and the managers of a project set its rounding."))
    before = project_rounding(project)
    billing, _created = ProjectBilling.objects.update_or_create(
        project=project,
        defaults={
            "rounding_mode": rounding.mode,
            "rounding_minutes": rounding.minutes,
            "rounding_scope": rounding.scope,
        },
    )
    changes = audit_changes({"rounding": str(before)}, {"rounding": str(rounding)})
    if changes:
        from billing.services.prices import prices_refresh  # prices reads this module's defaults

        prices_refresh(entries=TimeEntry.objects.filter(project=project))
    if changes:
        audit_record(actor=actor, action="billing.project_rounding_set", obj=project, changes=changes)
    return billing
