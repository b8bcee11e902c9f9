"""The OpenAPI schema and its docs: public by default, behind a login with API_DOCS_PUBLIC off."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

DOCS = ["api:schema", "api:docs", "api:redoc"]


@pytest.mark.parametrize("name", DOCS)
def test_docs_are_public_by_default(api_client, name):
    assert api_client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", DOCS)
def test_docs_need_a_login_when_not_public(settings, api_client, client_for, employee, name):
    settings.API_DOCS_PUBLIC = False
    assert api_client.get(reverse(name)).status_code == 401
    assert client_for(employee).get(reverse(name)).status_code == 200


def test_an_api_key_reads_the_schema_when_not_public(settings, api_client, employee):
    from accounts import services

    settings.API_DOCS_PUBLIC = False
    _, key = services.api_key_create(user=employee, name="codegen")
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert api_client.get(reverse("api:schema")).status_code == 200
