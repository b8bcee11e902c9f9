"""The one login limiter, in front of every password check.

Every way in that checks a password calls `django.contrib.auth.authenticate()`: the login page,
the admin login, the API's `auth/token/` (simplejwt), and any later flow. This backend counts the
attempt per client IP and per account (`core.throttling.login_attempt_begin`) before the
password is evaluated; over either limit the password is not looked at and the request is marked
throttled, which `accounts.middleware.LoginThrottleMiddleware` turns into the same 429 answer
everywhere (JSON under /api/, the page with its message elsewhere). A successful login gives its
slots back, so only failed credentials count.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from core.client_ip import client_ip
from core.throttling import login_attempt_begin

THROTTLED_ATTRIBUTE = "login_throttled_retry_after"


def django_request(request):
    """The Django HttpRequest behind a DRF Request (attributes set on it reach middleware)."""
    return getattr(request, "_request", request)


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            # Not a request (a management command, a test's authenticate()): nothing to count per IP.
            return super().authenticate(request, username=username, password=password, **kwargs)
        if username is None:
            username = kwargs.get(self._username_field())
        attempt = login_attempt_begin(ip=client_ip(request), username=username)
        if not attempt.allowed:
            setattr(django_request(request), THROTTLED_ATTRIBUTE, attempt.retry_after)
            return None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            attempt.succeeded()
        return user

    @staticmethod
    def _username_field():

        return get_user_model().USERNAME_FIELD


def login_throttled(request):
    """Seconds to wait when this request's login attempt was refused by the limiter, else None."""
    return getattr(django_request(request), THROTTLED_ATTRIBUTE, None)
