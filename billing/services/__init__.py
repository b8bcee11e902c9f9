"""Billing's writes: rates (`rates`), a client's currency and a project's rounding (`settings`),
budgets with their usage and alerts (`budgets`)."""

from billing.services.budgets import (
    BudgetExceeded,
    budget_alerts_check,
    budget_create,
    budget_delete,
    budget_set,
    budget_update,
    budget_usages,
    can_set_budgets,
)
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
    "BudgetExceeded",
    "budget_alerts_check",
    "budget_create",
    "budget_delete",
    "budget_set",
    "budget_update",
    "budget_usages",
    "can_set_budgets",
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
