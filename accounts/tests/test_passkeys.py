"""Passkeys beside the authenticator app: who may start which ceremony, the refusals of the code
step's passkey answers (another account's passkey, an unknown one, a forged signature, a reused or
missing challenge, bytes that are not an answer at all: each a 4xx in the reader's language, never a
500), names, removal (own only, audited), and the reset and turning-off that take passkeys with them.
The ceremonies themselves, with a real authenticator, are in test_passkeys_browser.py."""

import base64
import json
import secrets

import pytest
from django.core.cache import cache
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import AuditEvent
from accounts.services import two_factor
from accounts.tests.factories import HRFactory, UserFactory
from accounts.tests.test_two_factor import PASSWORD, _login, code_of, enrol

pytestmark = pytest.mark.django_db

LOGIN_BEGIN = reverse("accounts:passkey_login_begin")
LOGIN_COMPLETE = reverse("accounts:passkey_login_complete")
REGISTER_BEGIN = reverse("accounts:passkey_register_begin")
REGISTER_COMPLETE = reverse("accounts:passkey_register_complete")


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def person(db):
    user = UserFactory(username="pia")
    user.set_password(PASSWORD)
    user.save()
    return user


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def a_passkey(user, name="Laptop"):
    """A stored credential (its key is never used: answers for it fail the signature check)."""
    credential_id = secrets.token_bytes(32)
    return WebAuthnCredential.objects.create(
        user=user,
        name=name,
        credential_id=credential_id,
        public_key=b"not a key",
        sign_count=0,
        confirmed=True,
    )


def an_answer(credential_id: bytes) -> dict:
    """An assertion shaped as a browser sends it, for `credential_id`, signed by nobody."""
    client_data = json.dumps({"type": "webauthn.get", "challenge": b64(b"x" * 32), "origin": "http://localhost"})
    return {
        "id": b64(credential_id),
        "rawId": b64(credential_id),
        "type": "public-key",
        "response": {
            "authenticatorData": b64(secrets.token_bytes(37)),
            "clientDataJSON": b64(client_data.encode()),
            "signature": b64(secrets.token_bytes(64)),
        },
        "clientExtensionResults": {},
    }


def at_code_step(client, user):
    """The password step passed: the session is waiting for the second factor."""
    response = _login(client, user)
    assert response["Location"] == reverse("accounts:two_factor_login")


def post_json(client, url, body, **headers):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(url, raw, content_type="application/json", **headers)


def verified_client(client, user):
    """A session past the code step (as after a login with a code)."""
    device = two_factor.two_factor_device(user)
    at_code_step(client, user)
    response = client.post(reverse("accounts:two_factor_login"), {"code": code_of(device, steps_ahead=1)})
    assert response.status_code == 302
    return client


# --- The code step --------------------------------------------------------------------------------


def test_the_code_page_offers_a_passkey_only_to_someone_who_has_one(client, person):
    enrol(person)
    at_code_step(client, person)
    page = client.get(reverse("accounts:two_factor_login")).content.decode()
    assert 'id="passkey-config"' not in page and "Use a passkey" not in page
    a_passkey(person)
    page = client.get(reverse("accounts:two_factor_login")).content.decode()
    assert 'id="passkey-config"' in page and "Use a passkey" in page
    assert "vendor/simplewebauthn/index.umd.min" in page and "js/passkeys" in page


def test_passkey_options_only_after_the_password_step(client, person):
    enrol(person)
    passkey = a_passkey(person)
    refused = client.post(LOGIN_BEGIN)
    assert refused.status_code == 403 and refused.json()["code"] == "not_authenticated"
    at_code_step(client, person)
    options = client.post(LOGIN_BEGIN)
    assert options.status_code == 200
    body = options.json()
    assert body["rpId"] == "localhost" and len(base64.urlsafe_b64decode(body["challenge"] + "==")) >= 16
    # Only the pending user's own passkeys are offered to the browser.
    assert [c["id"] for c in body["allowCredentials"]] == [b64(bytes(passkey.credential_id))]


def test_another_accounts_passkey_an_unknown_one_and_a_forged_signature_are_refused(client, person):
    enrol(person)
    mine = a_passkey(person)
    theirs = a_passkey(UserFactory())
    at_code_step(client, person)
    for credential_id, status, code in [
        (bytes(theirs.credential_id), 403, "credential_user_mismatch"),
        (secrets.token_bytes(32), 404, "credential_not_found"),
    ]:
        client.post(LOGIN_BEGIN)
        response = post_json(client, LOGIN_COMPLETE, an_answer(credential_id))
        assert (response.status_code, response.json()["code"]) == (status, code)
    client.post(LOGIN_BEGIN)
    forged = post_json(client, LOGIN_COMPLETE, an_answer(bytes(mine.credential_id)))
    assert 400 <= forged.status_code < 500 and forged.json()["detail"]
    # Still not logged in, and still at the code step: a code works.
    assert client.get("/").status_code == 302
    assert client.get(reverse("accounts:two_factor_login")).status_code == 200


def test_an_answer_without_its_challenge_is_refused_and_a_challenge_serves_once(client, person):
    enrol(person)
    mine = a_passkey(person)
    at_code_step(client, person)
    missing = post_json(client, LOGIN_COMPLETE, an_answer(bytes(mine.credential_id)))
    assert missing.status_code == 400 and missing.json()["code"] == "invalid_state"
    client.post(LOGIN_BEGIN)
    post_json(client, LOGIN_COMPLETE, an_answer(bytes(mine.credential_id)))
    again = post_json(client, LOGIN_COMPLETE, an_answer(bytes(mine.credential_id)))
    assert again.status_code == 400 and again.json()["code"] == "invalid_state"


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe not json",
        "[1, 2, 3]",
        '"a string"',
        "null",
        {},
        {"id": "x"},
        {"id": "!!", "rawId": "!!", "type": "public-key", "response": {}},
        {"id": "AA", "rawId": "AA", "type": "public-key", "response": "not an object"},
        {"id": 1, "rawId": [1], "type": None, "response": {"signature": 5}},
    ],
)
def test_malformed_answers_are_400_whatever_the_bytes(client, person, body):
    enrol(person)
    a_passkey(person)
    at_code_step(client, person)
    client.post(LOGIN_BEGIN)
    response = post_json(client, LOGIN_COMPLETE, body)
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["detail"]


def test_refusals_follow_the_readers_language(client, person):
    refused = client.post(LOGIN_BEGIN, HTTP_ACCEPT_LANGUAGE="de")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Ihre Anmeldung ist abgelaufen: Geben Sie Ihr Passwort erneut ein."


def test_a_deactivated_user_cannot_finish_with_a_passkey(client, person):
    enrol(person)
    a_passkey(person)
    at_code_step(client, person)
    person.is_active = False
    person.save(update_fields=["is_active"])
    response = client.post(LOGIN_BEGIN)
    assert response.status_code == 403 and response.json()["code"] == "not_authenticated"


# --- Adding and removing ----------------------------------------------------------------------------


def test_adding_a_passkey_needs_a_login_and_the_authenticator_app_first(client, person):
    anonymous = client.post(REGISTER_BEGIN)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("accounts:login"))
    client.force_login(person)
    no_app = client.post(REGISTER_BEGIN)
    assert no_app.status_code == 409 and no_app.json()["code"] == "authenticator_first"
    assert "Add a passkey" not in client.get(reverse("accounts:two_factor")).content.decode()


def test_a_verified_session_gets_registration_options_and_the_page_offers_it(client, person):
    enrol(person)
    verified_client(client, person)
    options = client.post(REGISTER_BEGIN)
    assert options.status_code == 200
    body = options.json()
    assert body["rp"] == {"name": "Timetrack", "id": "localhost"} and body["user"]["name"] == person.username
    page = client.get(reverse("accounts:two_factor")).content.decode()
    assert "Add a passkey" in page and "No passkey yet" in page


def test_a_too_long_name_is_refused_at_the_field_before_the_ceremony_is_spent(client, person):
    enrol(person)
    verified_client(client, person)
    client.post(REGISTER_BEGIN)
    too_long = "x" * (two_factor.PASSKEY_NAME_MAX_LENGTH + 1)
    response = post_json(client, f"{REGISTER_COMPLETE}?name={too_long}", {"id": "x"})
    assert response.status_code == 400 and response.json()["field"] == "name"
    # The challenge is still there: a malformed answer now reaches the ceremony (and spends it).
    bad = post_json(client, REGISTER_COMPLETE, {"id": "x"})
    assert 400 <= bad.status_code < 500 and bad.json()["code"] != "invalid_state"
    assert post_json(client, REGISTER_COMPLETE, {"id": "x"}).json()["code"] == "invalid_state"
    assert not WebAuthnCredential.objects.filter(user=person).exists()


def test_names_are_trimmed_or_numbered(person):
    enrol(person)
    assert two_factor.passkey_name("  Work   laptop ", person) == "Work laptop"
    assert two_factor.passkey_name("", person) == "Passkey 1"
    a_passkey(person)
    assert two_factor.passkey_name(None, person) == "Passkey 2"


def test_the_page_lists_passkeys_and_removes_only_ones_own(client, person):
    enrol(person)
    mine = a_passkey(person, name="Phone")
    theirs = a_passkey(UserFactory(), name="Not yours")
    verified_client(client, person)
    page = client.get(reverse("accounts:two_factor")).content.decode()
    assert "Phone" in page and "Not yours" not in page and "not used yet" in page
    assert client.post(reverse("accounts:passkey_remove", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("accounts:passkey_remove", args=[mine.pk])).status_code == 405
    response = client.post(reverse("accounts:passkey_remove", args=[mine.pk]), follow=True)
    assert response.status_code == 200 and "Passkey “Phone” removed." in response.content.decode()
    assert not WebAuthnCredential.objects.filter(pk=mine.pk).exists()
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()
    event = AuditEvent.objects.get(action="auth.passkey_removed")
    assert event.actor == person and event.changes == {"passkey": ["Phone", None]}


def test_turning_two_factor_off_and_hrs_reset_take_the_passkeys_with_them(person):
    device, _ = enrol(person)
    a_passkey(person)
    two_factor.two_factor_disable(user=person, code=code_of(device, steps_ahead=1), ip="127.0.0.1")
    assert not WebAuthnCredential.objects.filter(user=person).exists()
    enrol(person)
    a_passkey(person)
    a_passkey(person)
    two_factor.two_factor_reset(actor=HRFactory(), user=person)
    assert not WebAuthnCredential.objects.filter(user=person).exists()
    assert AuditEvent.objects.get(action="auth.two_factor_reset").changes == {"devices": [3, 0]}


def test_passkeys_switched_off_answer_404_and_are_not_offered(client, person, settings):
    settings.PASSKEYS_ENABLED = False
    enrol(person)
    a_passkey(person)
    at_code_step(client, person)
    assert "Use a passkey" not in client.get(reverse("accounts:two_factor_login")).content.decode()
    assert client.post(LOGIN_BEGIN).status_code == 404
