"""The benchmark server's URLs: the project's, and three reference views in front of them.

Only bench/settings.py names this module (ROOT_URLCONF), and only `make bench` serves with that
settings module: config.urls never routes to these views, so no production server has them.

(p) a plain Django view behind the project's middleware: the stack's own limit;
(q) a DRF no-op without authentication, permissions or throttles: what DRF adds;
(r) a DRF no-op with the project's default authentication, permission and throttles: the fixed
    cost of every authenticated API request, before the endpoint does anything.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401 - the project's pages
from config.urls import urlpatterns as project_urlpatterns


# login_not_required: past accounts.middleware.PageLoginRequiredMiddleware (it exempts /api/ only);
# the DRF views authenticate on their own, as the API does.
@login_not_required
def plain_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"ok":true}', content_type="application/json")


class OpenNoOpView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    schema = None

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class AuthenticatedNoOpView(APIView):
    """The project's DEFAULT_AUTHENTICATION_CLASSES, IsAuthenticated and DEFAULT_THROTTLE_CLASSES."""

    schema = None

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("bench/plain/", plain_view, name="bench-plain"),
    path("bench/drf-open/", login_not_required(OpenNoOpView.as_view()), name="bench-drf-open"),
    path(
        "bench/drf-authenticated/",
        login_not_required(AuthenticatedNoOpView.as_view()),
        name="bench-drf-authenticated",
    ),
    *project_urlpatterns,
]
