"""The `/api/v1/` router: every app registers its viewsets here, in one place. And the one
exception handler: the one mapping of the domain errors (core.errors) to HTTP answers."""

import re

from csp.decorators import csp_update
from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import status
from rest_framework.exceptions import APIException, ErrorDetail, NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.views import exception_handler

from accounts import api as accounts_api
from billing import api as billing_api
from billing import api_budgets as billing_budgets_api
from config.docs import redoc_bundle
from core import errors
from leave import api as leave_api
from reports import api as reports_api
from sprockets import api as sprockets_api
from timetracking import api as timetracking_api
from webhooks import api as webhooks_api

APPS = [
    accounts_api,
    timetracking_api,
    leave_api,
    sprockets_api,
    webhooks_api,
    reports_api,
    billing_api,
    billing_budgets_api,
]

# Time entries answer with their money: billing's TimeEntryViewSet (rate, amount, cost) in
# timetracking's place, chosen here because timetracking cannot know billing, which sits above it.
# Projects and clients answer with their rounding, currency and budget the same way.
REGISTRATION_OPTIONS = {
    timetracking_api: {
        "entries_viewset": billing_api.BilledTimeEntryViewSet,
        "projects_viewset": billing_budgets_api.BilledProjectViewSet,
        "clients_viewset": billing_budgets_api.BilledClientViewSet,
    }
}

router = DefaultRouter()
for module in APPS:
    module.register(router, **REGISTRATION_OPTIONS.get(module, {}))

# Swagger UI and ReDoc style their widgets with inline styles and ReDoc renders in a blob:
# worker: on these two pages only, the CSP allows that. Scripts stay 'self' (no inline script).
docs_csp = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"], "img-src": ["blob:"]})


class ApiDocsAccess(BasePermission):
    """The schema and its docs are public unless API_DOCS_PUBLIC is off; then they need a login
    (session, JWT or API key). They describe the API, never data (README "Security")."""

    def has_permission(self, request, view):
        return settings.API_DOCS_PUBLIC or bool(request.user and request.user.is_authenticated)


docs_access = {"permission_classes": [ApiDocsAccess]}

urlpatterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(**docs_access), name="schema"),
    path("docs/", docs_csp(SpectacularSwaggerSplitView.as_view(url_name="api:schema", **docs_access)), name="docs"),
    path("redoc/", docs_csp(SpectacularRedocView.as_view(url_name="api:schema", **docs_access)), name="redoc"),
    path("redoc/redoc.standalone.js", redoc_bundle, name="redoc-bundle"),  # templates/drf_spectacular/redoc.html
]
# The timer and bulk answers with their money, as the entries above.
URL_OPTIONS = {timetracking_api: billing_api.TIMETRACKING_VIEWS}
for module in APPS:
    if module in URL_OPTIONS:
        urlpatterns += module.api_urlpatterns(**URL_OPTIONS[module])
    else:
        urlpatterns += getattr(module, "urlpatterns", [])
urlpatterns += [path("", include(router.urls))]


# --- Errors -------------------------------------------------------------------------------
# API views let the services' domain errors propagate; the handler answers each with the status
# of its kind and its body (`as_dict`): 400 (a rule refused the input, optionally naming a
# field), 404, 403 or 409 (a conflict with the current state: overlap, already decided, timer
# already running).
STATUS_BY_KIND = {
    errors.INVALID: status.HTTP_400_BAD_REQUEST,
    errors.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    errors.FORBIDDEN: status.HTTP_403_FORBIDDEN,
    errors.CONFLICT: status.HTTP_409_CONFLICT,
}


def error_body(exc):
    """The JSON body of a domain error; a refused batch names each item's status."""
    body = exc.as_dict()
    if isinstance(exc, errors.BatchRefused):
        body["errors"] = [
            {"index": item["index"], "status": STATUS_BY_KIND[item["kind"]], "errors": item["errors"]}
            for item in exc.items
        ]
    return body


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_MODEL_NOT_FOUND = re.compile(r"No \w+ matches the given query\.")


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
    if isinstance(exc, errors.DomainError):
        return Response(error_body(exc), status=STATUS_BY_KIND[exc.kind])
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = ValidationError(detail)
    if isinstance(exc, OperationalError):
        # The database is unreachable: tell the client to come back, never a 500.
        response = Response(
            {"detail": gettext("The service is temporarily unavailable."), "code": "unavailable"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        response["Retry-After"] = "5"
        return response
    # As DRF's handler does, so that the code below sees DRF's exceptions (and their codes).
    if isinstance(exc, Http404):
        # get_object_or_404's "No TimeEntry matches the given query." is English and names a model:
        # DRF's own "Not found." instead, in the reader's language.
        exc = NotFound() if not exc.args or _MODEL_NOT_FOUND.fullmatch(str(exc.args[0])) else NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied(*exc.args)
    response = exception_handler(exc, context)
    if (
        response is not None
        and not isinstance(exc, ValidationError)
        and isinstance(response.data, dict)
        and "detail" in response.data
        and isinstance(exc, APIException)
    ):
        # Every error body names its `code` (config.schema declares each status's codes), DRF's own
        # (not_authenticated, permission_denied, not_found, throttled, ...) too.
        response.data.setdefault("code", exc.get_codes() if isinstance(exc.detail, str) else exc.default_code)
    return response
