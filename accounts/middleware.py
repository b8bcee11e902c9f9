from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware


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
