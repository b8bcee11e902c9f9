from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.forms.utils import ErrorDict
from django.http import JsonResponse

from accounts.backends import login_not_started, login_throttled, not_started_message


class PageLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Every page needs a session login, except login itself and health.

    The API authenticates on its own (JWT, API key, session) and answers 401 in JSON
    rather than redirecting to a login page, so it is left to DRF.
    """

    exempt_prefixes = ("/api/", "/health/", "/favicon.ico", "/" + settings.STATIC_URL.lstrip("/"))

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

    MESSAGE = "Too many login attempts. Try again in {seconds} seconds."

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
