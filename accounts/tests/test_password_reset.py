"""Forgot password (issue 22, item 4): a reset link by e-mail through the outbox, the same answer
whether or not the address has an account, single-use and expiring links, the login limiter per IP
and per address, every session and refresh token of the user ended on reset, all audited."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, OutgoingEmail
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.test_revocation import access_status, refresh_status, tokens_of

pytestmark = pytest.mark.django_db

RESET_URL = reverse("accounts:password_reset")
SENT_URL = reverse("accounts:password_reset_done")
NEW_PASSWORD = "a-new-long-passphrase-9"


@pytest.fixture
def person(db):
    return UserFactory(username="dana", email="Dana.Meyer@example.com")


def reset_link(email):
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/[^/\s]+/[^/\s]+/)", email.body)
    assert match, email.body
    return match.group(1)


def ask(client, address):
    return client.post(RESET_URL, {"email": address})


def test_a_known_address_gets_a_link_through_the_outbox(client, person):
    response = ask(client, "dana.meyer@EXAMPLE.com")  # any case
    assert response.status_code == 302 and response.headers["Location"] == SENT_URL
    (email,) = OutgoingEmail.objects.all()
    assert email.user == person and "new password" in email.subject.lower()
    assert "dana" in email.body and "works once, within 3 hours" in email.body
    assert reset_link(email)
    assert AuditEvent.objects.filter(action="auth.password_reset_requested", object_id=str(person.pk)).count() == 1


@pytest.mark.parametrize("address", ["nobody@example.com", "dana.meyer@example.org"])
def test_an_unknown_address_gets_the_same_answer_and_no_email(client, person, address):
    known = ask(Client(), person.email)
    unknown = ask(client, address)
    assert (unknown.status_code, unknown.headers["Location"]) == (known.status_code, known.headers["Location"])
    assert OutgoingEmail.objects.count() == 1  # the known one's only
    page = client.get(SENT_URL).content.decode()
    assert "If an account uses that address" in page


def test_inactive_people_and_unusable_passwords_get_no_link(client):
    UserFactory(email="gone@example.com", is_active=False)
    sso = UserFactory(email="sso@example.com")
    sso.set_unusable_password()
    sso.save()
    for address in ("gone@example.com", "sso@example.com"):
        assert ask(client, address).status_code == 302
    assert not OutgoingEmail.objects.exists()


@pytest.mark.parametrize("address", ["", "not an address", "a@b", "x" * 250 + "@example.com"])
def test_a_malformed_address_is_a_400_at_the_field(client, person, address):
    response = ask(client, address)
    assert response.status_code == 400
    assert 'id="id_email_error"' in response.content.decode()
    assert not OutgoingEmail.objects.exists()


def test_the_link_sets_a_new_password_once_and_ends_every_session(client, person):
    # Signed in elsewhere: a browser, and the API with a refresh token.
    elsewhere = Client()
    elsewhere.force_login(person)
    assert elsewhere.get("/").status_code == 200
    tokens = tokens_of(person)
    ask(client, person.email)
    link = reset_link(OutgoingEmail.objects.get())
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]  # Django swaps the token out of the URL first
    mismatch = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400 and 'id="id_new_password2_error"' in mismatch.content.decode()
    weak = client.post(set_url, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 400
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == reverse("accounts:password_reset_complete")
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    # Everyone who was signed in is out: the other browser, the API's refresh token.
    assert elsewhere.get("/").status_code == 302
    assert refresh_status(tokens) == 401
    assert access_status(tokens_of_new(person)) == 200
    assert AuditEvent.objects.filter(action="auth.password_reset", object_id=str(person.pk)).exists()
    assert AuditEvent.objects.filter(action="auth.access_revoked", object_id=str(person.pk)).exists()
    # The link worked once.
    again = Client().get(link, follow=True)
    assert "This link no longer works" in again.content.decode()


def tokens_of_new(person):
    person.set_password(PASSWORD)  # tokens_of signs in with the factories' password
    person.save()
    return tokens_of(person)


def test_an_expired_link_no_longer_works(client, person, settings):
    ask(client, person.email)
    link = reset_link(OutgoingEmail.objects.get())
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)):
        page = client.get(link, follow=True).content.decode()
    assert "This link no longer works" in page and "new_password1" not in page


@pytest.mark.parametrize("link", ["/accounts/password/reset/MQ/abc-def/", "/accounts/password/reset/!!/x/"])
def test_a_forged_link_no_longer_works(client, person, link):
    page = client.get(link, follow=True)
    assert page.status_code == 200 and "This link no longer works" in page.content.decode()
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_requests_are_limited_per_address_and_per_address_of_the_client(person, settings):
    settings.THROTTLE_AUTH_ACCOUNT_RATE = "3/hour"
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        assert ask(client, person.email).status_code == 302
    refused = ask(Client(REMOTE_ADDR="198.51.100.7"), person.email)  # from elsewhere: the address's limit
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many reset requests" in refused.content.decode()
    assert OutgoingEmail.objects.count() == 3
    # Per client: the IP's limit (the login limiter's) counts every address tried from it.
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"].split("/")[0])
    guesser = Client(REMOTE_ADDR="192.0.2.44")
    answers = [ask(guesser, f"guess{n}@example.com").status_code for n in range(limit + 1)]
    assert answers[-1] == 429 and set(answers[:-1]) == {302}


def test_the_login_page_offers_the_reset(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert f'href="{RESET_URL}"' in html
    assert client.get(RESET_URL).status_code == 200  # no login needed
