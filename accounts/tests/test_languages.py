"""The language a reader gets (issue 20): their own choice (User.language) over the browser's
Accept-Language over English; on pages, in e-mails' and API's messages (the `code` stays English),
in holiday names, export headers and the scripts' catalog. Choosing it on the Preferences page and
on users/me/, with its bad input."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts import services
from accounts.models import User
from leave.calendars import public_holidays

pytestmark = pytest.mark.django_db

PREFERENCES_URL = reverse("accounts:preferences")
ME_URL = reverse("api:user-me")


def bearer(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


def page(client, path="/", **headers):
    response = client.get(path, **headers)
    assert response.status_code == 200
    return response, response.content.decode()


# --- Which language ------------------------------------------------------------------------------


def test_without_a_preference_or_a_header_the_page_is_english(client, employee):
    client.force_login(employee)
    response, html = page(client)
    assert '<html lang="en">' in html and ">Timesheet</a>" in html
    assert response["Content-Language"] == "en"


def test_accept_language_de_without_a_preference_gives_german(client, employee):
    client.force_login(employee)
    response, html = page(client, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    assert '<html lang="de">' in html
    assert ">Stundenzettel</a>" in html and ">Timesheet</a>" not in html
    assert response["Content-Language"] == "de"
    assert "Accept-Language" in response["Vary"]


def test_the_login_page_follows_accept_language_signed_out(client):
    _response, html = page(client, reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="es")
    assert '<html lang="es">' in html


def test_an_unknown_language_falls_back_to_english(client, employee):
    client.force_login(employee)
    _response, html = page(client, HTTP_ACCEPT_LANGUAGE="ja")
    assert '<html lang="en">' in html


def test_a_user_preference_fr_overrides_accept_language_de(client, employee):
    employee.set_language("fr")
    client.force_login(employee)
    response, html = page(client, HTTP_ACCEPT_LANGUAGE="de")
    assert '<html lang="fr">' in html
    assert response["Content-Language"] == "fr"


def test_a_user_preference_de_overrides_an_english_browser(client, employee):
    employee.set_language("de")
    client.force_login(employee)
    _response, html = page(client, reverse("timetracking:week"), HTTP_ACCEPT_LANGUAGE="en-US")
    assert '<html lang="de">' in html and "Woran arbeiten Sie?" in html


def test_one_users_language_does_not_leak_into_the_next_request(client, employee, colleague):
    employee.set_language("de")
    client.force_login(employee)
    page(client)
    other = type(client)()
    other.force_login(colleague)
    _response, html = page(other)
    assert '<html lang="en">' in html


# --- Choosing it ---------------------------------------------------------------------------------


def test_the_preferences_page_offers_each_language_in_itself(client, employee):
    client.force_login(employee)
    _response, html = page(client, PREFERENCES_URL)
    for name in ("Deutsch", "English", "français", "español"):
        assert f">{name}</option>" in html


def test_the_preferences_page_saves_the_language_and_answers_in_it(client, employee):
    client.force_login(employee)
    response = client.post(PREFERENCES_URL, {"duration_format": "hm", "language": "de"}, follow=True)
    assert response.status_code == 200
    employee.refresh_from_db()
    assert employee.language == "de"
    html = response.content.decode()
    assert '<html lang="de">' in html and "Ihre Einstellungen wurden gespeichert." in html


def test_blank_goes_back_to_the_browsers_language(client, employee):
    employee.set_language("de")
    client.force_login(employee)
    client.post(PREFERENCES_URL, {"duration_format": "hm", "language": ""})
    employee.refresh_from_db()
    assert employee.language == ""
    _response, html = page(client, HTTP_ACCEPT_LANGUAGE="es")
    assert '<html lang="es">' in html


@pytest.mark.parametrize("value", ["xx", "de-AT", "DE", "german"])
def test_the_page_refuses_an_unknown_language_at_the_field(client, employee, value):
    client.force_login(employee)
    response = client.post(PREFERENCES_URL, {"duration_format": "hm", "language": value})
    assert response.status_code == 400
    assert 'id="id_language_error"' in response.content.decode()
    employee.refresh_from_db()
    assert employee.language == ""


def test_users_me_sets_the_language(employee):
    response = bearer(employee).patch(ME_URL, {"language": "es"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["language"] == "es"
    employee.refresh_from_db()
    assert employee.language == "es"


@pytest.mark.parametrize("value", ["xx", "EN", None, 3])
def test_users_me_refuses_an_unknown_language(employee, value):
    response = bearer(employee).patch(ME_URL, {"language": value}, format="json")
    assert response.status_code == 400
    assert "language" in response.json()
    employee.refresh_from_db()
    assert employee.language == ""


def test_the_model_refuses_an_unknown_language(employee):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        employee.set_language("klingon")
    assert User.objects.get(pk=employee.pk).language == ""


# --- The API's messages --------------------------------------------------------------------------


def test_a_404_detail_is_german_for_a_german_user_and_its_code_english(employee):
    employee.set_language("de")
    response = bearer(employee).get("/api/v1/time-entries/999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Nicht gefunden.", "code": "not_found"}


def test_a_400_field_error_is_german_for_a_german_user_and_its_code_english(employee):
    employee.set_language("de")
    response = bearer(employee).post(
        "/api/v1/time-entries/",
        {"started_at": "2026-01-01T10:00:00Z", "ended_at": "2026-01-01T09:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"ended_at": ["Das Ende muss nach dem Beginn liegen."], "code": "end_before_start"}


def test_a_409_detail_is_german_with_an_api_key(employee):
    employee.set_language("de")
    _api_key, key = services.api_key_create(user=employee, name="script")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.post("/api/v1/timer/start/", {}, format="json").status_code == 201
    response = client.post("/api/v1/timer/start/", {}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "timer_running"
    assert body["detail"].startswith("Es läuft bereits ein Timer.")


def test_the_api_follows_accept_language_without_a_preference(employee):
    response = bearer(employee).get("/api/v1/time-entries/999999/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response["Content-Language"] == "fr"


def test_the_api_enums_stay_english(employee):
    employee.set_language("de")
    body = bearer(employee).get(ME_URL).json()
    assert body["duration_format"] == "hm" and body["language"] == "de"


# --- Holidays, exports, scripts ------------------------------------------------------------------


def test_holiday_names_come_in_the_active_language():
    new_year = date(2026, 1, 1)
    with translation.override("de"):
        assert public_holidays("DE", "BY", new_year, new_year) == {new_year: "Neujahr"}
    with translation.override("en"):
        assert public_holidays("DE", "BY", new_year, new_year) == {new_year: "New Year's Day"}
    with translation.override("es"):
        assert public_holidays("ES", "", new_year, new_year) == {new_year: "Año Nuevo"}


def test_the_calendar_page_names_holidays_in_the_users_language(client, employee):
    User.objects.filter(pk=employee.pk).update(country="DE", subdivision="BY", language="de")
    client.force_login(employee)
    _response, html = page(client, reverse("leave:calendar") + "?month=2026-01")
    assert "Neujahr" in html and "New Year" not in html


def test_an_export_header_is_in_the_users_language_and_imports_back(client, employee):
    from reports import imports
    from reports.exports import ENTRY_COLUMNS

    employee.set_language("de")
    response = bearer(employee).get(reverse("api:report-export"), {"format": "csv", "from": "2026-01-01"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header[:4] == ["Benutzer", "E-Mail", "Kunde", "Projekt"]
    assert set(imports.NATIVE_COLUMNS) <= set(imports.native_header(header))  # the importer reads it back
    assert header != ENTRY_COLUMNS[: len(header)]


def test_the_javascript_catalog_is_in_the_users_language(client, employee):
    employee.set_language("de")
    client.force_login(employee)
    response = client.get(reverse("javascript-catalog"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert "Kettenr\\u00e4der" in response.content.decode() or "Kettenräder" in response.content.decode()


def test_the_javascript_catalog_needs_no_login(client):
    response = client.get(reverse("javascript-catalog"), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200


# --- E-mails go out in their reader's language ---------------------------------------------------


def test_an_invitation_is_written_in_the_newcomers_language_whoever_sends_it(hr):
    from accounts.models import OutgoingEmail
    from accounts.services.invitations import invitation_send
    from accounts.tests.factories import UserFactory

    newcomer = UserFactory(language="de", email="neu@example.com")
    newcomer.set_unusable_password()
    newcomer.save()
    with translation.override("en"):  # HR reads English
        invitation_send(actor=hr, user=newcomer, accept_url_builder=lambda uid, token: f"https://x/{uid}/{token}/")
    email = OutgoingEmail.objects.get(user=newcomer)
    assert email.subject == "Sie sind zu Timetrack eingeladen"
    assert "Öffnen Sie diesen Link" in email.body and "7 Tagen" in email.body


def test_a_leave_decision_is_written_in_the_requesters_language(employee, manager):
    from accounts.models import OutgoingEmail
    from leave.models import LeaveStatus
    from leave.services.notifications import _notify_requester
    from leave.tests.factories import LeaveRequestFactory

    employee.set_language("de")
    leave_request = LeaveRequestFactory(
        user=employee,
        status=LeaveStatus.APPROVED,
        decided_by=manager,
        decided_at=timezone.now(),
        start_date=date(2026, 3, 2),
    )
    with translation.override("fr"):  # whoever decided reads French
        _notify_requester(leave_request)
    email = OutgoingEmail.objects.get(user=employee)
    assert email.subject == "Ihr Urlaubsantrag wurde genehmigt"
    assert email.body.startswith("Ihr Antrag über ") and "Mo 02 Mär 2026" in email.body
