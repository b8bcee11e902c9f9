"""One error vocabulary for every app's services, and its mapping to JSON API errors.

Services raise `DomainError` subclasses (each app has its own, e.g. `TimeTrackingError`).
API views let them propagate; `api_exception_handler` turns them into
400 (a rule refused the input, optionally naming a field), 404 or 409 (a conflict with
the current state: overlap, already decided, timer already running). Page views catch
them and show the message next to the field.
"""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from rest_framework import status
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    """A business rule refused a write. `field` names the input at fault, if any."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, message, *, code=None, field=None):
        super().__init__(message)
        self.message = str(message)
        self.code = code or self.default_code
        self.field = field

    def as_dict(self):
        if self.field:
            return {self.field: [self.message], "code": self.code}
        return {"detail": self.message, "code": self.code}


class Conflict(DomainError):
    """The write clashes with the current state of the data (HTTP 409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(data):
    """`data` with every lone surrogate replaced by U+FFFD: an error message may echo the input
    ('"\\ud800" is not a valid choice.'), and UTF-8 cannot encode a lone surrogate, so rendering
    such an answer was a 500."""
    if isinstance(data, str):
        if not _LONE_SURROGATE.search(data):
            return data
        cleaned = _LONE_SURROGATE.sub("\ufffd", data)
        return ErrorDetail(cleaned, code=data.code) if isinstance(data, ErrorDetail) else cleaned
    if isinstance(data, dict):
        return {printable(key): printable(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [printable(item) for item in data]
    return data


def api_exception_handler(exc, context):
    response = _exception_response(exc, context)
    if response is not None:
        response.data = printable(response.data)
    return response


def _exception_response(exc, context):
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = ValidationError(detail)
    if isinstance(exc, OperationalError):
        # The database is unreachable: tell the client to come back, never a 500.
        response = Response(
            {"detail": "The service is temporarily unavailable.", "code": "unavailable"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "5"
        return response
    return exception_handler(exc, context)
