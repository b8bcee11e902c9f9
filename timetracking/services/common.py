"""The limits of time tracking input, its domain errors, and who may manage the catalog."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings

from accounts.models import User
from core.errors import BatchRefused, Conflict, DomainError, Forbidden

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from timetracking.compliance import Violation

TAG_NAME_MAX_LENGTH = 50
MAX_TAGS_PER_ENTRY = 20
DESCRIPTION_MAX_LENGTH = 1000
BULK_MAX_ROWS = 500


class TimeTrackingError(DomainError):
    """A time tracking rule refused the input (400)."""


class TimeTrackingConflict(TimeTrackingError, Conflict):
    """The write clashes with the user's other entries or their running timer (409)."""


class PeriodLocked(TimeTrackingConflict):
    """The entry lies in an approved (locked) week (409 `period_locked`)."""

    default_code = "period_locked"


class PeriodNotAllowed(TimeTrackingError, Forbidden):
    """The caller sees the week but may not take this decision on it (403)."""

    default_code = "not_allowed"


class ComplianceBlocked(TimeTrackingConflict):
    """WORKING_TIME_BLOCK_ON_VIOLATION is on and the write would breach a working-time rule (409)."""

    default_code = "compliance_violation"

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__(
            "This would breach the working-time rules: " + " ".join(violation.message for violation in violations)
        )
        self.violations = violations

    def as_dict(self) -> dict[str, Any]:
        return {
            "detail": self.message,
            "code": self.code,
            "violations": [violation.as_dict() for violation in self.violations],
        }


class BulkError(BatchRefused, TimeTrackingError):
    """Some rows of a bulk request were refused; nothing was written. `errors` lists each row as
    {"index": i, "kind": kind, "errors": body} (core.errors.BatchRefused)."""

    default_code = "invalid_rows"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} row(s) were refused; nothing was saved.", errors)

    @property
    def errors(self) -> list[dict[str, Any]]:
        return self.items


def max_entry_duration() -> timedelta:
    return timedelta(hours=settings.TIME_ENTRY_MAX_HOURS)


def can_manage_catalog(user: User | AnonymousUser) -> bool:
    """Clients, projects, tasks and tags are changed by HR and managers; everyone reads them."""
    return user.is_authenticated and (user.is_hr or user.is_manager)
