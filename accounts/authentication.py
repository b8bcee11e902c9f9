"""`Authorization: Api-Key <key>` for scripts and integrations."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS

KEYWORD = "Api-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, key = header.partition(" ")
        if scheme != KEYWORD:
            return None
        from accounts import services  # late: DRF loads this class while rest_framework.views imports

        api_key = services.api_key_authenticate(key=key.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        if api_key.read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied("This API key is read-only.")
        return api_key.user, api_key

    def authenticate_header(self, request):
        return KEYWORD


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: create a key at POST /api/v1/api-keys/ (shown once).",
        }
