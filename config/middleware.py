"""Site-wide request hygiene."""

from urllib.parse import unquote

from django.http import JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# Every string input has a maximum length: query parameters included (documented in the schema
# by config.schema.add_error_responses).
MAX_QUERY_VALUE_LENGTH = 200


class RejectNulBytesMiddleware:
    """A NUL byte in the path, the query string or a form's fields (a page's POST, urlencoded or
    multipart) is a 400, not a 500: PostgreSQL refuses NUL in text, so such a value would otherwise
    fail deep in a filter or a write (a page view may read `request.POST` without a form). JSON
    bodies are left to the API's fields (core.parsers says why). So is a query parameter longer
    than MAX_QUERY_VALUE_LENGTH characters. Lone surrogates cannot arrive this way: Django decodes
    the URL and form bodies with errors="replace"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("QUERY_STRING", "") + request.path
        if "\x00" in raw or "\x00" in unquote(raw):
            return JsonResponse({"detail": "NUL characters are not allowed in the URL.", "code": "invalid"}, status=400)
        if request.method == "POST" and _form_has_nul(request):
            return JsonResponse({"detail": "NUL characters are not allowed in a form.", "code": "invalid"}, status=400)
        for name, values in request.GET.lists():
            if any(len(value) > MAX_QUERY_VALUE_LENGTH for value in values):
                return JsonResponse(
                    {name: [f"Ensure this value has at most {MAX_QUERY_VALUE_LENGTH} characters."], "code": "invalid"},
                    status=400,
                )
        return self.get_response(request)


def _form_has_nul(request):
    if not request.content_type.startswith(FORM_CONTENT_TYPES):
        return False
    try:
        fields = request.POST
    except (MultiPartParserError, UnreadablePostError):
        return False  # Django (a page) or DRF (the API, a parse error) answers it with a 400
    return any("\x00" in name or any("\x00" in value for value in values) for name, values in fields.lists())
