"""The one login limiter, in front of every password check.

Every way in that checks a password calls `django.contrib.auth.authenticate()`: the login page,
the admin login, the API's `auth/token/` (simplejwt), and any later flow. This backend counts the
attempt per client IP and per account (`core.throttling.login_attempt_begin`) before the
password is evaluated; over either limit the password is not looked at and the request is marked
throttled, which `accounts.middleware.LoginThrottleMiddleware` turns into the same 429 answer
everywhere (JSON under /api/, the page with its message elsewhere). A successful login gives its
slots back, so only failed credentials count.

It also keeps out someone whose start date is still ahead (HR created them, maybe invited them):
every password login refuses them, but only once the password was right is the request marked with
their start date, so that the middleware tells them when they can log in; a wrong password gets the
usual answer and learns nothing. With no login there is no session and no JWT; API keys are refused
in accounts.services.api_key_authenticate; the invitation page sets their password without
signing them in.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.utils.formats import date_format
from django.utils.translation import gettext

from core.client_ip import client_ip
from core.throttling import login_attempt_begin

THROTTLED_ATTRIBUTE = "login_throttled_retry_after"
NOT_STARTED_ATTRIBUTE = "login_not_started_on"


def django_request(request):
    """The Django HttpRequest behind a DRF Request (attributes set on it reach middleware)."""
    return getattr(request, "_request", request)


class RolesInOneQuery:
    """A session's user with their roles (`is_hr`, `is_manager`, `in_billing_group`) in one
    precompiled query, as the JWT's (accounts.authentication.user_for_token): every page reads the
    roles (the navigation, the dashboard's cards), which were two more queries after the user's."""

    def get_user(self, user_id):
        from accounts.authentication import user_for_token  # late: it imports DRF

        try:
            user = user_for_token(int(user_id))
        except (TypeError, ValueError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None


class ThrottledModelBackend(RolesInOneQuery, ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            # Not a request (a management command, a test's authenticate()): nothing to count per IP.
            user = super().authenticate(request, username=username, password=password, **kwargs)
            return user if user is None or user.has_started else None
        if username is None:
            username = kwargs.get(self._username_field())
        if username is None or password is None:
            return None  # not a password login (single sign-on's callback asks every backend too)
        attempt = login_attempt_begin(ip=client_ip(request), username=username)
        if not attempt.allowed:
            setattr(django_request(request), THROTTLED_ATTRIBUTE, attempt.retry_after)
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and user.sso_subject and not settings.SSO_PASSWORD_LOGIN:
            return None  # they log in through the company's provider only (SSO_PASSWORD_LOGIN off)
        if user is not None:
            attempt.succeeded()
            if not user.has_started:  # the password was right (ModelBackend checked it): they may know
                setattr(django_request(request), NOT_STARTED_ATTRIBUTE, user.start_date)
                return None
        return user

    @staticmethod
    def _username_field():

        return get_user_model().USERNAME_FIELD


def login_throttled(request):
    """Seconds to wait when this request's login attempt was refused by the limiter, else None."""
    return getattr(django_request(request), THROTTLED_ATTRIBUTE, None)


def login_not_started(request):
    """The start date of the user whose right password was refused because it is still ahead, else None."""
    return getattr(django_request(request), NOT_STARTED_ATTRIBUTE, None)


def not_started_message(start_date):
    return gettext("Your account starts on {day}: you can log in from that day.").format(
        day=date_format(start_date, "j F Y")
    )
