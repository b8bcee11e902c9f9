"""Two-factor login pages: the code step after the password, the set-up with its QR code, the
recovery codes shown once, and the settings (new recovery codes, turning it off). Thin: the rules
are in accounts.services.two_factor."""

import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from accounts.forms import TwoFactorCodeForm
from accounts.models import User
from accounts.services import two_factor
from core.client_ip import client_ip
from core.errors import DomainError

PENDING_SESSION_KEY = "two_factor_pending"


def code_step_begin(request, user, next_url):
    """After a right password for an enrolled user: remember who (not logged in yet) and ask for the code."""
    request.session[PENDING_SESSION_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "at": time.time(),
        "next": next_url,
    }
    return redirect("accounts:two_factor_login")


def safe_next(request, url):
    allowed = url and url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure())
    return url if allowed else reverse("dashboard")


def _attach(form, error):
    form.add_error("code" if error.field in (None, "code") else None, error.message)


def pending_login(request):
    """(user, pending) for a session between the password and the code step, else None (expired,
    or the user was deactivated meanwhile: the pending login is forgotten)."""
    pending = request.session.get(PENDING_SESSION_KEY)
    if not pending:
        return None
    user = None
    if time.time() - pending["at"] <= two_factor.CHALLENGE_MAX_AGE_SECONDS:
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(PENDING_SESSION_KEY, None)
        return None
    return user, pending


@login_not_required
@require_http_methods(["GET", "POST"])
def two_factor_login(request):
    found = pending_login(request)
    if found is None:
        messages.error(request, gettext("Your login expired: enter your password again."))
        return redirect("accounts:login")
    user, pending = found
    form = TwoFactorCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            verified = two_factor.two_factor_verify(user=user, code=form.cleaned_data["code"], ip=client_ip(request))
        except two_factor.TwoFactorThrottled as error:
            _attach(form, error)
            response = render(request, "accounts/two_factor_login.html", {"form": form}, status=429)
            response["Retry-After"] = str(error.retry_after)
            return response
        except DomainError as error:
            _attach(form, error)
        else:
            del request.session[PENDING_SESSION_KEY]
            auth_login(request, user, backend=pending["backend"])
            otp_login(request, verified.device)
            if verified.method == "recovery_code":
                messages.warning(
                    request,
                    gettext(
                        "You logged in with a recovery code: {recovery_codes_left} left. Make new ones in "
                        "Two-factor login if you are running out."
                    ).format(recovery_codes_left=verified.recovery_codes_left),
                )
            return redirect(safe_next(request, pending.get("next")))
    if form.errors:
        status = 400
    context = {"form": form, **passkey_context(request, "login", user)}
    return render(request, "accounts/two_factor_login.html", context, status=status)


def passkey_context(request, ceremony, user):
    """What static/js/passkeys.js needs on a page that offers a passkey ceremony ("login" or "register")."""
    if not settings.PASSKEYS_ENABLED:
        return {}
    if ceremony == "login" and not two_factor.passkeys_of(user).exists():
        return {}
    urls = {
        "login": ("accounts:passkey_login_begin", "accounts:passkey_login_complete"),
        "register": ("accounts:passkey_register_begin", "accounts:passkey_register_complete"),
    }[ceremony]
    return {
        "passkey_config": {
            "ceremony": ceremony,
            "begin": reverse(urls[0]),
            "complete": reverse(urls[1]),
            "csrfToken": get_token(request),
        }
    }


def _qr_svg(device):
    # Drawn by the app itself (no third-party service sees the secret); an inline SVG, no script.
    return segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#000", light="#fff", omitsize=False)


@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    user = request.user
    next_url = safe_next(request, request.GET.get("next") or request.POST.get("next"))
    if two_factor.two_factor_device(user) is not None:
        return redirect("accounts:two_factor")
    device = two_factor.totp_pending_device(user) or two_factor.totp_enrol_begin(user=user)
    form = TwoFactorCodeForm(request.POST or None, label=gettext("Code from the app"))
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.totp_enrol_confirm(user=user, code=form.cleaned_data["code"])
        except DomainError as error:
            _attach(form, error)
        else:
            # The enrolment ended every other session of the user; this one goes on, verified.
            update_session_auth_hash(request, user)
            otp_login(request, two_factor.two_factor_device(user))
            request.session[two_factor.ENROLLED_SESSION_KEY] = True
            return render(request, "accounts/two_factor_codes.html", {"codes": codes, "next": next_url, "new": True})
    secret = device.config_url.split("secret=")[1].split("&")[0]
    context = {
        "form": form,
        "qr": _qr_svg(device),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "next": next_url,
        "required": two_factor.two_factor_required(user),
    }
    return render(request, "accounts/two_factor_setup.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def two_factor_settings(request):
    user = request.user
    device = two_factor.two_factor_device(user)
    form = TwoFactorCodeForm(request.POST or None)
    action = request.POST.get("action")
    if request.method == "POST" and device is not None and form.is_valid():
        code, ip = form.cleaned_data["code"], client_ip(request)
        try:
            if action == "recovery_codes":
                codes = two_factor.recovery_codes_regenerate(user=user, code=code, ip=ip)
                return render(request, "accounts/two_factor_codes.html", {"codes": codes, "next": reverse("dashboard")})
            if action == "disable":
                two_factor.two_factor_disable(user=user, code=code, ip=ip)
                messages.success(request, gettext("Two-factor login is off. You log in with your password alone."))
                return redirect("accounts:two_factor")
            form.add_error(None, gettext("Choose what to do."))
        except DomainError as error:
            _attach(form, error)
    context = {
        "device": device,
        "form": form,
        "action": action,
        "codes_left": two_factor.recovery_codes_left(user) if device else 0,
        "required": two_factor.two_factor_required(user),
        "passkeys": list(two_factor.passkeys_of(user)) if device else [],
        "passkey_name_max": two_factor.PASSKEY_NAME_MAX_LENGTH,
        **(passkey_context(request, "register", user) if device else {}),
    }
    return render(request, "accounts/two_factor.html", context, status=400 if form.errors else 200)
