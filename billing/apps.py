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
