"""Site-wide request hygiene."""

from urllib.parse import unquote

from django.http import JsonResponse


class RejectNulBytesMiddleware:
    """A NUL byte in the path or query string is a 400, not a 500: PostgreSQL refuses NUL in
    text, so such a value would otherwise fail deep in a filter. (Bodies are checked by DRF's
    CharField, which prohibits NUL characters.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("QUERY_STRING", "") + request.path
        if "\x00" in raw or "\x00" in unquote(raw):
            return JsonResponse({"detail": "NUL characters are not allowed in the URL.", "code": "invalid"}, status=400)
        return self.get_response(request)
