"""Middleware of the shared kernel (it names no app: it reads only attributes of request.user)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.durations import duration_format_from


class DurationFormatMiddleware:
    """For the time of a request, durations are shown in the viewer's `duration_format`
    (core.durations.duration_text reads it; the `hm` filter calls that), so no template passes
    the user. The user is read when a duration is first shown, not here: a page or an API call
    that shows none costs no extra query, and an API call sees the user DRF authenticated (DRF
    sets it on this request). Place it after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with duration_format_from(lambda: getattr(getattr(request, "user", None), "duration_format", None)):
            return self.get_response(request)
