"""HR sets a person's start date (issue 22: start dates in the future) in the people pages and the
API, not only through the CSV import: it becomes `date_joined` at local midnight, before it they
cannot log in, it is audited, and a bad date is a 400 at its field."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_hr_adds_someone_who_starts_next_month_through_the_api(client_for, hr):
    response = client_for(hr).post(
        reverse("api:user-list"),
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "timezone": "America/New_York",
            "start_date": "2027-01-04",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    newbie = User.objects.get(username="newbie")
    assert newbie.start_date == date(2027, 1, 4)
    local = timezone.localtime(newbie.date_joined, newbie.tzinfo)
    assert (local.hour, local.minute) == (0, 0)  # their own midnight, not UTC's
    assert not newbie.has_started


def test_hr_moves_a_start_date_and_it_is_audited(client_for, hr, employee):
    response = client_for(hr).patch(
        reverse("api:user-detail", args=[employee.pk]), {"start_date": "2027-02-01"}, format="json"
    )
    assert response.status_code == 200, response.json()
    employee.refresh_from_db()
    assert employee.start_date == date(2027, 2, 1)
    event = AuditEvent.objects.filter(action="accounts.user_updated").latest("pk")
    assert event.changes["start_date"][1] == "2027-02-01"


@pytest.mark.parametrize("bad", ["2027-13-01", "tomorrow", "", 20270101])
def test_a_bad_start_date_is_a_400_at_its_field(client_for, hr, employee, bad):
    before = User.objects.get(pk=employee.pk).date_joined
    response = client_for(hr).patch(reverse("api:user-detail", args=[employee.pk]), {"start_date": bad}, format="json")
    assert response.status_code == 400 and "start_date" in response.json()
    assert User.objects.get(pk=employee.pk).date_joined == before


def test_nobody_but_hr_sets_it(client_for, manager, employee):
    response = client_for(manager).patch(
        reverse("api:user-detail", args=[employee.pk]), {"start_date": "2030-01-01"}, format="json"
    )
    assert response.status_code == 403
    other = UserFactory(username="other")
    response = client_for(employee).patch(
        reverse("api:user-detail", args=[other.pk]), {"start_date": "2030-01-01"}, format="json"
    )
    assert response.status_code == 404


def test_the_person_page_shows_and_changes_it(client, hr, employee):
    client.force_login(hr)
    url = reverse("accounts:person", args=[employee.pk])
    html = client.get(url).content.decode()
    assert 'name="start_date"' in html and f'value="{employee.start_date:%Y-%m-%d}"' in html
    data = {
        "username": employee.username,
        "email": employee.email or "employee@example.com",
        "first_name": "E",
        "last_name": "Mployee",
        "timezone": employee.timezone,
        "country": employee.country,
        "subdivision": employee.subdivision,
        "manager": employee.manager_id or "",
        "weekly_hours": "40",
        "working_weekdays": ["1", "2", "3", "4", "5"],
        "start_date": "2027-03-01",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    employee.refresh_from_db()
    assert employee.start_date == date(2027, 3, 1)
    data["start_date"] = "2027-02-30"
    response = client.post(url, data)
    assert response.status_code == 400 and "Enter a valid date" in response.content.decode()
