"""Site-wide error views.

Pages get the site's own error pages (templates/404.html and the others, inside the layout). An
error page must never fail itself: if one cannot be rendered (a static file missing from the
manifest, a broken template), the error is logged and a plain page with the same status answers.
"""

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.defaults import bad_request as django_bad_request
from django.views.defaults import page_not_found as django_page_not_found
from django.views.defaults import permission_denied as django_permission_denied
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger(__name__)


def _styled(status: int, title: str, render: Callable[[], HttpResponse]) -> HttpResponse:
    try:
        return render()
    except Exception:  # the error page itself must not turn a 404 into a 500
        logger.exception("The %s page could not be rendered; answering a plain one.", status)
        return HttpResponse(f"<!doctype html><title>{title}</title><h1>{title}</h1>", status=status)


def server_error(request, *args, **kwargs):
    """A database outage is a 503 with Retry-After (JSON for the API), not a 500."""
    _type, error, _traceback = sys.exc_info()
    if isinstance(error, OperationalError | InterfaceError):
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"detail": gettext("The service is temporarily unavailable."), "code": "unavailable"}, status=503
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
        return JsonResponse({"detail": gettext("Server error."), "code": "server_error"}, status=500)
    return _styled(500, "Server error", lambda: _server_error_page(request, *args, **kwargs))


def _server_error_page(request, *args, **kwargs):
    """templates/500.html inside the whole layout (the menu and the timer of the signed-in user), so
    the person can go on from there; when that cannot be rendered (whatever broke the page breaks
    the layout's reads too), the same page without a request context, which needs no query."""
    try:
        return render(request, "500.html", status=500)
    except Exception:
        logger.warning("The 500 page could not be rendered with the request; answering it without.", exc_info=True)
        return django_server_error(request, *args, **kwargs)


def page_not_found(request, exception=None, *args, **kwargs):
    """Under /api/ a 404 is JSON like every other API error; pages get templates/404.html, inside the layout."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Not found."), "code": "not_found"}, status=404)

    return _styled(404, "Not found", lambda: django_page_not_found(request, exception, *args, **kwargs))


def bad_request(request, exception=None, *args, **kwargs):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext("Bad request."), "code": "bad_request"}, status=400)

    return _styled(400, "Bad request", lambda: django_bad_request(request, exception, *args, **kwargs))


def permission_denied(request, exception=None, *args, **kwargs):
    return _styled(403, "Forbidden", lambda: django_permission_denied(request, exception, *args, **kwargs))
