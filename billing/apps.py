from decimal import Decimal, InvalidOperation

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from billing.currencies import is_currency
        from billing.rounding import Rounding

        # Fail at start-up, naming the variable, as config.env does for the others (config cannot
        # import an app to check them itself).
        if not is_currency(settings.BILLING_DEFAULT_CURRENCY):
            raise ImproperlyConfigured(
                f"BILLING_DEFAULT_CURRENCY: {settings.BILLING_DEFAULT_CURRENCY!r} is not an ISO 4217 code "
                "billing knows (billing/currencies.py)"
            )
        try:
            Rounding.parse(settings.BILLING_ROUNDING)
        except ValueError as error:
            raise ImproperlyConfigured(f"BILLING_ROUNDING: {error}") from None
        _check_invoice_settings()

        from billing.services.invoices import refuse_invoiced_entries
        from timetracking.locks import register_entry_lock

        # An entry on an invoice never changes, whichever path writes it (timetracking asks).
        register_entry_lock(refuse_invoiced_entries)

        from billing.services.budgets import check_entry_write
        from timetracking.services.checks import register_entry_write_check

        # Budgets that refuse time once used up, and their alerts (timetracking calls this on every entry write).
        register_entry_write_check(check_entry_write)

        from billing.services.prices import entry_prices_write_check

        # Every entry write rewrites the stored prices of the days it touches.
        register_entry_write_check(entry_prices_write_check)
        _connect_signals(self)


def _connect_signals(config: AppConfig) -> None:
    from django.db.models.signals import post_migrate, post_save, pre_save

    from accounts.models import User
    from billing import signals
    from timetracking.models import Project

    pre_save.connect(signals.remember_project_client, sender=Project, dispatch_uid="billing_project_client")
    post_save.connect(signals.reprice_moved_project, sender=Project, dispatch_uid="billing_project_client")
    pre_save.connect(signals.remember_timezone, sender=User, dispatch_uid="billing_user_timezone")
    post_save.connect(signals.reprice_moved_days, sender=User, dispatch_uid="billing_user_timezone")
    post_migrate.connect(signals.sync_prices_after_migrate, sender=config, dispatch_uid="billing_prices_sync")


def _check_invoice_settings() -> None:
    number_format = str(settings.BILLING_INVOICE_NUMBER_FORMAT)
    try:
        first, second = number_format.format(year=2026, number=1), number_format.format(year=2026, number=2)
    except (KeyError, IndexError, ValueError) as error:
        raise ImproperlyConfigured(
            f"BILLING_INVOICE_NUMBER_FORMAT: {number_format!r} is not a format of {{year}} and {{number}} ({error})"
        ) from None
    if first == second or len(first) > 40:
        raise ImproperlyConfigured(
            f"BILLING_INVOICE_NUMBER_FORMAT: {number_format!r} must contain {{number}} and give at most 40 characters"
        )
    try:
        rate = Decimal(str(settings.BILLING_TAX_RATE))
    except InvalidOperation:
        rate = Decimal("NaN")
    if not rate.is_finite() or not 0 <= rate <= 100:
        raise ImproperlyConfigured(f"BILLING_TAX_RATE: {settings.BILLING_TAX_RATE!r} is not a per cent from 0 to 100")
