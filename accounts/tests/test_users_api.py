"""`users/me/` and `users/`: who sees whom, and which profile fields a user may change."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ME_URL = reverse("api:user-me")
LIST_URL = reverse("api:user-list")


def usernames(response):
    return sorted(row["username"] for row in response.json()["results"])


def test_me_shows_own_profile_with_roles(client_for, employee, manager):
    data = client_for(employee).get(ME_URL).json()
    assert data["username"] == "employee"
    assert data["manager"] == manager.pk
    assert data["is_hr"] is False and data["is_manager"] is False
    assert client_for(manager).get(ME_URL).json()["is_manager"] is True


def test_patch_me_changes_editable_fields(client_for, employee):
    response = client_for(employee).patch(
        ME_URL, {"first_name": "Eve", "timezone": "America/New_York", "country": "US", "subdivision": "ny"}
    )
    assert response.status_code == 200, response.json()
    employee.refresh_from_db()
    assert (employee.first_name, employee.timezone, employee.subdivision) == ("Eve", "America/New_York", "NY")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("manager", None),
        ("is_staff", True),
        ("is_hr", True),
        ("weekly_hours", "10.00"),
        ("working_weekdays", "1"),
        ("username", "renamed"),
    ],
)
def test_patch_me_never_writes_manager_roles_or_contract(client_for, employee, manager, field, value):
    before = {
        f: getattr(employee, f) for f in ("manager_id", "is_staff", "weekly_hours", "working_weekdays", "username")
    }
    response = client_for(employee).patch(ME_URL, {field: value})
    assert response.status_code == 200
    employee.refresh_from_db()
    after = {f: getattr(employee, f) for f in before}
    assert after == before
    assert not employee.groups.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"country": "XX"}, "country"),
        ({"email": "not-an-email"}, "email"),
        ({"country": "DE", "subdivision": "ZZ"}, "subdivision"),
    ],
)
def test_patch_me_bad_values_are_400_with_field_errors(client_for, employee, payload, field):
    response = client_for(employee).patch(ME_URL, payload)
    assert response.status_code == 400
    assert field in response.json()
    employee.refresh_from_db()
    assert employee.timezone == "Europe/Berlin" and employee.country == "DE"


def test_patch_me_duplicate_email_is_400(client_for, employee, manager):
    response = client_for(employee).patch(ME_URL, {"email": manager.email})
    assert response.status_code == 400
    assert "email" in response.json()


def test_employee_sees_only_themself(client_for, employee, colleague, outsider):
    assert usernames(client_for(employee).get(LIST_URL)) == ["employee"]


def test_manager_sees_reports_and_themself(client_for, manager, employee, colleague, outsider):
    assert usernames(client_for(manager).get(LIST_URL)) == ["colleague", "employee", "manager"]


def test_hr_sees_everyone(client_for, hr, employee, colleague, outsider):
    assert usernames(client_for(hr).get(LIST_URL)) == [
        "colleague",
        "employee",
        "hr",
        "manager",
        "other_manager",
        "outsider",
    ]


def test_someone_else_is_404(client_for, employee, outsider, manager):
    assert client_for(employee).get(reverse("api:user-detail", args=[outsider.pk])).status_code == 404
    assert client_for(manager).get(reverse("api:user-detail", args=[outsider.pk])).status_code == 404
    assert client_for(manager).get(reverse("api:user-detail", args=[employee.pk])).status_code == 200


def test_users_are_never_deleted_or_replaced(client_for, hr, employee):
    # People are deactivated (accounts/tests/test_people.py), never deleted: their history stays.
    assert client_for(hr).put(reverse("api:user-detail", args=[employee.pk]), {"username": "x"}).status_code == 405
    assert client_for(hr).delete(reverse("api:user-detail", args=[employee.pk])).status_code == 405


def test_page_size_is_capped(client_for, hr):
    from django.conf import settings

    from accounts.models import User

    User.objects.bulk_create(
        User(username=f"bulk{n}", email=f"bulk{n}@example.com") for n in range(settings.MAX_PAGE_SIZE + 1)
    )
    client = client_for(hr)
    assert len(client.get(LIST_URL, {"page_size": 3}).json()["results"]) == 3
    response = client.get(LIST_URL, {"page_size": 100000})
    assert response.status_code == 200
    assert len(response.json()["results"]) == settings.MAX_PAGE_SIZE


def test_users_list_query_count_does_not_grow_with_rows(client_for, hr, django_assert_max_num_queries):
    from accounts.tests.factories import UserFactory

    UserFactory.create_batch(3)
    client = client_for(hr)
    with django_assert_max_num_queries(4) as few:
        client.get(LIST_URL)
    UserFactory.create_batch(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST_URL)
    assert response.json()["count"] == 34
