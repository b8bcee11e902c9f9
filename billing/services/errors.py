"""Billing's domain errors (core.errors' kinds: 400, 403, 404, 409)."""

from core.errors import Conflict, DomainError, Forbidden


class BillingError(DomainError):
    """A billing rule refused the input (400)."""


class BillingForbidden(BillingError, Forbidden):
    """The caller may not set this (403)."""

    default_code = "not_allowed"


class BillingConflict(BillingError, Conflict):
    """The write clashes with what is billed already (409)."""
