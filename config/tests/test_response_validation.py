"""The suite's response validator (config/tests/response_validation.py, hooked in conftest.py) fails a
test whose API answer drifts from the OpenAPI schema, and says how."""

import threading

import pytest
from django.http import HttpResponse, JsonResponse

from config.tests import response_validation
from config.tests.response_validation import NOT_IN_SCHEMA, SchemaMismatch, expect_schema_mismatch, validate

pytestmark = pytest.mark.django_db


def _get(path):
    return {"PATH_INFO": path, "REQUEST_METHOD": "GET", "QUERY_STRING": ""}


@pytest.fixture
def profile_without_username(monkeypatch):
    """The `me` answer drifts: a field the schema requires is no longer sent."""
    from accounts.api import ProfileSerializer

    original = ProfileSerializer.to_representation

    def drifted(self, instance):
        data = original(self, instance)
        data.pop("username")
        return data

    monkeypatch.setattr(ProfileSerializer, "to_representation", drifted)


def test_a_real_answer_missing_a_required_field_fails_the_test_that_met_it(
    client_for, employee, profile_without_username
):
    with pytest.raises(SchemaMismatch) as failure:
        client_for(employee).get("/api/v1/users/me/")
    message = str(failure.value)
    assert message.startswith("GET /api/v1/users/me/ answered 200")
    assert "'username' is a required property" in message or '"username" is a required property' in message
    assert "Response violates schema" in message


def test_the_same_answer_unchanged_passes(client_for, employee):
    before = response_validation.counts["validated"]
    assert client_for(employee).get("/api/v1/users/me/").status_code == 200
    assert response_validation.counts["validated"] == before + 1


def test_expect_schema_mismatch_collects_instead_of_failing(client_for, employee, profile_without_username):
    with expect_schema_mismatch() as mismatches:
        response = client_for(employee).get("/api/v1/users/me/")
    assert response.status_code == 200
    assert len(mismatches) == 1
    assert "username" in str(mismatches[0])


def test_a_status_code_the_operation_does_not_declare_fails():
    with pytest.raises(SchemaMismatch, match="Undocumented status code"):
        validate(_get("/api/v1/users/me/"), JsonResponse({}, status=418))


def test_a_content_type_the_status_does_not_declare_fails():
    with pytest.raises(SchemaMismatch, match="Undocumented Content-Type"):
        validate(_get("/api/v1/users/me/"), HttpResponse("<p>me</p>", content_type="text/html"))


def test_an_error_code_the_schema_does_not_list_fails():
    answer = JsonResponse({"detail": "No.", "code": "made_up"}, status=404)
    with pytest.raises(SchemaMismatch, match="made_up"):
        validate(_get("/api/v1/projects/1/"), answer)


def test_a_declared_header_of_the_wrong_type_fails():
    answer = JsonResponse({"detail": "Slow down.", "code": "throttled"}, status=429)
    answer["Retry-After"] = "soon"
    with pytest.raises(SchemaMismatch, match="Response header does not conform to the schema"):
        validate(_get("/api/v1/projects/"), answer)
    answer["Retry-After"] = "30"
    validate(_get("/api/v1/projects/"), answer)


def test_a_route_the_schema_does_not_have_fails_unless_refused():
    with pytest.raises(SchemaMismatch, match="has no such operation"):
        validate(_get("/api/v1/nowhere/"), JsonResponse({}))
    validate(_get("/api/v1/nowhere/"), JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404))
    # A GET on a POST-only action: refused before the method is looked at.
    refused = JsonResponse({"detail": "No.", "code": "permission_denied"}, status=403)
    validate(_get("/api/v1/users/1/deactivate/"), refused)


def test_a_refusal_of_a_route_the_schema_does_not_have_is_an_error_body_all_the_same():
    with pytest.raises(SchemaMismatch, match="without a JSON error body"):
        validate(_get("/api/v1/nowhere/"), HttpResponse("<h1>Not Found</h1>", status=404))
    with pytest.raises(SchemaMismatch, match="without a JSON error body"):
        validate(_get("/api/v1/users/1/deactivate/"), JsonResponse({"detail": "No.", "code": "made_up"}, status=403))


def test_only_api_answers_are_validated():
    validate(_get("/leave/"), HttpResponse("<p>a page</p>", status=418))


@pytest.mark.parametrize("path", sorted(NOT_IN_SCHEMA))
def test_the_allow_list_skips_with_a_reason(path):
    assert len(NOT_IN_SCHEMA[path]) > 20
    validate(_get(path), HttpResponse("<html></html>", content_type="text/html"))


@pytest.mark.parametrize("method", ["OPTIONS", "HEAD"])
def test_methods_no_operation_declares_are_skipped(method):
    validate({"PATH_INFO": "/api/v1/projects/", "REQUEST_METHOD": method}, HttpResponse(status=200))


def test_the_allow_listed_docs_are_really_not_in_the_schema():
    paths = response_validation.openapi_schema().raw_schema["paths"]
    assert not set(NOT_IN_SCHEMA) & set(paths)


def test_a_mismatch_in_another_thread_is_kept_for_the_fixture_to_fail():
    errors = []

    def call():
        try:
            validate(_get("/api/v1/users/me/"), JsonResponse({}, status=418))
        except SchemaMismatch as error:
            errors.append(error)

    thread = threading.Thread(target=call)
    thread.start()
    thread.join()
    assert len(errors) == 1
    assert response_validation.thread_mismatches == errors
    response_validation.thread_mismatches.clear()  # else conftest's fixture fails this test, as it should


def test_a_streamed_download_is_still_readable_after_validation(client_for, employee):
    response = client_for(employee).get("/api/v1/reports/export/", {"format": "csv"})
    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content)  # read once by the validator, handed back whole
    assert body.count(b"\n") >= 1  # at least the header row
