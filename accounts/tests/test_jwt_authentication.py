"""accounts.authentication.JWTAuthentication: the user of a Bearer token in one precompiled query,
with its roles; simplejwt's checks (user exists, active, password unchanged) kept. Deactivation,
password changes and "log out everywhere" on every path: accounts/tests/test_revocation.py."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.authentication import user_for_token
from accounts.models import User

pytestmark = pytest.mark.django_db

ME_URL = reverse("api:user-me")


def bearer(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def test_the_user_and_roles_come_in_one_query(employee, manager, hr):
    with CaptureQueriesContext(connection) as queries:
        loaded = {user.username: user_for_token(user.pk) for user in (employee, manager, hr)}
        roles = {name: (user.is_hr, user.is_manager) for name, user in loaded.items()}

    assert len(queries) == 3  # one per user, the roles read none
    assert roles == {"employee": (False, False), "manager": (False, True), "hr": (True, False)}
    assert loaded["employee"] == employee
    assert loaded["employee"].manager_id == manager.pk
    # Every column, with the backend's conversions (aware datetimes, booleans).
    fresh = User.objects.get(pk=employee.pk)
    for field in User._meta.concrete_fields:
        assert getattr(loaded["employee"], field.attname) == getattr(fresh, field.attname), field.name
    assert timezone.is_aware(loaded["employee"].date_joined)
    assert loaded["employee"].is_active is True
    assert loaded["employee"].get_deferred_fields() == set()


def test_users_me_is_one_query(employee):
    client = bearer(employee)
    client.get(ME_URL)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["username"] == "employee"
    assert len(queries) == 1


def test_no_user_no_access(employee):
    token = AccessToken.for_user(employee)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    User.objects.filter(pk=employee.pk).delete()

    response = client.get(ME_URL)

    assert response.status_code == 401
    assert response.json()["code"] == "user_not_found"
    assert user_for_token(employee.pk) is None


def test_a_deactivated_user_is_refused_at_once_even_by_a_bulk_update(employee):
    client = bearer(employee)
    assert client.get(ME_URL).status_code == 200

    User.objects.filter(pk=employee.pk).update(is_active=False)  # no save(), no signal: nothing cached

    response = client.get(ME_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"


def test_a_changed_password_is_refused_at_once(employee):
    client = bearer(employee)
    assert client.get(ME_URL).status_code == 200

    User.objects.filter(pk=employee.pk).update(password="pbkdf2_sha256$1$salt$other")

    assert client.get(ME_URL).status_code == 401


def test_a_token_without_a_usable_user_id_is_refused(employee):
    token = AccessToken.for_user(employee)
    token["user_id"] = "not-a-number"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = client.get(ME_URL)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_new_hr_member_is_hr_on_the_next_request(employee, settings):
    from django.contrib.auth.models import Group

    client = bearer(employee)
    assert client.get(ME_URL).json().get("is_hr", False) is False
    employee.groups.add(Group.objects.get_or_create(name=settings.HR_GROUP_NAME)[0])

    assert user_for_token(employee.pk).is_hr is True
