from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.forms.utils import ErrorDict
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext, gettext_lazy

from accounts.backends import login_not_started, login_throttled, not_started_message
from accounts.languages import activate_user_language

SSO_SESSION_KEY = "sso_login"  # set by accounts.sso at a single sign-on login


class UserLanguageMiddleware:
    """A signed-in user's own language (accounts.languages) over the one LocaleMiddleware chose from
    Accept-Language. Place it after AuthenticationMiddleware: it reads the session's user, whom the
    middleware after it loads anyway (no extra query)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            activate_user_language(request, user)
        return self.get_response(request)


class PageLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Every page needs a session login, except login itself and health.

    The API authenticates on its own (JWT, API key, session) and answers 401 in JSON
    rather than redirecting to a login page, so it is left to DRF.
    """

    exempt_prefixes = ("/api/", "/health/", "/oidc/", "/favicon.ico", "/" + settings.STATIC_URL.lstrip("/"))

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(self.exempt_prefixes):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class LoginThrottleMiddleware:
    """Turns a login attempt refused by the limiter (accounts.backends) into one answer on every
    way in: 429 with `Retry-After`, JSON under /api/, and on the login and admin login pages the
    form with the limiter's message instead of "wrong password" (the password was not checked).

    Likewise for a right password refused because the account's start date is ahead: the same
    answer on every way in (401 in JSON under /api/, with simplejwt's code for an account that cannot
    log in, `no_active_account`, which the schema lists; the form's error on the login pages) saying
    from which day they can log in."""

    MESSAGE = gettext_lazy("Too many login attempts. Try again in {seconds} seconds.")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):

        response = self.get_response(request)
        start_date = login_not_started(request)
        if start_date is not None and request.path.startswith("/api/"):
            answer = JsonResponse({"detail": not_started_message(start_date), "code": "no_active_account"}, status=401)
            if response.has_header("WWW-Authenticate"):
                answer["WWW-Authenticate"] = response["WWW-Authenticate"]
            return answer
        retry_after = login_throttled(request)
        if retry_after is None:
            return response
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"detail": self.MESSAGE.format(seconds=retry_after), "code": "throttled"}, status=429
            )
        else:
            response.status_code = 429
        response["Retry-After"] = str(retry_after)
        return response

    def process_template_response(self, request, response):

        retry_after = login_throttled(request)
        context = response.context_data
        start_date = login_not_started(request)
        if start_date is not None and context is not None:
            form = context.get("form")
            if form is not None and form.is_bound:
                form._errors = ErrorDict()
                form.add_error(None, not_started_message(start_date))
        if retry_after is not None and context is not None:
            context["throttled"] = True
            form = context.get("form")
            if form is not None and form.is_bound:
                form._errors = ErrorDict()
                form.add_error(None, self.MESSAGE.format(seconds=retry_after))
        return response


class TwoFactorEnrolmentMiddleware:
    """Sessions and the second factor.

    * A session signed in with the password alone by someone who has a second factor (the admin's
      own login page, or a session from before HR reset it) is ended on its next request: they log
      in again through the login page, which asks for the code. So the admin login goes through it too.
    * With TWO_FACTOR_ENFORCE, a staff, HR or superuser session without a second factor can do one
      thing: set it up. Pages redirect to the set-up (then back), the session API answers 403
      `two_factor_required`.

    Whether the user has a second factor is read once, at login (`ENROLLED_SESSION_KEY`), not on
    every request. JWT and API-key requests authenticate in DRF, after this: the token exchange
    itself asks for the code (accounts.api)."""

    allowed_names = {"two_factor_setup", "logout", "two_factor_login"}
    exempt_prefixes = ("/health/", "/favicon.ico", "/" + settings.STATIC_URL.lstrip("/"))

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return self.get_response(request)
        if request.path.startswith(self.exempt_prefixes) or request.session.get(SSO_SESSION_KEY):
            # A single sign-on session: the company's provider owns the login and its second factor.
            return self.get_response(request)
        from accounts.services.two_factor import ENROLLED_SESSION_KEY, two_factor_required

        api = request.path.startswith("/api/")
        if request.session.get(ENROLLED_SESSION_KEY):
            logout(request)
            if api:
                body = {"detail": gettext("Log in again, with your code."), "code": "not_authenticated"}
                return JsonResponse(body, status=401)
            return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")
        if not two_factor_required(user):
            return self.get_response(request)
        if api:
            return JsonResponse(
                {"detail": gettext("Set up two-factor login in the browser first."), "code": "two_factor_required"},
                status=403,
            )
        match = _resolve(request.path_info)
        if match is not None and match.namespace == "accounts" and match.url_name in self.allowed_names:
            return self.get_response(request)
        return redirect(f"{reverse('accounts:two_factor_setup')}?{urlencode({'next': request.get_full_path()})}")


def _resolve(path):
    try:
        return resolve(path)
    except Resolver404:
        return None
