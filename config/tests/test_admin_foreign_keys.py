"""Every admin add and change form answers a foreign key that is not an id (a word, a decimal, a
number beyond the database's integers) with a form error at its field, never a 500 (issue 18, item 3:
the user form's `manager=string` crashed the autocomplete widget when the form came back)."""

import pytest
from django.contrib import admin
from django.db import models
from django.test import Client
from django.urls import NoReverseMatch, reverse

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BAD_IDS = ["string", "1.5", "99999999999999999999999", "-1"]


def foreign_key_forms():
    """(admin, model, the foreign key and many-to-many fields on its form) of every registered admin."""
    found = []
    for model, model_admin in admin.site._registry.items():
        fields = [
            field.name
            for field in model._meta.get_fields()
            if isinstance(field, models.ForeignKey | models.ManyToManyField)
            and not field.auto_created
            and field.editable
            and field.name not in model_admin.readonly_fields
        ]
        if fields:
            found.append(pytest.param(model, fields, id=f"{model._meta.label}"))
    return found


def test_every_admin_with_foreign_keys_is_covered():
    labels = {param.values[0]._meta.label for param in foreign_key_forms()}
    assert {"accounts.User", "timetracking.Project", "sprockets.Sprocket"} <= labels


@pytest.mark.parametrize(("model", "fields"), foreign_key_forms())
@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_foreign_key_that_is_not_an_id_is_a_form_error(model, fields, bad):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client = Client(raise_request_exception=True)
    client.force_login(superuser)
    info = (model._meta.app_label, model._meta.model_name)
    try:
        add_url = reverse("admin:{}_{}_add".format(*info))
    except NoReverseMatch:
        pytest.skip("no add form")  # pragma: no cover
    model_admin = admin.site._registry[model]
    request = _request(superuser)
    if not model_admin.has_add_permission(request):
        return  # read-only in the admin (the audit trail): nothing to post
    fields = [field for field in fields if field in model_admin.get_form(request).base_fields]
    response = client.post(add_url, dict.fromkeys(fields, bad))
    assert response.status_code == 200, response.status_code  # the form again, with its errors
    errors = response.context["adminform"].form.errors
    assert set(fields) & set(errors), (model._meta.label, errors)


def test_the_users_change_form_with_a_bad_manager_keeps_the_user(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    employee = UserFactory(username="emma")
    client.force_login(superuser)
    url = reverse("admin:accounts_user_change", args=[employee.pk])
    for bad in BAD_IDS:
        response = client.post(url, {"username": "emma", "manager": bad, "timezone": "Europe/Berlin"})
        assert response.status_code == 200
        assert "manager" in response.context["adminform"].form.errors
    employee.refresh_from_db()
    assert employee.manager is None


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request
