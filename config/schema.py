"""OpenAPI post-processing shared by every app."""

from config.middleware import MAX_QUERY_VALUE_LENGTH

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: `detail` (and `code`) for general errors, or field names mapped to lists "
    "of messages for 400 validation errors.",
    # Not typed: a 400 names fields, and a model field may itself be called `code` or `detail`.
    "properties": {
        "detail": {"description": "What went wrong (general errors)."},
        "code": {"description": "A machine-readable error code, or the `code` field's messages."},
    },
    "additionalProperties": True,
}

ERROR_RESPONSES = {
    "400": "Invalid input: field errors, or `detail` naming the rule that refused it.",
    "401": "Not authenticated, or the token/API key is invalid, expired or revoked.",
    "403": "Authenticated but not allowed (role, read-only API key).",
    "404": "Not found, or not yours to see.",
    "409": "Conflict with the current state (overlap, already decided, timer running, locked period).",
    "422": "Idempotency-Key reused with a different request body.",
    "429": "Throttled: see the Retry-After header.",
    "503": "Temporarily unavailable (database down): see the Retry-After header.",
}


# Only operations that take a body can be sent one of a type they do not read.
BODY_ERROR_RESPONSES = {
    "415": "Unsupported media type: send the body as one of the operation's request content types.",
}


def add_error_responses(result, generator, request, public):
    """Document the JSON error responses every operation can give, so that clients generated
    from the schema (and contract tests) know them."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}

    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "string" and "enum" not in schema:
                    schema.setdefault("maxLength", MAX_QUERY_VALUE_LENGTH)
            responses = operation.setdefault("responses", {})
            errors = {**ERROR_RESPONSES, **(BODY_ERROR_RESPONSES if "requestBody" in operation else {})}
            for status, description in errors.items():
                responses.setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
    return result
