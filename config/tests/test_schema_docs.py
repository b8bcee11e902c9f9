"""The schema reads well in ReDoc and Swagger UI: every operation has a summary for API users (not its
bare operation id) and a description that is not the code's own commentary."""

import pytest

from config import schema as schema_hooks
from config.tests.response_validation import openapi_schema

METHODS = ("get", "post", "put", "patch", "delete")


def _operations():
    document = openapi_schema().raw_schema
    for path, path_item in document["paths"].items():
        for method, operation in path_item.items():
            if method in METHODS:
                yield method, path, operation


def test_every_operation_has_a_summary_that_is_not_its_id():
    missing = [
        f"{method.upper()} {path} ({operation['operationId']})"
        for method, path, operation in _operations()
        if not operation.get("summary", "").strip() or operation["summary"] == operation["operationId"]
    ]
    assert missing == [], "operations without a summary (config/schema.py SUMMARIES or RESOURCES):\n" + "\n".join(
        missing
    )


def test_summaries_are_short_and_distinct_per_path():
    for method, path, operation in _operations():
        assert len(operation["summary"]) <= 60, f"{method.upper()} {path}: a summary is a title, not a paragraph"
    seen: dict[tuple[str, str], str] = {}
    for method, path, operation in _operations():
        key = (path, operation["summary"])
        # PUT and PATCH of one resource may share theirs (both correct it); other methods may not.
        assert key not in seen or {seen[key], method} == {"put", "patch"}, f"{path}: two operations read the same"
        seen[key] = method


@pytest.mark.parametrize("leak", ["create_service", "CRUD whose writes", "select_for_update", "N+1"])
def test_no_description_is_internal_commentary(leak):
    leaking = [
        f"{method.upper()} {path}"
        for method, path, operation in _operations()
        if leak in operation.get("description", "")
    ]
    assert leaking == []


def test_a_summary_named_for_an_operation_that_is_gone_is_refused(monkeypatch):
    from drf_spectacular.generators import SchemaGenerator

    monkeypatch.setitem(schema_hooks.SUMMARIES, "timer_rewind", "Rewind the timer")
    with pytest.raises(RuntimeError, match="timer_rewind"):
        SchemaGenerator().get_schema(request=None, public=True)


def test_crud_wording_comes_from_the_resource_names():
    assert schema_hooks._summary("projects_list") == "List projects"
    assert schema_hooks._summary("time_entries_partial_update") == "Change a time entry"
    assert schema_hooks._summary("time_entries_update") == "Replace a time entry"
    assert schema_hooks._summary("api_keys_destroy") == "Revoke an API key"  # SUMMARIES wins
    assert schema_hooks._summary("unknown_things_list") is None
