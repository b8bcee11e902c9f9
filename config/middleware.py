"""Site-wide request hygiene."""

from urllib.parse import unquote

from django.http import JsonResponse

# Every string input has a maximum length: query parameters included (documented in the schema
# by config.schema.add_error_responses).
MAX_QUERY_VALUE_LENGTH = 200


class RejectNulBytesMiddleware:
    """A NUL byte in the path or query string is a 400, not a 500: PostgreSQL refuses NUL in
    text, so such a value would otherwise fail deep in a filter. (Bodies are checked by DRF's
    CharField, which prohibits NUL characters.) So is a query parameter longer than
    MAX_QUERY_VALUE_LENGTH characters."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("QUERY_STRING", "") + request.path
        if "\x00" in raw or "\x00" in unquote(raw):
            return JsonResponse({"detail": "NUL characters are not allowed in the URL.", "code": "invalid"}, status=400)
        for name, values in request.GET.lists():
            if any(len(value) > MAX_QUERY_VALUE_LENGTH for value in values):
                return JsonResponse(
                    {name: [f"Ensure this value has at most {MAX_QUERY_VALUE_LENGTH} characters."], "code": "invalid"},
                    status=400,
                )
        return self.get_response(request)
