"""The suite's response validator (issue 17, item 3): every answer a test gets from `/api/v1/` through
Django's test client or DRF's APIClient is checked against the served OpenAPI schema, so that the
schema cannot drift from what the server sends.

Checked, by Schemathesis' own response checks (the ones its fuzzing runs use): the status code is
declared for the operation, the content type is one declared for that status, the declared response
headers are there when required and match their schema, and the body matches its schema (required
fields, types, enums, nullability). Only responses: a test may send anything it likes.

Hooked once, in the root conftest.py (`_validate_api_responses`, autouse): it wraps
`django.test.Client.request`, which APIClient goes through too. The schema is drf-spectacular's,
generated once per test session (per xdist worker) as `/api/v1/schema/` serves it.

A mismatch fails the test at the request that met it, with the operation, what does not match and
the body. A test that must look at a mismatching answer on purpose (the validator's own tests) uses
`expect_schema_mismatch()`.
"""

import json
import re
import threading
from collections import Counter
from contextlib import contextmanager
from functools import cache
from typing import Any
from urllib.parse import parse_qs

API_PREFIX = "/api/v1/"

# Answers under /api/v1/ that the schema cannot describe, and why. Everything else under the prefix
# is validated; a route the schema does not have at all fails, unless the server refused it (404/405).
NOT_IN_SCHEMA = {
    "/api/v1/": "the router's browsable index of endpoints, left out of the schema by drf-spectacular",
    "/api/v1/schema/": "the OpenAPI document itself: a schema does not describe itself",
    "/api/v1/docs/": "Swagger UI's HTML page, for people",
    "/api/v1/redoc/": "ReDoc's HTML page, for people",
    "/api/v1/redoc/redoc.standalone.js": "ReDoc's JavaScript bundle, served for the docs page",
}
# Methods drf-spectacular never writes into a schema, and why.
METHODS_NOT_IN_SCHEMA = {
    "OPTIONS": "DRF's metadata and CORS preflight answers, which OpenAPI operations do not describe",
    "HEAD": "a GET without its body; drf-spectacular declares only the GET",
}
# A path or method the schema has no operation for (a GET on a POST-only action, a POST on a detail)
# may only be refused: not authenticated, not allowed (permissions are checked before the method), not
# found or method not allowed, with an error body carrying its code like every API error.
REFUSED_ROUTE_STATUSES = {401, 403, 404, 405}

# How many answers were validated and skipped (per process; conftest.py prints the totals).
counts: Counter[str] = Counter()

_state = threading.local()


class SchemaMismatch(AssertionError):
    """An API answer that the OpenAPI schema does not describe."""


@cache
def openapi_schema() -> Any:
    """The served schema (as `/api/v1/schema/` renders it), loaded by Schemathesis; once per session."""
    import schemathesis
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    raw = json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))
    return schemathesis.openapi.from_dict(raw)


def _checks() -> list[Any]:
    from schemathesis.specs.openapi import checks

    return [
        checks.status_code_conformance,
        checks.content_type_conformance,
        checks.response_headers_conformance,
        checks.response_schema_conformance,
    ]


@contextmanager
def expect_schema_mismatch():
    """Inside this block a mismatch is collected (in the list yielded) instead of failing the test."""
    collected: list[SchemaMismatch] = []
    previous = getattr(_state, "collect", None)
    _state.collect = collected
    try:
        yield collected
    finally:
        _state.collect = previous


def _body_of(response) -> bytes:
    """The body as sent. A streamed answer (a download) is read here and handed back to the test
    as the same bytes, still streamed."""
    if not getattr(response, "streaming", False):
        return response.content
    body = b"".join(response.streaming_content)
    response.streaming_content = [body]
    return body


def _response_headers(response) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in response.items():
        headers.setdefault(name.lower(), []).append(value)
    return headers


def _request_headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").title(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = str(environ["CONTENT_TYPE"])
    return headers


def _path_parameters(template: str, path: str) -> dict[str, str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    match = re.fullmatch(pattern, path)
    return match.groupdict() if match else {}


def _report(mismatch: SchemaMismatch) -> None:
    __tracebackhide__ = True
    collected = getattr(_state, "collect", None)
    if collected is not None:
        collected.append(mismatch)
        return
    if threading.current_thread() is not threading.main_thread():
        # An exception in a test's worker thread may never reach the test: the fixture fails it after.
        thread_mismatches.append(mismatch)
    raise mismatch


# Mismatches met in threads other than the main one, failed by the fixture after the test.
thread_mismatches: list[SchemaMismatch] = []


def validate(request: dict[str, Any], response) -> None:
    """Check one answer of the test client (`request` is the WSGI environ it was made from)."""
    __tracebackhide__ = True
    path = request.get("PATH_INFO", "")
    if not path.startswith(API_PREFIX):
        return
    if path in NOT_IN_SCHEMA:
        counts["skipped"] += 1
        return
    method = request.get("REQUEST_METHOD", "GET").upper()
    if method in METHODS_NOT_IN_SCHEMA:
        counts["skipped"] += 1
        return
    schema = openapi_schema()
    operation = schema.find_operation_by_path(method, path)
    if operation is None:
        if response.status_code in REFUSED_ROUTE_STATUSES:
            counts["refused routes"] += 1
            _check_refusal(method, path, response)
            return
        counts["validated"] += 1
        _report(
            SchemaMismatch(
                f"{method} {path} answered {response.status_code}, but the OpenAPI schema has no such operation: "
                f"declare it (extend_schema) or, if no schema can describe it, add it to "
                f"config/tests/response_validation.NOT_IN_SCHEMA with the reason."
            )
        )
        return
    counts["validated"] += 1
    _validate_against(operation, method, path, request, response)


def _refusal_codes() -> dict[int, list[str]]:
    from config import schema

    return {
        401: schema.AUTHENTICATION_CODES,
        403: schema.PERMISSION_CODES,
        404: schema.NOT_FOUND_CODES,
        405: ["method_not_allowed"],
    }


def _check_refusal(method: str, path: str, response) -> None:
    """A refused route's answer is an API error all the same: JSON with a `code` of its status."""
    __tracebackhide__ = True
    codes = _refusal_codes()[response.status_code]
    try:
        body = json.loads(_body_of(response))
    except ValueError:
        body = None
    if not (isinstance(body, dict) and body.get("code") in codes):
        _report(
            SchemaMismatch(
                f"{method} {path} (no such operation) answered {response.status_code} without a JSON error "
                f"body whose `code` is one of {codes}: {_body_of(response)[:300]!r}"
            )
        )


def _validate_against(operation, method: str, path: str, request: dict[str, Any], response) -> None:
    __tracebackhide__ = True
    import requests
    from schemathesis.core.failures import Failure, FailureGroup, format_failures
    from schemathesis.core.transport import Response

    query_string = request.get("QUERY_STRING", "")
    if isinstance(query_string, bytes):
        query_string = query_string.decode("latin-1")
    headers = _request_headers(request)
    url = f"http://testserver{path}" + (f"?{query_string}" if query_string else "")
    sent = requests.Request(method=method, url=url, headers=headers).prepare()
    answer = Response(
        status_code=response.status_code,
        headers=_response_headers(response),
        content=_body_of(response),
        request=sent,
        elapsed=0.0,
        verify=False,
        message=getattr(response, "reason_phrase", ""),
    )
    case = operation.Case(
        method=method,
        path_parameters=_path_parameters(operation.path, path),
        query={key: values[0] if len(values) == 1 else values for key, values in parse_qs(query_string).items()},
    )
    try:
        case.validate_response(answer, checks=_checks())
    except (FailureGroup, Failure) as error:
        failures = list(error.exceptions) if isinstance(error, FailureGroup) else [error]
        details = format_failures(
            case_id=None, response=answer, failures=failures, curl=None, config=operation.schema.config.output
        )
        _report(
            SchemaMismatch(
                f"{method} {path} answered {response.status_code} in a way the OpenAPI schema "
                f"({operation.method.upper()} {operation.path}) does not describe:\n{details}"
            )
        )
