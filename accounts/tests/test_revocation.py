"""What revokes what: a password set on any path, a deactivation and HR's "log out everywhere"
end the user's API sessions (refresh tokens, in the same transaction); a deactivation and HR's
"revoke all access" also end their API keys and calendar feed URLs."""

import pytest
from django.contrib.auth.forms import SetPasswordForm
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts import services
from accounts.models import AuditEvent, User
from accounts.tests.factories import PASSWORD
from leave import services as leave_services
from leave.models import CalendarFeedToken

pytestmark = pytest.mark.django_db

TOKEN_URL = reverse("api:token_obtain_pair")
REFRESH_URL = reverse("api:token_refresh")
ME_URL = reverse("api:user-me")
NEW_PASSWORD = "a-new-long-passphrase-9"


def tokens_of(user):
    response = APIClient().post(TOKEN_URL, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    return response.json()


def refresh_status(tokens):
    return APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]}).status_code


def access_status(tokens):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client.get(ME_URL).status_code


def api_key_status(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client.get(ME_URL).status_code


def feed_status(token):
    return Client().get(reverse("leave:feed-personal", args=[token])).status_code


@pytest.fixture
def superuser(db):
    """The user admin is the superuser's (HR's group has no model permissions on users)."""
    return User.objects.create_superuser("root", "root@example.com", "x-" + PASSWORD)


def fresh(user):
    return User.objects.get(pk=user.pk)


# --- A new password, whichever path sets it ---------------------------------------------------------


def test_a_password_set_in_the_admin_revokes_refresh_and_access_tokens(employee, superuser):
    tokens = tokens_of(employee)
    admin = Client()
    admin.force_login(superuser)
    response = admin.post(
        reverse("admin:auth_user_password_change", args=[employee.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert fresh(employee).check_password(NEW_PASSWORD)
    assert refresh_status(tokens) == 401
    assert access_status(tokens) == 401  # the access token carries a digest of the old password


@pytest.mark.parametrize("path", ["set_password_and_save", "reset_form", "user_change_password"])
def test_every_path_that_sets_a_password_revokes_refresh_tokens(employee, path):
    first, second = tokens_of(employee), tokens_of(employee)
    user = fresh(employee)
    if path == "set_password_and_save":  # what `manage.py changepassword` and scripts do
        user.set_password(NEW_PASSWORD)
        user.save()
    elif path == "reset_form":  # the password-reset flow's form
        form = SetPasswordForm(user, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        assert form.is_valid(), form.errors
        form.save()
    else:
        services.user_change_password(user=user, new_password=NEW_PASSWORD)
    assert refresh_status(first) == 401
    assert refresh_status(second) == 401
    assert access_status(first) == 401
    # The new password works and gives tokens that work.
    new = APIClient().post(TOKEN_URL, {"username": employee.username, "password": NEW_PASSWORD}).json()
    assert access_status(new) == 200
    assert APIClient().post(REFRESH_URL, {"refresh": new["refresh"]}).status_code == 200


def test_a_rotation_cannot_outlive_a_password_change(employee):
    tokens = tokens_of(employee)
    rotated = APIClient().post(REFRESH_URL, {"refresh": tokens["refresh"]}).json()
    user = fresh(employee)
    user.set_password(NEW_PASSWORD)
    user.save()
    assert refresh_status(rotated) == 401


def test_the_revocation_is_in_the_password_change_transaction(employee):
    tokens = tokens_of(employee)
    blacklisted = BlacklistedToken.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        user = fresh(employee)
        user.set_password(NEW_PASSWORD)
        user.save()
        assert BlacklistedToken.objects.count() > blacklisted
        raise RuntimeError("the change is rolled back")
    assert BlacklistedToken.objects.count() == blacklisted
    assert fresh(employee).check_password(PASSWORD)
    assert refresh_status(tokens) == 200


def test_saving_a_user_without_a_new_password_revokes_nothing(employee):
    tokens = tokens_of(employee)
    user = fresh(employee)
    user.first_name = "Renamed"
    user.save()
    user.check_password(PASSWORD)  # a hash upgrade on login is not a password change
    user.save()
    assert refresh_status(tokens) == 200


def test_a_password_change_keeps_api_keys_and_calendar_feeds(employee):
    _, key = services.api_key_create(user=employee, name="script")
    feed = leave_services.feed_token_get_or_create(user=employee).token
    services.user_change_password(user=fresh(employee), new_password=NEW_PASSWORD)
    assert api_key_status(key) == 200
    assert feed_status(feed) == 200


# --- Deactivation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["admin", "save"])
def test_deactivation_kills_tokens_keys_and_feeds_for_good(employee, superuser, path):
    tokens = tokens_of(employee)
    _, key = services.api_key_create(user=employee, name="script")
    feed = leave_services.feed_token_get_or_create(user=employee).token
    if path == "admin":  # HR unticks "Active" on the user's change form
        admin = Client()
        admin.force_login(superuser)
        user = fresh(employee)
        response = admin.post(
            reverse("admin:accounts_user_change", args=[user.pk]),
            {
                "username": user.username,
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
                "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
                "timezone": user.timezone,
                "country": user.country,
                "subdivision": user.subdivision,
                "weekly_hours": str(user.weekly_hours),
                "working_weekdays": user.working_weekdays,
                "manager": user.manager_id or "",
                "duration_format": user.duration_format,  # the admin form posts every field it shows
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        assert not fresh(employee).is_active
    else:
        user = fresh(employee)
        user.is_active = False
        user.save()
    assert refresh_status(tokens) == 401
    assert access_status(tokens) == 401
    assert api_key_status(key) == 401
    assert feed_status(feed) == 404
    # Reactivated, the old secrets stay dead; only a new login gives access.
    user = fresh(employee)
    user.is_active = True
    user.save()
    assert refresh_status(tokens) == 401
    assert api_key_status(key) == 401
    assert feed_status(feed) == 404
    assert not CalendarFeedToken.objects.filter(token=feed).exists()
    assert access_status(tokens_of(employee)) == 200
    event = AuditEvent.objects.filter(action="auth.access_revoked", object_id=str(employee.pk)).get()
    assert event.changes["reason"] == [None, "deactivated"]


def test_a_bulk_update_of_other_fields_is_not_a_deactivation(employee):
    tokens = tokens_of(employee)
    user = fresh(employee)
    user.save(update_fields=["last_login"])
    assert refresh_status(tokens) == 200


# --- HR: log out everywhere, revoke all access ---------------------------------------------------------


def session_of(user):
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    return client


def test_hr_logs_a_user_out_everywhere_through_the_api(employee, hr, client_for):
    tokens = tokens_of(employee)
    browser = session_of(employee)
    _, key = services.api_key_create(user=employee, name="script")
    feed = leave_services.feed_token_get_or_create(user=employee).token
    response = client_for(hr).post(reverse("api:user-revoke-access", args=[employee.pk]), {}, format="json")
    assert response.status_code == 200
    assert response.json() == {"refresh_tokens_revoked": 1}
    assert refresh_status(tokens) == 401
    assert browser.get(reverse("dashboard")).status_code == 302  # the page session ended
    # Keys and feeds are separate secrets for scripts and calendars: kept unless asked.
    assert api_key_status(key) == 200
    assert feed_status(feed) == 200
    response = client_for(hr).post(
        reverse("api:user-revoke-access", args=[employee.pk]), {"keys_and_feeds": True}, format="json"
    )
    assert response.status_code == 200
    assert api_key_status(key) == 401
    assert feed_status(feed) == 404
    reasons = [
        event.changes["reason"][1] for event in AuditEvent.objects.filter(action="auth.access_revoked").order_by("id")
    ]
    assert reasons == ["logout_everywhere", "revoke_all_access"]
    # Their next login works.
    assert session_of(employee).get(reverse("dashboard")).status_code == 200


def test_only_hr_may_revoke_access(employee, manager, colleague, client_for):
    url = reverse("api:user-revoke-access", args=[employee.pk])
    tokens = tokens_of(employee)
    assert client_for(manager).post(url, {}, format="json").status_code == 403
    assert client_for(colleague).post(url, {}, format="json").status_code == 403
    assert client_for(employee).post(url, {}, format="json").status_code == 403
    assert refresh_status(tokens) == 200
    assert not AuditEvent.objects.filter(action="auth.access_revoked").exists()


def test_revoke_access_refuses_bad_input_and_unknown_users(employee, hr, client_for):
    assert (
        client_for(hr)
        .post(reverse("api:user-revoke-access", args=[employee.pk]), {"keys_and_feeds": "maybe"}, format="json")
        .status_code
        == 400
    )
    assert client_for(hr).post(reverse("api:user-revoke-access", args=[999999]), {}, format="json").status_code == 404


@pytest.mark.parametrize(("action", "keys_survive"), [("logout_everywhere", True), ("revoke_all_access", False)])
def test_hr_admin_actions(employee, superuser, action, keys_survive):
    tokens = tokens_of(employee)
    browser = session_of(employee)
    _, key = services.api_key_create(user=employee, name="script")
    admin = Client()
    admin.force_login(superuser)
    response = admin.post(
        reverse("admin:accounts_user_changelist"), {"action": action, "_selected_action": [employee.pk]}
    )
    assert response.status_code == 302
    assert refresh_status(tokens) == 401
    assert browser.get(reverse("dashboard")).status_code == 302
    assert (api_key_status(key) == 200) is keys_survive


def test_a_staff_manager_cannot_run_the_revoke_actions(employee, manager):
    tokens = tokens_of(employee)
    admin = Client()
    admin.force_login(manager)
    admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "logout_everywhere", "_selected_action": [employee.pk]},
    )
    assert refresh_status(tokens) == 200


def test_changepassword_command_path_revokes(employee, monkeypatch):
    """`manage.py changepassword` asks for the password twice on a terminal: answer it."""
    tokens = tokens_of(employee)
    answers = iter([NEW_PASSWORD, NEW_PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("changepassword", employee.username)
    assert refresh_status(tokens) == 401
