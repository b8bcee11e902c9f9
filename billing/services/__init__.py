"""Billing's writes: rates (`rates`), a client's currency and a project's rounding (`settings`)."""

from billing.services.errors import BillingConflict, BillingError, BillingForbidden
from billing.services.rates import can_set_rates, rate_create, rate_delete, rate_update
from billing.services.settings import (
    client_currency,
    client_currency_set,
    default_currency,
    default_rounding,
    project_rounding,
    project_rounding_set,
)

__all__ = [
    "BillingConflict",
    "BillingError",
    "BillingForbidden",
    "can_set_rates",
    "client_currency",
    "client_currency_set",
    "default_currency",
    "default_rounding",
    "project_rounding",
    "project_rounding_set",
    "rate_create",
    "rate_delete",
    "rate_update",
]
