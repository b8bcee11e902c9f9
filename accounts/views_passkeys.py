"""Passkeys (WebAuthn) in the pages: adding one beside the authenticator app, removing one, and using
one at the code step of a login. Thin adapters over django-otp-webauthn's ceremony views (py_webauthn
checks the browser's answers) and accounts.services.two_factor (the rules and the audit trail).

The ceremonies answer JSON to static/js/passkeys.js. Their errors are this product's: a translated
`detail` and a stable `code`, the statuses of core.errors' kinds, never a 500 for a malformed body.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp_webauthn import exceptions as webauthn_errors
from django_otp_webauthn import views as webauthn_views

from accounts.services import two_factor
from accounts.views_two_factor import PENDING_SESSION_KEY, pending_login, safe_next
from core import errors
from core.errors import DomainError

logger = logging.getLogger(__name__)

# The services' refusals here: a name too long (400) and no authenticator app yet (409).
STATUS_BY_KIND = {errors.INVALID: 400, errors.CONFLICT: 409, errors.NOT_FOUND: 404, errors.FORBIDDEN: 403}


def _messages_by_code() -> dict[str, str]:
    # Read at request time: gettext follows the request's language.
    expired = gettext("Your login expired: enter your password again.")
    retry = gettext("The browser's answer could not be checked. Try again, or use a code.")
    return {
        "invalid_state": gettext("This passkey request ran out of time. Try again."),
        "credential_not_found": gettext("This passkey is not registered here: use a code from your app."),
        "credential_user_mismatch": gettext("This passkey belongs to another account."),
        "credential_disabled": gettext("This passkey is switched off: use a code from your app."),
        "user_disabled": expired,
        "not_authenticated": expired,
        "passwordless_login_disabled": expired,
        "user_not_verified": gettext("Log in with your second factor before adding a passkey."),
        "malformed_request": retry,
        "unprocessable_request": retry,
    }


class PasskeyCeremony:
    """Mixin: passkeys must be on, the body must be a JSON object, and every refusal is JSON with a
    translated detail (the package's own messages name its terms and lack French)."""

    def dispatch(self, request, *args, **kwargs):
        if not settings.PASSKEYS_ENABLED:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def _parse_request_data(self, request):
        data = super()._parse_request_data(request)
        if request.method == "POST" and self.needs_body and not isinstance(data, dict):
            raise webauthn_errors.MalformedRequest()
        return data

    needs_body = False

    def handle_exception(self, exc):
        if isinstance(exc, DomainError):
            body = {"detail": exc.message, "code": exc.code, **({"field": exc.field} if exc.field else {})}
            return JsonResponse(body, status=STATUS_BY_KIND[exc.kind])
        if isinstance(exc, webauthn_errors.OTPWebAuthnApiError):
            code = exc.code
            logger.info("A passkey ceremony was refused (%s): %r", code, exc.__cause__ or exc)
            detail = _messages_by_code().get(code) or _messages_by_code()["unprocessable_request"]
            status = exc.status_code if 400 <= exc.status_code < 500 else 400
            return JsonResponse({"detail": detail, "code": code}, status=status)
        if isinstance(exc, (ValueError, TypeError, KeyError, AttributeError)):
            # A body of the right type with the wrong insides: py_webauthn's parsers raise these.
            logger.info("A passkey ceremony got a malformed answer: %r", exc)
            return JsonResponse(
                {"detail": _messages_by_code()["malformed_request"], "code": "malformed_request"}, status=400
            )
        return super().handle_exception(exc)


# --- Adding a passkey (a logged-in, verified session) --------------------------------------------


class PasskeyRegistrationBegin(PasskeyCeremony, webauthn_views.BeginCredentialRegistrationView):
    def check_can_register(self):
        two_factor.passkey_registration_check(self.request.user)


class PasskeyRegistrationComplete(PasskeyCeremony, webauthn_views.CompleteCredentialRegistrationView):
    needs_body = True

    def check_can_register(self):
        two_factor.passkey_registration_check(self.request.user)
        # The name is checked before the ceremony is spent (it travels in the query string).
        self.passkey_name = two_factor.passkey_name(self.request.GET.get("name"), self.request.user)

    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        passkey = two_factor.passkeys_of(self.request.user).get(pk=json.loads(response.content)["id"])
        two_factor.passkey_added(user=self.request.user, passkey=passkey, name=self.passkey_name)
        messages.success(self.request, gettext("Passkey “{name}” added.").format(name=self.passkey_name))
        return response


@require_POST
def passkey_remove(request, pk):
    try:
        name = two_factor.passkey_remove(user=request.user, pk=pk)
    except DomainError as error:
        raise Http404(error.message) from error
    messages.success(request, gettext("Passkey “{name}” removed.").format(name=name))
    return redirect("accounts:two_factor")


# --- Using a passkey at the code step (after the password, before the session is logged in) ------


@method_decorator(login_not_required, name="dispatch")
class PasskeyLoginBegin(PasskeyCeremony, webauthn_views.BeginCredentialAuthenticationView):
    def get_user(self):
        pending = pending_login(self.request)
        return pending[0] if pending else None

    def check_can_authenticate(self):
        if self.get_user() is None:
            raise webauthn_errors.NotAuthenticated()


@method_decorator(login_not_required, name="dispatch")
class PasskeyLoginComplete(PasskeyCeremony, webauthn_views.CompleteCredentialAuthenticationView):
    needs_body = True

    def get_user(self):
        pending = pending_login(self.request)
        self.pending = pending[1] if pending else None
        return pending[0] if pending else None

    def check_can_authenticate(self):
        if self.get_user() is None:
            raise webauthn_errors.NotAuthenticated()

    def complete_auth(self, device):
        user = device.user  # the package checked it is the pending user's passkey
        self.success_url = safe_next(self.request, self.pending.get("next"))
        del self.request.session[PENDING_SESSION_KEY]
        auth_login(self.request, user, backend=self.pending["backend"])
        otp_login(self.request, device)
        two_factor.passkey_used(user=user, passkey=device)

    def get_success_url(self):
        return self.success_url
