"""What reprices entries without going through billing's services: a project moved to another
client (its currency and client rates change) and a person's new time zone (their entries' local
days move), by whatever path they are saved (admin, API, pages); and the company defaults, checked
after `migrate`. Connected in BillingConfig.ready()."""

from typing import Any

from django.db import connection

from accounts.models import User
from timetracking.models import Project, TimeEntry

_UNSET = object()


def _saves(update_fields: Any, field: str) -> bool:
    return update_fields is None or field in update_fields or f"{field}_id" in update_fields


def remember_project_client(
    sender: Any, instance: Project, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw or instance.pk is None or not _saves(update_fields, "client"):
        return
    instance.__dict__["_billing_client_before"] = (
        Project.objects.filter(pk=instance.pk).values_list("client_id", flat=True).first()
    )


def reprice_moved_project(
    sender: Any, instance: Project, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    before = instance.__dict__.pop("_billing_client_before", _UNSET)
    if created or raw or before is _UNSET or before == instance.client_id:
        return
    from billing.services.prices import prices_refresh

    prices_refresh(entries=TimeEntry.objects.filter(project=instance))


def remember_timezone(sender: Any, instance: User, raw: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    if raw or instance.pk is None or not _saves(update_fields, "timezone"):
        return
    instance.__dict__["_billing_timezone_before"] = (
        User.objects.filter(pk=instance.pk).values_list("timezone", flat=True).first()
    )


def reprice_moved_days(sender: Any, instance: User, created: bool = False, raw: bool = False, **kwargs: Any) -> None:
    before = instance.__dict__.pop("_billing_timezone_before", _UNSET)
    if created or raw or before is _UNSET or before == instance.timezone:
        return
    from billing.services.prices import prices_refresh

    prices_refresh(entries=TimeEntry.objects.filter(user=instance))


def sync_prices_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """Reprice every entry when BILLING_DEFAULT_CURRENCY or BILLING_ROUNDING changed since the last
    pricing (a deploy changed them), once the tables exist (not after `migrate billing zero`)."""
    from billing.models import PricingState
    from billing.services.prices import prices_sync_settings

    if using != "default":
        return
    tables = set(connection.introspection.table_names())
    if {PricingState._meta.db_table, TimeEntry._meta.db_table} <= tables:
        prices_sync_settings()
