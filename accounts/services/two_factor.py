"""Two-factor login: enrolment of an authenticator app (TOTP, django-otp's TOTPDevice), recovery
codes (hashed, each once), passkeys (WebAuthn, django-otp-webauthn's credentials: a quicker way through
the code step of the pages for someone who has the app), the code step of a login (pages and API
alike), the API's two-step token exchange, and HR's reset.

The code step is limited like the password step (core.throttling.login_attempt_begin, per client
address and per account, failed codes only), and django-otp adds its own growing delay per device
after a failure. A TOTP code is refused a second time (django-otp keeps the last accepted time step),
so a code seen over someone's shoulder cannot be replayed within its 30-second window. Verifying
locks the device row (django_otp.verify_token), so two logins racing with one code get one success.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import RecoveryCode, User
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.throttling import login_attempt_begin

RECOVERY_CODE_COUNT = 10
PASSKEY_NAME_MAX_LENGTH = 64
# Ten characters of a 32-letter alphabet without look-alikes (no 0/O, 1/I/L): 50 bits, shown as xxxxx-xxxxx.
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CHALLENGE_MAX_AGE_SECONDS = 300
CHALLENGE_SALT = "accounts.two-factor-challenge"
logger = logging.getLogger(__name__)
TOTP_CODE = re.compile(r"\d{6}")
# In the session, set at login: whether the user had a second factor then (read by
# accounts.middleware.TwoFactorEnrolmentMiddleware instead of a query per request).
ENROLLED_SESSION_KEY = "two_factor_enrolled"


class TwoFactorInvalid(DomainError):
    """A wrong, reused or malformed code (400 at the field `code`, 401 at the API's token step)."""

    default_code = "invalid_code"


class TwoFactorThrottled(DomainError):
    default_code = "throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many wrong codes. Try again in {retry_after} seconds.", field="code")
        self.retry_after = retry_after


def two_factor_required(user: User) -> bool:
    """Whether `user` must use a second factor (TWO_FACTOR_ENFORCE: staff, HR and superusers)."""
    return bool(settings.TWO_FACTOR_ENFORCE) and bool(user.is_staff or user.is_superuser or user.is_hr)


def two_factor_device(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator, if they have enrolled."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def _hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _audit(*, actor: User | None, user: User, action: str, changes: dict | None = None) -> None:
    from accounts.services import audit_record  # cycle: accounts.services re-exports this module

    audit_record(actor=actor, action=action, obj=user, changes=changes or {})


def remember_enrolment(sender: object, request: HttpRequest | None, user: User, **kwargs: object) -> None:
    """Receiver of user_logged_in: note in the new session whether the user has a second factor."""
    if request is not None and hasattr(request, "session"):
        request.session[ENROLLED_SESSION_KEY] = two_factor_device(user) is not None


# --- Enrolment ------------------------------------------------------------------------------------


@transaction.atomic
def totp_enrol_begin(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator secret for the QR code (an earlier unfinished one is
    replaced). 409 `already_enrolled` when the user has one: reset or disable it first."""
    if two_factor_device(user) is not None:
        raise Conflict(gettext("Two-factor login is already set up."), code="already_enrolled")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def totp_pending_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


@transaction.atomic
def totp_enrol_confirm(*, user: User, code: str) -> list[str]:
    """Confirm the authenticator with a code it shows; returns the recovery codes, shown once."""
    device = totp_pending_device(user)
    if device is None:
        raise NotFound(gettext("Start the set-up again: no authenticator is waiting to be confirmed."))
    code = _normalise(code)
    if not TOTP_CODE.fullmatch(code) or verify_token(user, device.persistent_id, code) is None:
        raise TwoFactorInvalid(gettext("That code is not right: enter the 6 digits the app shows now."), field="code")
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    codes = _recovery_codes_replace(user)
    _audit(actor=user, user=user, action="auth.two_factor_enabled")
    # Sessions and refresh tokens obtained with the password alone end here: from now on every way in
    # has the second factor. (The page keeps its own session: it re-hashes it after this.)
    from accounts.services import user_revoke_access  # cycle: accounts.services re-exports this module

    user_revoke_access(user=user, actor=user, reason="two_factor_enabled")
    return codes


def _recovery_codes_replace(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_hash(code)) for code in codes)
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User, code: str, ip: str) -> list[str]:
    """A new set of recovery codes (the old ones stop working), confirmed with a current code."""
    two_factor_verify(user=user, code=code, ip=ip)
    codes = _recovery_codes_replace(user)
    _audit(actor=user, user=user, action="auth.recovery_codes_regenerated")
    return codes


@transaction.atomic
def two_factor_disable(*, user: User, code: str, ip: str) -> None:
    """The user turns two-factor login off (with a current code); refused when it is required of them."""
    if two_factor_required(user):
        raise Forbidden(
            gettext("Two-factor login is required for your account: it cannot be turned off."), code="required"
        )
    two_factor_verify(user=user, code=code, ip=ip)
    TOTPDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    _audit(actor=user, user=user, action="auth.two_factor_disabled")


@transaction.atomic
def two_factor_reset(*, actor: User, user: User) -> int:
    """HR: remove a user's second factor (a lost phone). Audited; every session and refresh token
    of the user is revoked, so the next login enrols again. Returns the refresh tokens revoked."""
    from accounts.services import user_revoke_access  # cycle: accounts.services re-exports this module

    if not actor.is_hr:
        raise Forbidden(gettext("Only HR can reset someone's two-factor login."), code="not_hr")
    if actor.pk == user.pk:
        raise Forbidden(gettext("Ask another HR member to reset your own two-factor login."), code="own_account")
    devices, _ = TOTPDevice.objects.filter(user=user).delete()
    passkeys, _ = WebAuthnCredential.objects.filter(user=user).delete()
    devices += passkeys
    RecoveryCode.objects.filter(user=user).delete()
    _audit(actor=actor, user=user, action="auth.two_factor_reset", changes={"devices": [devices, 0]})
    return user_revoke_access(user=user, actor=actor, reason="two_factor_reset")


# --- Passkeys -------------------------------------------------------------------------------------


def passkeys_of(user: User) -> QuerySet[WebAuthnCredential]:
    """The user's passkeys, oldest first."""
    passkeys: QuerySet[WebAuthnCredential] = WebAuthnCredential.objects.filter(user=user, confirmed=True)
    return passkeys.order_by("created_at", "id")


def passkey_registration_check(user: User) -> None:
    """A passkey is added beside the authenticator app, never instead of it: the app and its recovery
    codes stay the way in when the passkey's device is lost (and the API's token exchange takes codes)."""
    if two_factor_device(user) is None:
        raise Conflict(
            gettext("Set up the authenticator app first: a passkey is added beside it."), code="authenticator_first"
        )


def passkey_name(raw: str | None, user: User) -> str:
    """The name the user gave a new passkey (trimmed), else "Passkey N". 400 at `name` when too long."""
    name = " ".join((raw or "").split())
    if len(name) > PASSKEY_NAME_MAX_LENGTH:
        raise DomainError(
            gettext("A passkey's name is at most {max} characters.").format(max=PASSKEY_NAME_MAX_LENGTH),
            field="name",
            code="invalid",
        )
    return name or gettext("Passkey {number}").format(number=passkeys_of(user).count() + 1)


def passkey_added(*, user: User, passkey: WebAuthnCredential, name: str) -> None:
    """After the browser's ceremony stored a new passkey: name it and write it in the audit trail."""
    WebAuthnCredential.objects.filter(pk=passkey.pk).update(name=name)
    _audit(actor=user, user=user, action="auth.passkey_added", changes={"passkey": [None, name]})


@transaction.atomic
def passkey_remove(*, user: User, pk: int) -> str:
    """Remove one of the user's own passkeys (404 for anyone else's). Returns its name."""
    passkey = passkeys_of(user).select_for_update().filter(pk=pk).first()
    if passkey is None:
        raise NotFound(gettext("No such passkey."))
    passkey.delete()
    name: str = passkey.name
    _audit(actor=user, user=user, action="auth.passkey_removed", changes={"passkey": [name, None]})
    return name


def passkey_used(*, user: User, passkey: WebAuthnCredential) -> None:
    _audit(actor=user, user=user, action="auth.passkey_used", changes={"passkey": [None, passkey.name]})


# --- The code step of a login ---------------------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    device: TOTPDevice
    method: str  # "totp" or "recovery_code"
    recovery_codes_left: int | None = None


def two_factor_verify(*, user: User, code: str, ip: str) -> Verified:
    """Check a 6-digit code from the app or an unused recovery code. Limited per address and per
    account (TwoFactorThrottled); a wrong or reused code is TwoFactorInvalid."""
    device = two_factor_device(user)
    if device is None:
        raise TwoFactorInvalid(
            gettext("Two-factor login is not set up for this account."), field="code", code="not_enrolled"
        )
    attempt = login_attempt_begin(ip=ip, username=f"two-factor:{user.pk}")
    if not attempt.allowed:
        raise TwoFactorThrottled(attempt.retry_after)
    normalised = _normalise(code)
    if TOTP_CODE.fullmatch(normalised):
        if verify_token(user, device.persistent_id, normalised) is not None:
            attempt.succeeded()
            return Verified(device=device, method="totp")
        raise TwoFactorInvalid(
            gettext("That code is not right, or was used already: enter the code the app shows now."), field="code"
        )
    # A recovery code: used at most once, even by two logins at the same moment (the UPDATE is
    # conditional on the code being unused; only one of them changes the row).
    with transaction.atomic():
        used = RecoveryCode.objects.filter(user=user, code_hash=_hash(normalised), used_at__isnull=True).update(
            used_at=timezone.now()
        )
    if used:
        attempt.succeeded()
        left = recovery_codes_left(user)
        _audit(actor=user, user=user, action="auth.recovery_code_used", changes={"recovery_codes_left": [None, left]})
        return Verified(device=device, method="recovery_code", recovery_codes_left=left)
    raise TwoFactorInvalid(gettext("That recovery code is not right, or was used already."), field="code")


# --- The API's two-step token exchange ------------------------------------------------------------


def two_factor_challenge(user: User) -> str:
    """A signed, short-lived ticket saying the password step passed for `user` (auth/token/ gives
    it instead of tokens to an enrolled user). It is bound to the password: changing it voids tickets."""
    # A random part: two logins in the same second get two tickets (each is spent once).
    payload = {"user": user.pk, "password": user.password[-16:], "nonce": secrets.token_urlsafe(8)}
    return signing.dumps(payload, salt=CHALLENGE_SALT, compress=True)


def two_factor_challenge_spend(challenge: str) -> bool:
    """Mark a challenge used (after its code was accepted); False if it already was: a ticket buys one
    pair of tokens. In the shared cache (Redis), for the ticket's lifetime."""
    key = "two-factor-challenge-used:" + hashlib.sha256(challenge.encode()).hexdigest()
    try:
        return bool(cache.add(key, 1, timeout=CHALLENGE_MAX_AGE_SECONDS + 60))
    except Exception as error:  # noqa: BLE001 - Redis down or hung: fail open, like the throttles
        # A second pair would still need another valid code (a TOTP code works once).
        logger.warning("Two-factor challenge not marked as spent: the cache is unreachable (%s)", error)
        return True


def two_factor_challenge_user(challenge: str) -> User:
    """The user a ticket was issued to, if it is genuine, recent and still matches their password."""
    invalid = TwoFactorInvalid(
        gettext("This login has expired or is not valid: log in with your password again."),
        field="challenge",
        code="challenge_invalid",
    )
    try:
        data = signing.loads(challenge, salt=CHALLENGE_SALT, max_age=CHALLENGE_MAX_AGE_SECONDS)
    except signing.BadSignature as error:  # SignatureExpired is one too
        raise invalid from error
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        raise invalid
    user = User.objects.filter(pk=data["user"], is_active=True).first()
    if user is None or user.password[-16:] != data.get("password") or not user.has_started:
        raise invalid
    return user
