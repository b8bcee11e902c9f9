"""OpenAPI post-processing shared by every app: what a generated client needs to be usable as generated.

drf-spectacular describes each view from its serializers; this hook adds what no single view knows:
- the error bodies, one component per status with the `code`s it carries as an enum (every error
  body of this API has `detail` and `code`, config.api.api_exception_handler sees to it), declared
  only where they can happen (409 not on reads, 422 only where an Idempotency-Key is read);
- the `Idempotency-Key` request header of every POST (core.idempotency) and the `Idempotent-Replayed`
  and `Retry-After` response headers;
- `required` on every property a response always has (drf-spectacular marks only read-only fields),
  except the few that may really be absent (RESPONSE_FIELDS_MAY_BE_ABSENT);
- request properties' defaults said in words (not `default`, which some generators read as "always sent");
- `page_size`'s maximum, and a length limit on every free-text query parameter;
- operation ids that read like the action (OPERATION_IDS): the generated clients' method names;
- a summary for every operation (SUMMARIES, RESOURCES): what ReDoc lists it as.

config/tests/test_generated_clients.py generates both clients from the result and runs the everyday
scenario with each; the suite's response validator (config/tests/response_validation.py) checks every
API answer of the tests against it.
"""

import json
from typing import Any

from django.conf import settings

from config.middleware import MAX_QUERY_VALUE_LENGTH

# --- Error bodies ------------------------------------------------------------------------------------
# The codes each status is answered with. A code missing here is a response that violates the schema:
# the response validator fails the test that met it (and a generated client may refuse to parse it).
AUTHENTICATION_CODES = [
    "not_authenticated",
    "authentication_failed",
    "no_active_account",
    "token_not_valid",
    "user_not_found",
    "user_inactive",
    "password_changed",
    "bad_authorization_header",
    "invalid_code",
    "challenge_invalid",
    "not_enrolled",
]
PERMISSION_CODES = [
    "permission_denied",
    "forbidden",
    "not_allowed",
    "not_approver",
    "not_owner",
    "own_request",
    "two_factor_required",
    "not_hr",
    "own_account",
]
NOT_FOUND_CODES = ["not_found"]
CONFLICT_CODES = [
    "conflict",
    "overlap",
    "timer_running",
    "no_timer",
    "timer_too_short",
    "in_use",
    "duplicate",
    "period_locked",
    "compliance_violation",
    "already_submitted",
    "already_decided",
    "already_started",
    "already_open",
    "already_archived",
    "closed",
    "not_pending",
    "several_entries",
    "idempotency_in_progress",
    # Billing: a project's budget is used up and refuses more time (billing.services.budgets).
    "budget_exceeded",
    # Billing: an entry on an invoice never changes; an issued invoice never changes; a draft is
    # deleted, not cancelled; a credit note cannot be cancelled, nor an invoice twice.
    "invoiced",
    "issued",
    "draft",
    "credit_note",
    "cancelled",
    # People (accounts.services.people, invitations): the user's state does not allow it.
    "self",
    "inactive",
    "already_inactive",
    "already_active",
    "has_password",
    "no_email",
    "no_invitation",
]


def _error_body(description: str, codes: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": {
            "detail": {"type": "string", "description": "What went wrong, in words for people."},
            "code": {"type": "string", "enum": codes, "description": "What went wrong, for programs."},
            **extra,
        },
        # A rule that names the input at fault answers with that field instead of `detail`.
        "required": ["code"],
        "additionalProperties": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The field at fault, with its messages (instead of `detail`).",
        },
    }


ERROR_COMPONENTS: dict[str, dict[str, Any]] = {
    # Not an error: what token verify and logout answer (accounts.api.EMPTY).
    "Empty": {"type": "object", "description": "An empty object: done, nothing more to say.", "properties": {}},
    "ValidationError": {
        "type": "object",
        "description": "Invalid input. Either field names mapped to lists of messages (a nested or bulk body "
        "nests them the same way), with `code` when a rule refused it; or `detail` (and `code`) when the "
        "whole request was refused (e.g. `parse_error`, `invalid_idempotency_key`). A list given a query "
        "parameter it does not read answers `code: unknown_parameter`, `detail`, and each unknown parameter "
        "as a field with its message.",
        "properties": {
            "detail": {"description": "What went wrong (a request-wide refusal)."},
            "code": {
                "description": "What went wrong, for programs (e.g. `parse_error`, `invalid`, `unknown_parameter`)."
            },
        },
        "additionalProperties": True,
    },
    "AuthenticationError": _error_body(
        "Not authenticated, or the credentials (password, token, API key) are invalid, expired or revoked.",
        AUTHENTICATION_CODES,
        messages={
            "type": "array",
            "items": {"type": "object", "additionalProperties": True},
            "description": "With `token_not_valid`: why each token type was refused.",
        },
    ),
    "PermissionDeniedError": _error_body(
        "Authenticated but not allowed (role, read-only API key, deciding one's own request).", PERMISSION_CODES
    ),
    "NotFoundError": _error_body("Not found, or not yours to see.", NOT_FOUND_CODES),
    "Conflict": _error_body(
        "The write clashes with the current state (overlap, already decided, timer running, locked week).",
        CONFLICT_CODES,
        violations={
            "type": "array",
            "items": {"$ref": "#/components/schemas/Violation"},
            "description": "With `compliance_violation`: the rules the write would breach.",
        },
    ),
    "UnsupportedMediaType": _error_body(
        "The body is not of a media type the operation reads.", ["unsupported_media_type"]
    ),
    "IdempotencyKeyReused": _error_body(
        "This Idempotency-Key was used before with a different request.", ["idempotency_key_reused"]
    ),
    "Throttled": _error_body("Too many requests: wait for `Retry-After` seconds.", ["throttled"]),
    "Unavailable": _error_body("Temporarily unavailable (the database is down): retry later.", ["unavailable"]),
}

RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 0},
        "description": "Seconds to wait before retrying.",
    }
}
IDEMPOTENT_REPLAYED = {
    "Idempotent-Replayed": {
        "schema": {"type": "string", "enum": ["true"]},
        "description": "Present when this is the stored answer to an earlier request with the same Idempotency-Key.",
    }
}
IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]{1,255}$"},
    "description": "Any unique string (a UUID): a retry with the same key and body gets the first answer "
    "again (with `Idempotent-Replayed: true`) and runs nothing; the same key with another body is 422; a "
    "retry while the first is still running is 409 `idempotency_in_progress`. Kept for "
    f"{settings.IDEMPOTENCY_KEY_TTL_HOURS} hours.",
}


def _error(description: str, component: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }
    if headers:
        response["headers"] = headers
    return response


# Every list refuses a query parameter it does not read (core.filters.KnownQueryParametersFilter).
LIST_400_DESCRIPTION = (
    "Invalid input: a filter's value refused (field errors), or a query parameter this list does not read "
    "(`code: unknown_parameter`, each unknown parameter named as a field)."
)


def error_responses(method: str, has_body: bool) -> dict[str, dict[str, Any]]:
    """The error answers an operation can give: every operation can be refused (400: a bad parameter
    or body), unauthenticated, forbidden, not found, throttled or unavailable; only writes conflict;
    only POSTs read an Idempotency-Key (a reused one is 422); only bodies have a media type."""
    responses = {
        "400": _error("Invalid input: field errors, or `detail` naming the rule that refused it.", "ValidationError"),
        "401": _error("Not authenticated, or the token/API key is invalid, expired or revoked.", "AuthenticationError"),
        "403": _error("Authenticated but not allowed (role, read-only API key).", "PermissionDeniedError"),
        "404": _error("Not found, or not yours to see.", "NotFoundError"),
        "429": _error("Throttled: see the Retry-After header.", "Throttled", RETRY_AFTER),
        "503": _error("Temporarily unavailable: see the Retry-After header.", "Unavailable", RETRY_AFTER),
    }
    if method != "get":
        responses["409"] = _error(
            "Conflict with the current state (overlap, already decided, timer running, locked week).", "Conflict"
        )
    if method == "post":
        responses["422"] = _error("Idempotency-Key reused with a different request body.", "IdempotencyKeyReused")
    if has_body:
        responses["415"] = _error(
            "Send the body as one of the operation's request content types.", "UnsupportedMediaType"
        )
    return responses


# Statuses whose body is always the shared component: a view's own declaration of them is replaced.
# A 400 a view declares is kept (a bulk or import refusal lists each refused row).
SHARED_ERROR_STATUSES = {"401", "403", "404", "409", "415", "422", "429", "503"}

# --- Operation ids -----------------------------------------------------------------------------------
# (method, path) -> the id a generated client names its method after. The CRUD operations keep
# drf-spectacular's `<resource>_list/_create/_retrieve/_update/_partial_update/_destroy`.
OPERATION_IDS = {
    ("post", "/api/v1/auth/token/"): "login",
    ("post", "/api/v1/auth/token/two-factor/"): "login_second_factor",
    ("post", "/api/v1/auth/token/refresh/"): "token_refresh",
    ("post", "/api/v1/auth/token/verify/"): "token_verify",
    ("post", "/api/v1/auth/logout/"): "logout",
    ("get", "/api/v1/users/me/"): "me",
    ("patch", "/api/v1/users/me/"): "me_update",
    ("post", "/api/v1/users/{id}/revoke-access/"): "user_revoke_access",
    ("post", "/api/v1/users/{id}/two-factor-reset/"): "user_two_factor_reset",
    ("post", "/api/v1/users/{id}/deactivate/"): "user_deactivate",
    ("post", "/api/v1/users/{id}/reactivate/"): "user_reactivate",
    ("post", "/api/v1/users/{id}/invite/"): "user_invite",
    ("post", "/api/v1/users/{id}/revoke-invitation/"): "user_revoke_invitation",
    ("post", "/api/v1/users/import/"): "users_import",
    ("get", "/api/v1/timer/"): "timer_current",
    ("patch", "/api/v1/timer/"): "timer_update",
    ("post", "/api/v1/time-entries/bulk/"): "time_entries_create_bulk",
    ("post", "/api/v1/periods/submit/"): "period_submit",
    ("post", "/api/v1/periods/{id}/approve/"): "period_approve",
    ("post", "/api/v1/periods/{id}/reject/"): "period_reject",
    ("post", "/api/v1/periods/{id}/reopen/"): "period_reopen",
    ("post", "/api/v1/leave-requests/preview/"): "leave_request_preview",
    ("post", "/api/v1/leave-requests/{id}/approve/"): "leave_request_approve",
    ("post", "/api/v1/leave-requests/{id}/reject/"): "leave_request_reject",
    ("post", "/api/v1/leave-requests/{id}/cancel/"): "leave_request_cancel",
    ("get", "/api/v1/leave-requests/{id}/attachment/"): "leave_request_attachment_download",
    ("post", "/api/v1/leave-requests/{id}/attachment/"): "leave_request_attachment_upload",
    ("delete", "/api/v1/leave-requests/{id}/attachment/"): "leave_request_attachment_delete",
    ("get", "/api/v1/leave-calendar/"): "leave_calendar",
    ("get", "/api/v1/reports/summary/"): "report_summary",
    ("get", "/api/v1/reports/overtime/"): "report_overtime",
    ("get", "/api/v1/reports/export/"): "report_export",
    ("get", "/api/v1/reports/export-jobs/{id}/download/"): "report_export_job_download",
    ("get", "/api/v1/reports/leave-export/"): "report_leave_export",
    ("post", "/api/v1/reports/import/"): "report_import",
    ("get", "/api/v1/reports/final-statement/"): "report_final_statement",
    ("get", "/api/v1/factories/{id}/chart/"): "factory_chart",
    ("get", "/api/v1/locations/postal_code/{postal_code}/"): "location_by_postal_code",
    ("post", "/api/v1/sprockets/bulk/"): "sprockets_record_bulk",
}

# --- Summaries ---------------------------------------------------------------------------------------
# What ReDoc and Swagger UI list an operation as (instead of its bare id). An operation's own
# extend_schema(summary=...) wins; then SUMMARIES (by final operation id); then the CRUD wording
# ("List projects", "Create a project", ...) from RESOURCES. config/tests/test_schema_docs.py checks
# that every operation ends up with one.
RESOURCES = {  # operation id prefix -> (one, many)
    "api_keys": ("an API key", "your API keys"),
    "audit_events": ("an audit event", "audit events"),
    "budgets": ("a budget", "budgets"),
    "clients": ("a client", "clients"),
    "compliance_violations": ("a working-time violation", "working-time violations"),
    "holidays": ("a holiday", "public holidays and company closures"),
    "leave_balances": ("a leave balance", "leave balances"),
    "leave_requests": ("a leave request", "leave requests"),
    "leave_types": ("a leave type", "leave types"),
    "periods": ("a weekly timesheet", "weekly timesheets"),
    "positions": ("a position", "positions"),
    "projects": ("a project", "projects"),
    "rates": ("a rate", "rates"),
    "reports_export_jobs": ("an export job", "your export jobs"),
    "reports_import_jobs": ("an import job", "your import jobs"),
    "tags": ("a tag", "tags"),
    "tasks": ("a task", "tasks"),
    "time_entries": ("a time entry", "time entries"),
    "users": ("a user", "users"),
    "webhook_deliveries": ("a webhook delivery", "webhook deliveries"),
    "webhooks": ("a webhook endpoint", "webhook endpoints"),
}
CRUD_SUMMARIES = {  # checked in this order: partial_update before update
    "partial_update": "Change {one}",
    "update": "Replace {one}",
    "list": "List {many}",
    "create": "Create {one}",
    "retrieve": "Show {one}",
    "destroy": "Delete {one}",
}
SUMMARIES = {
    "api_keys_destroy": "Revoke an API key",
    "leave_requests_create": "Request leave",
    "webhooks_create": "Register a webhook endpoint",
    "me": "Show my profile",
    "me_update": "Change my profile",
    "user_deactivate": "Deactivate a user who leaves",
    "user_reactivate": "Reactivate a user",
    "user_invite": "Invite a user to choose a password",
    "user_revoke_invitation": "Withdraw a user's invitation",
    "user_revoke_access": "Log a user out everywhere",
    "user_two_factor_reset": "Reset a user's two-factor login",
    "users_import": "Import people from a CSV",
    "timer_current": "Show the running timer",
    "timer_update": "Change the running timer",
    "timer_start": "Start the timer",
    "timer_stop": "Stop the timer",
    "time_entries_create_bulk": "Create up to 500 time entries at once",
    "period_submit": "Submit a week for approval",
    "period_approve": "Approve a submitted week",
    "period_reject": "Send a submitted week back",
    "period_reopen": "Reopen an approved week",
    "leave_request_preview": "Preview a leave request",
    "leave_request_approve": "Approve a leave request",
    "leave_request_reject": "Reject a leave request",
    "leave_request_cancel": "Cancel a leave request",
    "leave_request_attachment_download": "Download a leave request's document",
    "leave_request_attachment_upload": "Attach a document to a leave request",
    "leave_request_attachment_delete": "Delete a pending leave request's document",
    "leave_calendar": "Show the team's leave for a month",
    "report_summary": "Summarize hours by day, week, project, ...",
    "report_overtime": "Show a user's overtime",
    "report_export": "Export time entries as CSV or XLSX",
    "report_export_job_download": "Download an export job's file",
    "report_leave_export": "Export leave requests as CSV",
    "report_import": "Import time entries from a CSV",
    "report_final_statement": "Download a leaver's final statement (CSV)",
}


def _summary(operation_id: str) -> str | None:
    if operation_id in SUMMARIES:
        return SUMMARIES[operation_id]
    for action, wording in CRUD_SUMMARIES.items():
        resource = operation_id.removesuffix(f"_{action}")
        if resource != operation_id and resource in RESOURCES:
            one, many = RESOURCES[resource]
            return wording.format(one=one, many=many)
    return None


# --- Required response fields ------------------------------------------------------------------------
# Response properties that are really left out of some answers; every other one is always sent.
RESPONSE_FIELDS_MAY_BE_ABSENT = {
    # Only the keys of the chosen group_by dimensions are present.
    "SummaryRow": {
        "day",
        "week",
        "month",
        "project",
        "project_name",
        "project_color",
        "task",
        "task_name",
        "tag",
        "tag_name",
        "user",
        "user_name",
    },
    "FactoryDetail": {"chart_data"},  # only with ?with_chart_data=true
    "Position": {"salary"},  # in HR's answers only (accounts.api_positions)
    # Error bodies: a malformed body is answered with plain field errors instead.
    "BulkError": {"detail", "code", "errors"},
    "ImportRefused": {"detail", "code", "errors"},
}

METHODS = ("get", "post", "put", "patch", "delete")


def _references(node: Any) -> set[str]:
    """The component names `node` refers to, directly."""
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            reference = item.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
                found.add(reference.rsplit("/", 1)[-1])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _reachable(roots: set[str], components: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in seen or name not in components:
            continue
        seen.add(name)
        stack.extend(_references(components[name]))
    return seen


def _defaults_in_words(component: dict[str, Any]) -> None:
    """A request property's `default` said in its description instead: a generator that treats a
    property with a default as always present (openapi-typescript does) would make the client send it."""
    for prop in component.get("properties", {}).values():
        if "default" not in prop:
            continue
        default = prop.pop("default")
        words = "null" if default is None else json.dumps(default)
        prop["description"] = f"{prop.get('description', '')} Default: `{words}`.".strip()


def _require_response_fields(result: dict[str, Any]) -> None:
    components = result["components"]["schemas"]
    response_roots: set[str] = set()
    request_roots: set[str] = set()
    for path_item in result["paths"].values():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    response_roots |= _references(response)
            request_roots |= _references(operation.get("requestBody", {}))
    request_side = _reachable(request_roots, components)
    for name in request_side:
        _defaults_in_words(components[name])
    for name in _reachable(response_roots, components) - request_side:
        component = components[name]
        if component.get("type") != "object" or "properties" not in component:
            continue
        absent = RESPONSE_FIELDS_MAY_BE_ABSENT.get(name, set())
        required = [key for key in component["properties"] if key not in absent]
        if required:
            component["required"] = required
        else:  # OpenAPI 3.0: a `required` list is never empty
            component.pop("required", None)


def _tidy_parameters(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") != "query":
            continue
        if schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
            schema.setdefault("maxLength", MAX_QUERY_VALUE_LENGTH)
        if parameter["name"] == "page_size":
            schema.update({"minimum": 1, "maximum": settings.MAX_PAGE_SIZE})
            parameter["description"] = f"Results per page, at most {settings.MAX_PAGE_SIZE}."
        if parameter["name"] == "page":
            schema["minimum"] = 1


def add_error_responses(result, generator, request, public):
    """The postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]): see the module docstring."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.update(ERROR_COMPONENTS)

    seen_ids = set()
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in METHODS:
                continue
            operation["operationId"] = OPERATION_IDS.get((method, path), operation["operationId"])
            if not operation.get("summary"):
                summary = _summary(operation["operationId"])
                if summary:
                    operation["summary"] = summary
            seen_ids.add((method, path))
            _tidy_parameters(operation)
            has_body = "requestBody" in operation
            if method == "post":
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY_PARAMETER)
            responses = operation.setdefault("responses", {})
            for status in SHARED_ERROR_STATUSES & set(responses):
                del responses[status]
            for status, response in error_responses(method, has_body).items():
                responses.setdefault(status, response)
            if method == "get" and operation["operationId"].endswith("_list"):
                responses["400"] = {**responses["400"], "description": LIST_400_DESCRIPTION}
            if method == "post":
                for status, response in responses.items():
                    if int(status) < 500:
                        response.setdefault("headers", {}).update(IDEMPOTENT_REPLAYED)
            operation["responses"] = dict(sorted(responses.items()))
    unknown = set(SUMMARIES) - {
        operation["operationId"]
        for path_item in result.get("paths", {}).values()
        for method, operation in path_item.items()
        if method in METHODS
    }
    if unknown:  # a renamed operation: its summary would silently fall back to none
        raise RuntimeError(f"SUMMARIES names operations the API does not have: {sorted(unknown)}")
    missing = set(OPERATION_IDS) - seen_ids
    if missing:  # a renamed or removed route: its client method name must be decided again
        raise RuntimeError(f"OPERATION_IDS names operations the API does not have: {sorted(missing)}")

    _require_response_fields(result)
    return result
