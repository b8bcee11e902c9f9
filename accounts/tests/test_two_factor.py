"""Two-factor login: enrolment, the code step of the login page and of the API's token exchange,
recovery codes (hashed, once), a reused TOTP code refused, the limit on wrong codes, enforcement for
staff, the admin login going through the code step, and HR's reset (audited, sessions revoked)."""

import time

import pytest
from django.core.cache import cache
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, RecoveryCode
from accounts.services import two_factor
from accounts.tests.factories import HRFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-safe-password-2026"
TOKEN_URL = "/api/v1/auth/token/"
SECOND_URL = "/api/v1/auth/token/two-factor/"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()  # the login limiter's counters
    yield
    cache.clear()


def code_of(device, *, steps_ahead=0):
    """The code the user's authenticator shows now (or `steps_ahead` steps of 30 s later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


@pytest.fixture
def person(db):
    user = UserFactory(username="pat")
    user.set_password(PASSWORD)
    user.save()
    return user


def enrol(user):
    device = two_factor.totp_enrol_begin(user=user)
    codes = two_factor.totp_enrol_confirm(user=user, code=code_of(device))
    device.refresh_from_db()
    return device, codes


# --- Enrolment and the rules of a code ------------------------------------------------------------


def test_enrolment_confirms_the_device_and_gives_ten_hashed_recovery_codes(person):
    device, codes = enrol(person)
    assert device.confirmed and len(codes) == 10 and len(set(codes)) == 10
    stored = set(RecoveryCode.objects.filter(user=person).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not stored & set(codes)  # never the codes themselves
    assert AuditEvent.objects.filter(action="auth.two_factor_enabled", object_id=str(person.pk)).exists()


def test_enrolment_refuses_a_wrong_or_malformed_code_and_stays_unconfirmed(person):
    device = two_factor.totp_enrol_begin(user=person)
    for wrong in ["000000" if code_of(device) != "000000" else "111111", "12345", "abcdef", "", "1234567"]:
        with pytest.raises(two_factor.TwoFactorInvalid):
            two_factor.totp_enrol_confirm(user=person, code=wrong)
    device.refresh_from_db()
    assert not device.confirmed and not RecoveryCode.objects.exists()


def test_enrolling_twice_is_a_conflict(person):
    enrol(person)
    with pytest.raises(two_factor.Conflict):
        two_factor.totp_enrol_begin(user=person)


def test_a_totp_code_works_once(person):
    device, _ = enrol(person)
    later = code_of(device, steps_ahead=1)  # a new code: the enrolment used this step's
    assert two_factor.two_factor_verify(user=person, code=later, ip="10.0.0.1").method == "totp"
    with pytest.raises(two_factor.TwoFactorInvalid):
        two_factor.two_factor_verify(user=person, code=later, ip="10.0.0.1")


def test_a_recovery_code_works_once_in_any_spelling(person):
    _, codes = enrol(person)
    verified = two_factor.two_factor_verify(user=person, code=f"  {codes[0].upper()} ", ip="10.0.0.1")
    assert verified.method == "recovery_code" and verified.recovery_codes_left == 9
    with pytest.raises(two_factor.TwoFactorInvalid):
        two_factor.two_factor_verify(user=person, code=codes[0], ip="10.0.0.1")
    assert two_factor.two_factor_verify(user=person, code=codes[1].replace("-", ""), ip="10.0.0.1")


def test_another_users_recovery_code_does_not_work(person):
    _, codes = enrol(person)
    other = UserFactory(username="other")
    enrol(other)
    with pytest.raises(two_factor.TwoFactorInvalid):
        two_factor.two_factor_verify(user=other, code=codes[0], ip="10.0.0.1")


def test_wrong_codes_are_limited_per_account(person, settings):
    settings.LOGIN_RATE_LIMIT_PER_USER = getattr(settings, "LOGIN_RATE_LIMIT_PER_USER", 5)
    enrol(person)
    refused = None
    for attempt in range(60):
        try:
            two_factor.two_factor_verify(user=person, code=f"{attempt:05d}x", ip=f"10.0.{attempt}.1")
        except two_factor.TwoFactorThrottled as error:
            refused = error
            break
        except two_factor.TwoFactorInvalid:
            continue
    assert refused is not None and refused.retry_after >= 1, "wrong codes were never limited"


def test_new_recovery_codes_replace_the_old_ones(person):
    device, old = enrol(person)
    new = two_factor.recovery_codes_regenerate(user=person, code=code_of(device, steps_ahead=1), ip="10.0.0.1")
    assert len(new) == 10 and not set(new) & set(old)
    with pytest.raises(two_factor.TwoFactorInvalid):
        two_factor.two_factor_verify(user=person, code=old[0], ip="10.0.0.1")
    assert two_factor.two_factor_verify(user=person, code=new[0], ip="10.0.0.1")


def test_turning_it_off_needs_a_code_and_is_refused_when_required(person, settings):
    _device, codes = enrol(person)
    with pytest.raises(two_factor.TwoFactorInvalid):
        two_factor.two_factor_disable(user=person, code="nonsense", ip="10.0.0.1")
    assert two_factor.two_factor_device(person) is not None
    staff = UserFactory(username="staffer", is_staff=True)
    _staff_device, staff_codes = enrol(staff)
    settings.TWO_FACTOR_ENFORCE = True
    with pytest.raises(two_factor.Forbidden):
        two_factor.two_factor_disable(user=staff, code=staff_codes[0], ip="10.0.0.1")
    two_factor.two_factor_disable(user=person, code=codes[0], ip="10.0.0.1")
    assert two_factor.two_factor_device(person) is None and not RecoveryCode.objects.filter(user=person).exists()


# --- HR's reset -------------------------------------------------------------------------------------


def test_hr_resets_a_second_factor_audited_and_the_users_sessions_end(client, person):
    hr = HRFactory(username="hr")
    enrol(person)
    client.force_login(person)
    generation = person.session_generation
    two_factor.two_factor_reset(actor=hr, user=person)
    person.refresh_from_db()
    assert two_factor.two_factor_device(person) is None and not RecoveryCode.objects.filter(user=person).exists()
    assert person.session_generation == generation + 1
    assert AuditEvent.objects.filter(action="auth.two_factor_reset", actor=hr, object_id=str(person.pk)).exists()
    assert client.get(reverse("dashboard")).status_code == 302  # the session ended


def test_only_hr_may_reset_and_not_their_own(person, manager):
    enrol(person)
    with pytest.raises(two_factor.Forbidden):
        two_factor.two_factor_reset(actor=manager, user=person)
    hr = HRFactory(username="hr")
    with pytest.raises(two_factor.Forbidden):
        two_factor.two_factor_reset(actor=hr, user=hr)
    assert two_factor.two_factor_device(person) is not None


def test_api_reset_is_hr_only_and_others_get_404_or_403(client_for, person, manager, employee):
    enrol(person)
    url = f"/api/v1/users/{person.pk}/two-factor-reset/"
    assert client_for(employee).post(url).status_code in (403, 404)
    assert client_for(manager).post(url).status_code in (403, 404)
    assert two_factor.two_factor_device(person) is not None
    response = client_for(HRFactory(username="hr")).post(url)
    assert response.status_code == 200 and "refresh_tokens_revoked" in response.json()
    assert two_factor.two_factor_device(person) is None


# --- The login page -------------------------------------------------------------------------------


def _login(client, user, password=PASSWORD, next_url=None):
    data = {"username": user.username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("accounts:login"), data)


def test_login_without_a_second_factor_is_unchanged(client, person):
    response = _login(client, person)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_login_with_a_second_factor_asks_for_the_code_before_signing_in(client, person):
    device, _ = enrol(person)
    response = _login(client, person, next_url="/leave/")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:two_factor_login")
    assert client.get("/leave/").status_code == 302  # not signed in yet
    page = client.get(reverse("accounts:two_factor_login"))
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.content.decode()
    wrong = client.post(reverse("accounts:two_factor_login"), {"code": "nonsense"})
    assert wrong.status_code == 400 and 'class="field has-error"' in wrong.content.decode()
    right = client.post(reverse("accounts:two_factor_login"), {"code": code_of(device, steps_ahead=1)})
    assert right.status_code == 302 and right["Location"] == "/leave/"
    assert client.get("/leave/").status_code == 200


def test_login_with_a_recovery_code_warns_how_many_are_left(client, person):
    _, codes = enrol(person)
    _login(client, person)
    response = client.post(reverse("accounts:two_factor_login"), {"code": codes[3]}, follow=True)
    assert response.status_code == 200 and "9 left" in response.content.decode()


def test_the_code_page_without_a_password_step_goes_back_to_login(client):
    response = client.get(reverse("accounts:two_factor_login"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")


def test_too_many_wrong_codes_on_the_page_answer_429(client, person):
    enrol(person)
    _login(client, person)
    statuses = [client.post(reverse("accounts:two_factor_login"), {"code": "999999x"}).status_code for _ in range(40)]
    assert 429 in statuses and statuses[0] == 400


def test_the_admin_login_goes_through_the_code_step(client, person):
    device, _ = enrol(person)
    person.is_staff = True
    person.save()
    response = client.post(
        reverse("admin:login"), {"username": person.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    # The password alone gives no admin: the next request ends that session and asks for the code.
    admin = client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith(reverse("accounts:login"))
    assert client.get("/admin/").status_code == 302
    _login(client, person, next_url="/admin/")
    client.post(reverse("accounts:two_factor_login"), {"code": code_of(device, steps_ahead=1)})
    assert client.get("/admin/").status_code == 200


def test_enforced_staff_must_enrol_before_anything_else(client, settings):
    settings.TWO_FACTOR_ENFORCE = True
    staff = UserFactory(username="boss", is_staff=True)
    staff.set_password(PASSWORD)
    staff.save()
    _login(client, staff)
    page = client.get("/leave/")
    assert page.status_code == 302 and page["Location"].startswith(reverse("accounts:two_factor_setup"))
    assert client.get("/api/v1/users/me/").status_code == 403
    setup = client.get(page["Location"])
    html = setup.content.decode()
    assert setup.status_code == 200 and "<svg" in html and "needs a second factor" in html
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    done = client.post(page["Location"], {"code": code_of(device)})
    assert done.status_code == 200 and done.content.decode().count("<li><code>") == 10
    assert client.get("/leave/").status_code == 200  # this session is verified by the set-up


def test_enforcement_leaves_employees_alone(client, settings, person):
    settings.TWO_FACTOR_ENFORCE = True
    _login(client, person)
    assert client.get("/leave/").status_code == 200


def test_settings_page_offers_set_up_then_new_codes(client, person):
    client.force_login(person)
    html = client.get(reverse("accounts:two_factor")).content.decode()
    assert "is <strong>off</strong>" in html
    device, _ = enrol(person)  # (in the service: it ends the sessions, this one too)
    _login(client, person)
    client.post(reverse("accounts:two_factor_login"), {"code": code_of(device, steps_ahead=1)})
    html = client.get(reverse("accounts:two_factor")).content.decode()
    assert "10 recovery codes left" in html and "Turn off two-factor login" in html
    response = client.post(
        reverse("accounts:two_factor"), {"action": "recovery_codes", "code": code_of(device, steps_ahead=2)}
    )
    assert response.status_code == 200 and response.content.decode().count("<li><code>") == 10


# --- The API's token exchange ---------------------------------------------------------------------


def test_token_without_a_second_factor_is_unchanged(api_client, person):
    response = api_client.post(TOKEN_URL, {"username": person.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200 and set(response.json()) == {"access", "refresh"}


def test_token_for_an_enrolled_user_is_a_challenge_then_tokens_for_a_code(api_client, person):
    device, codes = enrol(person)
    first = api_client.post(TOKEN_URL, {"username": person.username, "password": PASSWORD}, format="json")
    assert first.status_code == 202 and "access" not in first.json()
    challenge = first.json()["challenge"]
    assert first.json()["methods"] == ["totp", "recovery_code"] and first.json()["expires_in"] == 300
    code = code_of(device, steps_ahead=1)
    second = api_client.post(SECOND_URL, {"challenge": challenge, "code": code}, format="json")
    assert second.status_code == 200 and set(second.json()) == {"access", "refresh"}
    me = api_client.get("/api/v1/users/me/", HTTP_AUTHORIZATION=f"Bearer {second.json()['access']}")
    assert me.status_code == 200 and me.json()["username"] == person.username
    # The same code again, with a new challenge: refused (a TOTP code works once).
    again = api_client.post(TOKEN_URL, {"username": person.username, "password": PASSWORD}, format="json")
    fresh = again.json()["challenge"]
    reused = api_client.post(SECOND_URL, {"challenge": fresh, "code": code}, format="json")
    assert reused.status_code == 401 and reused.json()["code"] == "invalid_code"
    recovery = api_client.post(SECOND_URL, {"challenge": fresh, "code": codes[0]}, format="json")
    assert recovery.status_code == 200
    # A challenge buys one pair: the spent one is refused even with a good code.
    spent = api_client.post(SECOND_URL, {"challenge": fresh, "code": codes[1]}, format="json")
    assert spent.status_code == 401 and spent.json()["code"] == "challenge_invalid"


def test_token_second_step_refuses_forged_expired_and_stale_challenges(api_client, person):
    _device, codes = enrol(person)
    for challenge in ["forged", two_factor.two_factor_challenge(person) + "x"]:
        response = api_client.post(SECOND_URL, {"challenge": challenge, "code": codes[0]}, format="json")
        assert response.status_code == 401 and response.json()["code"] == "challenge_invalid"
    import time_machine

    with time_machine.travel(time.time() - 301):
        old = two_factor.two_factor_challenge(person)
    response = api_client.post(SECOND_URL, {"challenge": old, "code": codes[0]}, format="json")
    assert response.status_code == 401 and response.json()["code"] == "challenge_invalid"
    stale = two_factor.two_factor_challenge(person)
    person.set_password("another-long-password-2026")
    person.save()
    response = api_client.post(SECOND_URL, {"challenge": stale, "code": codes[0]}, format="json")
    assert response.status_code == 401 and response.json()["code"] == "challenge_invalid"
    assert RecoveryCode.objects.filter(user=person, used_at__isnull=False).count() == 0


def test_token_second_step_bad_bodies_are_400(api_client):
    for body in [{}, {"challenge": "x"}, {"code": "123456"}, {"challenge": "x" * 3000, "code": "1"}]:
        assert api_client.post(SECOND_URL, body, format="json").status_code == 400


def test_token_for_enforced_staff_without_a_second_factor_is_403(api_client, settings):
    settings.TWO_FACTOR_ENFORCE = True
    staff = UserFactory(username="boss", is_staff=True)
    staff.set_password(PASSWORD)
    staff.save()
    response = api_client.post(TOKEN_URL, {"username": staff.username, "password": PASSWORD}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "two_factor_required"


def test_a_wrong_password_is_still_401_for_an_enrolled_user(api_client, person):
    enrol(person)
    response = api_client.post(TOKEN_URL, {"username": person.username, "password": "wrong"}, format="json")
    assert response.status_code == 401


def test_hr_resets_on_the_person_page_and_nobody_else_can(client, person, manager):
    enrol(person)
    hr = HRFactory(username="hr")
    url = reverse("accounts:person_two_factor_reset", args=[person.pk])
    client.force_login(manager)
    assert client.post(url).status_code == 404
    assert two_factor.two_factor_device(person) is not None
    client.force_login(hr)
    page = client.get(reverse("accounts:person", args=[person.pk])).content.decode()
    assert "Reset two-factor login" in page
    response = client.post(url)
    assert response.status_code == 302 and two_factor.two_factor_device(person) is None
    assert "Off" in client.get(reverse("accounts:person", args=[person.pk])).content.decode()


def test_nobody_reads_authenticator_secrets_in_the_admin(admin_client, person):
    enrol(person)
    assert admin_client.get("/admin/otp_totp/totpdevice/").status_code == 404


def test_enrolling_ends_the_sessions_and_refresh_tokens_obtained_with_the_password_alone(client, api_client, person):
    other_browser = type(client)()
    other_browser.force_login(person)
    assert other_browser.get("/").status_code == 200
    tokens = api_client.post(TOKEN_URL, {"username": person.username, "password": PASSWORD}, format="json").json()
    client.force_login(person)
    client.get(reverse("accounts:two_factor_setup"))
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    done = client.post(reverse("accounts:two_factor_setup"), {"code": code_of(device)})
    assert done.status_code == 200 and done.content.decode().count("<li><code>") == 10
    assert client.get("/").status_code == 200  # the enrolling session goes on
    assert other_browser.get("/").status_code == 302  # the other one ended
    refreshed = api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 401


def test_the_second_step_works_with_the_cache_down(api_client, person, monkeypatch):
    """Redis down: the challenge cannot be marked spent; the login fails open (a code still works once)."""
    device, _ = enrol(person)
    challenge = api_client.post(TOKEN_URL, {"username": person.username, "password": PASSWORD}, format="json")
    challenge = challenge.json()["challenge"]

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(cache, "add", down)
    response = api_client.post(
        SECOND_URL, {"challenge": challenge, "code": code_of(device, steps_ahead=1)}, format="json"
    )
    assert response.status_code == 200 and "access" in response.json()
