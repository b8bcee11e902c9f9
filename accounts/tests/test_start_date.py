"""A start date ahead (issue 22): the account exists but no way in works before that day, and the
reason is told only to someone who gave the right password."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.backends import not_started_message
from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

BERLIN = timezone.get_fixed_timezone(60)  # 5 January 2027 is winter time in Berlin


@pytest.fixture
def newcomer(db):
    """Starts on 5 January 2027 (Berlin); today is 4 January 2027, 23:30 in Berlin."""
    return UserFactory(username="newcomer", date_joined=datetime(2027, 1, 5, 0, 0, tzinfo=BERLIN))


@pytest.fixture(autouse=True)
def the_day_before():
    with time_machine.travel(datetime(2027, 1, 4, 23, 30, tzinfo=BERLIN), tick=True):
        yield


MESSAGE = "Your account starts on 5 January 2027"


def test_the_start_date_is_the_local_day_they_joined(newcomer):
    assert newcomer.start_date.isoformat() == "2027-01-05" and not newcomer.has_started
    assert not_started_message(newcomer.start_date).startswith(MESSAGE)


def test_the_login_page_tells_the_right_password_when_they_can_log_in(client, newcomer):
    response = client.post(reverse("accounts:login"), {"username": "newcomer", "password": PASSWORD})
    assert response.status_code == 200 and MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_learns_nothing_about_the_start_date(client, newcomer):
    response = client.post(reverse("accounts:login"), {"username": "newcomer", "password": "wrong-guess"})
    html = response.content.decode()
    assert response.status_code == 200 and "starts on" not in html and 'role="alert"' in html


def test_the_admin_login_refuses_them_too(client, newcomer):
    newcomer.is_staff = True
    newcomer.save()
    response = client.post(reverse("admin:login"), {"username": "newcomer", "password": PASSWORD})
    assert response.status_code == 200 and MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session
    wrong = client.post(reverse("admin:login"), {"username": "newcomer", "password": "wrong-guess"})
    assert "starts on" not in wrong.content.decode()


def test_the_api_token_is_refused_with_the_reason(newcomer):
    api = APIClient()
    response = api.post(reverse("api:token_obtain_pair"), {"username": "newcomer", "password": PASSWORD})
    assert response.status_code == 401
    assert response.json()["code"] == "no_active_account" and response.json()["detail"].startswith(MESSAGE)
    wrong = api.post(reverse("api:token_obtain_pair"), {"username": "newcomer", "password": "wrong-guess"})
    assert wrong.status_code == 401 and "starts on" not in wrong.content.decode()


def test_no_api_key_works_before_the_day(newcomer):
    _key, full_key = services.api_key_create(user=newcomer, name="script")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {full_key}")
    assert api.get(reverse("api:user-me")).status_code == 401


def test_from_their_first_day_everything_works(client, newcomer):
    with time_machine.travel(datetime(2027, 1, 5, 0, 1, tzinfo=BERLIN), tick=True):
        assert User.objects.get(pk=newcomer.pk).has_started
        response = client.post(reverse("accounts:login"), {"username": "newcomer", "password": PASSWORD})
        assert response.status_code == 302
        api = APIClient()
        token = api.post(reverse("api:token_obtain_pair"), {"username": "newcomer", "password": PASSWORD})
        assert token.status_code == 200


def test_someone_starting_today_logs_in(client):
    UserFactory(username="today", date_joined=timezone.now() - timedelta(minutes=1))
    response = client.post(reverse("accounts:login"), {"username": "today", "password": PASSWORD})
    assert response.status_code == 302


def test_accepting_an_invitation_before_the_start_sets_the_password_without_signing_in(client, newcomer):
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from accounts.invitations import invitation_token_generator

    newcomer.set_unusable_password()
    newcomer.invited_at = timezone.now()
    newcomer.save()
    url = reverse(
        "accounts:invitation_accept",
        args=[urlsafe_base64_encode(force_bytes(newcomer.pk)), invitation_token_generator.make_token(newcomer)],
    )
    form_url = client.get(url, follow=True).redirect_chain[-1][0]
    password = "newcomer-chose-this-phrase-9"
    response = client.post(form_url, {"new_password1": password, "new_password2": password}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "Your password is set." in response.content.decode() and MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert User.objects.get(pk=newcomer.pk).check_password(password)
