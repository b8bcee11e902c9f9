"""The OpenAPI schema generates without warnings or errors, and the docs are served."""

import pytest
from django.core.management import call_command


def test_schema_generates_without_warnings(tmp_path, capsys):
    output = tmp_path / "schema.yml"
    # --fail-on-warn turns any drf-spectacular warning (unresolvable type, missing
    # serializer, ...) into a failure of this test.
    call_command("spectacular", "--file", str(output), "--validate", "--fail-on-warn")
    text = output.read_text()
    assert "/api/v1/auth/token/" in text
    assert "/api/v1/users/me/" in text


@pytest.mark.django_db
def test_schema_and_docs_are_served(client, employee):
    client.force_login(employee)
    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert client.get("/api/v1/redoc/").status_code == 200
