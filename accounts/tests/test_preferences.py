"""The duration format preference: on users/me/, on the Preferences page, in the admin, and what
pages then show."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from timetracking.tests.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

ME_URL = reverse("api:user-me")
PREFERENCES_URL = reverse("accounts:preferences")


def test_the_default_is_hours_and_minutes(employee):
    assert employee.duration_format == "hm"
    assert User.objects.get(pk=employee.pk).duration_format == "hm"


def test_the_database_refuses_an_unknown_format(employee):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=employee.pk).update(duration_format="nonsense")


def test_set_duration_format_validates_and_saves_only_that_field(employee):
    User.objects.filter(pk=employee.pk).update(first_name="Changed elsewhere")
    employee.set_duration_format("decimal")
    stored = User.objects.get(pk=employee.pk)
    assert (stored.duration_format, stored.first_name) == ("decimal", "Changed elsewhere")
    with pytest.raises(ValidationError) as excinfo:
        employee.set_duration_format("HM")
    assert "duration_format" in excinfo.value.message_dict
    assert User.objects.get(pk=employee.pk).duration_format == "decimal"


# --- users/me/ ------------------------------------------------------------------------------------


def test_me_shows_the_preference(client_for, employee):
    assert client_for(employee).get(ME_URL).json()["duration_format"] == "hm"


def test_patch_me_changes_the_preference_and_nobody_elses(client_for, employee, colleague):
    response = client_for(employee).patch(ME_URL, {"duration_format": "decimal"})
    assert response.status_code == 200, response.json()
    assert response.json()["duration_format"] == "decimal"
    employee.refresh_from_db()
    colleague.refresh_from_db()
    assert (employee.duration_format, colleague.duration_format) == ("decimal", "hm")
    assert client_for(employee).get(ME_URL).json()["duration_format"] == "decimal"


def test_patch_me_changes_the_preference_with_profile_fields_at_once(client_for, employee):
    response = client_for(employee).patch(ME_URL, {"duration_format": "decimal", "first_name": "Eve"})
    assert response.status_code == 200, response.json()
    employee.refresh_from_db()
    assert (employee.duration_format, employee.first_name) == ("decimal", "Eve")


@pytest.mark.parametrize("value", ["nonsense", "HM", "", None, 1, ["hm"]])
def test_patch_me_refuses_an_unknown_format_at_the_field(client_for, employee, value):
    response = client_for(employee).patch(ME_URL, {"duration_format": value}, format="json")
    assert response.status_code == 400
    assert "duration_format" in response.json()
    employee.refresh_from_db()
    assert employee.duration_format == "hm"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),  # refused by the serializer
        ({"country": "US", "subdivision": "XX"}, "subdivision"),  # refused by the service, after the preference
    ],
)
def test_a_bad_profile_field_saves_no_preference_either(client_for, employee, payload, field):
    response = client_for(employee).patch(ME_URL, {"duration_format": "decimal", **payload})
    assert response.status_code == 400 and field in response.json()
    employee.refresh_from_db()
    assert employee.duration_format == "hm"


def test_users_list_does_not_show_other_peoples_preferences(client_for, hr, employee):
    rows = client_for(hr).get(reverse("api:user-list")).json()["results"]
    assert rows and all("duration_format" not in row for row in rows)


def test_me_needs_a_login(client):
    assert client.patch(ME_URL, {"duration_format": "decimal"}, content_type="application/json").status_code == 401


# --- the Preferences page -------------------------------------------------------------------------


def test_the_page_needs_a_login(client):
    response = client.get(PREFERENCES_URL)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    response = client.post(PREFERENCES_URL, {"duration_format": "decimal"})
    assert response.status_code == 302
    assert not User.objects.filter(duration_format="decimal").exists()


def test_the_page_shows_an_accessible_form_with_the_current_choice(client, employee):
    employee.set_duration_format("decimal")
    client.force_login(employee)
    response = client.get(PREFERENCES_URL)
    assert response.status_code == 200
    assert [template.name for template in response.templates][:2] == ["accounts/preferences.html", "base.html"]
    html = response.content.decode()
    assert '<label for="id_duration_format">' in html
    assert 'aria-describedby="id_duration_format_helptext"' in html
    assert re.search(r'<option value="decimal" selected>Decimal hours \(1\.50 h\)</option>', html)


def test_the_page_saves_the_choice_with_a_message(client, employee, colleague):
    client.force_login(employee)
    response = client.post(PREFERENCES_URL, {"duration_format": "decimal"})
    assert response.status_code == 302 and response["Location"] == PREFERENCES_URL
    assert [str(message) for message in get_messages(response.wsgi_request)] == ["Your preferences were saved."]
    employee.refresh_from_db()
    colleague.refresh_from_db()
    assert (employee.duration_format, colleague.duration_format) == ("decimal", "hm")


@pytest.mark.parametrize("data", [{"duration_format": "nonsense"}, {}, {"duration_format": ""}])
def test_the_page_shows_a_bad_choice_at_the_field(client, employee, data):
    client.force_login(employee)
    response = client.post(PREFERENCES_URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'<small class="error" id="id_duration_format_error" role="alert">', html)
    assert 'aria-invalid="true"' in html and "id_duration_format_error" in html.split("<select", 1)[1].split(">")[0]
    employee.refresh_from_db()
    assert employee.duration_format == "hm"


def test_the_page_takes_no_other_method(client, employee):
    client.force_login(employee)
    assert client.put(PREFERENCES_URL).status_code == 405


def test_pages_then_show_durations_in_the_chosen_format(client):
    # The dashboard's "Today" runs through the `hm` filter (core.durations.duration_text): 1:30 of work
    # reads "1:30", then "1.50 h" once the user chose decimal hours.
    user = UserFactory(username="viewer")
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    TimeEntryFactory(user=user, started_at=now - timedelta(hours=2), ended_at=now - timedelta(minutes=30))
    as_clock = re.compile(r"(?<![\d:])1:30(?!\d)")
    client.force_login(user)
    with time_machine.travel(now, tick=False):
        assert as_clock.search(client.get(reverse("dashboard")).content.decode())
        client.post(PREFERENCES_URL, {"duration_format": "decimal"})
        page = client.get(reverse("dashboard")).content.decode()
    assert not as_clock.search(page) and "1.50 h" in page


# --- the admin ------------------------------------------------------------------------------------


def test_the_admin_user_form_has_the_preference(admin_client, employee):
    url = reverse("admin:accounts_user_change", args=[employee.pk])
    assert 'name="duration_format"' in admin_client.get(url).content.decode()
