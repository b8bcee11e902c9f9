"""One error vocabulary for every app's services, with no HTTP in it.

Services raise `DomainError` subclasses (each app has its own, e.g. `TimeTrackingError`). Each
error has a `kind`, what went wrong in the domain's words: the input was refused (`invalid`),
the thing does not exist for the caller (`not_found`), the caller may not do this (`forbidden`),
or the write clashes with the current state (`conflict`: overlap, already decided, timer
already running). The API layer maps kinds to HTTP, in one place (config/api.py's exception
handler); page views catch the errors and show the message next to the field.
"""

from typing import Any

INVALID = "invalid"
NOT_FOUND = "not_found"
FORBIDDEN = "forbidden"
CONFLICT = "conflict"
KINDS = (INVALID, NOT_FOUND, FORBIDDEN, CONFLICT)


class DomainError(Exception):
    """A business rule refused a write. `field` names the input at fault, if any."""

    kind = INVALID
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code or self.default_code
        self.field = field

    def as_dict(self) -> dict[str, Any]:
        if self.field:
            return {self.field: [self.message], "code": self.code}
        return {"detail": self.message, "code": self.code}


class Conflict(DomainError):
    """The write clashes with the current state of the data."""

    kind = CONFLICT
    default_code = "conflict"


class NotFound(DomainError):
    kind = NOT_FOUND
    default_code = "not_found"


class Forbidden(DomainError):
    """The caller sees the thing but may not do this to it."""

    kind = FORBIDDEN
    default_code = "forbidden"


class BatchRefused(DomainError):
    """Some items of a batch were refused and nothing was written. `items` lists each refused item
    as {"index": i, "kind": kind, "errors": body}; the API layer tells the client each item's
    kind in its own terms (config/api.py: the item's HTTP status)."""

    def __init__(self, message: str, items: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.items = items

    def as_dict(self) -> dict[str, Any]:
        return {"detail": self.message, "code": self.code, "errors": self.items}
