"""Site-wide error views."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.views.defaults import server_error as django_server_error


def server_error(request, *args, **kwargs):
    """A database outage is a 503 with Retry-After (JSON for the API), not a 500."""
    _type, error, _traceback = sys.exc_info()
    if isinstance(error, OperationalError | InterfaceError):
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"detail": "The service is temporarily unavailable.", "code": "unavailable"}, status=503
            )
        else:
            response = HttpResponse(
                "<!doctype html><title>Unavailable</title><h1>Temporarily unavailable</h1>"
                "<p>Please try again in a moment.</p>",
                status=503,
            )
        response["Retry-After"] = "5"
        return response
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error.", "code": "server_error"}, status=500)
    return django_server_error(request, *args, **kwargs)
