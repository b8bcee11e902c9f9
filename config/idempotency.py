"""`Idempotency-Key` for every POST under /api/ (the header is optional).

A retry with the same key and the same body replays the first response byte for byte
and runs nothing; the same key with another body is 422; a retry while the first request
is still running is 409. Keys are per user and kept for IDEMPOTENCY_KEY_TTL_HOURS (24 h);
a purge task removes older ones. A 5xx response is not stored, so the client may retry.
"""

import hashlib
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

HEADER = "Idempotency-Key"
VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, no spaces


def _error(status, detail, code):
    return JsonResponse({"detail": detail, "code": code}, status=status)


def _api_user(request):
    """Who is calling: the session user, or whoever a JWT / API key names. None if nobody."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    from rest_framework.request import Request
    from rest_framework.settings import api_settings

    drf_request = Request(request)
    for authenticator_class in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        if authenticator_class.__name__ == "SessionAuthentication":
            continue
        try:
            result = authenticator_class().authenticate(drf_request)
        except Exception:  # noqa: BLE001 - the view itself will answer 401/403
            return None
        if result is not None:
            return result[0]
    return None


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not VALID_KEY.match(key):
            return _error(400, f"{HEADER} must be 1 to 255 visible ASCII characters.", "invalid_idempotency_key")
        user = _api_user(request)
        if user is None:
            return self.get_response(request)
        return self._handle(request, user, key)

    def _handle(self, request, user, key):
        from accounts.models import IdempotencyRecord

        fingerprint = hashlib.sha256(
            b"\n".join([request.method.encode(), request.get_full_path().encode(), request.body])
        ).hexdigest()
        expired_before = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
        IdempotencyRecord.objects.filter(user=user, key=key, created_at__lt=expired_before).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(user=user, key=key, fingerprint=fingerprint)
        except IntegrityError:
            # Someone (this client's earlier try) holds the key: decide from its state.
            existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if existing is None:
                return _error(
                    409, "A request with this Idempotency-Key is in progress; retry.", "idempotency_in_progress"
                )
            if existing.fingerprint != fingerprint:
                return _error(
                    422,
                    "This Idempotency-Key was used with a different request body.",
                    "idempotency_key_reused",
                )
            if existing.state == IdempotencyRecord.State.IN_PROGRESS:
                return _error(
                    409, "A request with this Idempotency-Key is in progress; retry.", "idempotency_in_progress"
                )
            return self._replay(existing)

        try:
            response = self.get_response(request)
        except Exception:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return response
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            state=IdempotencyRecord.State.DONE,
            status_code=response.status_code,
            content_type=response.get("Content-Type", "")[:100],
            location=response.get("Location", "")[:500],
            body=bytes(response.content),
        )
        return response

    @staticmethod
    def _replay(record):
        response = HttpResponse(bytes(record.body or b""), status=record.status_code, content_type=record.content_type)
        if record.location:
            response["Location"] = record.location
        response["Idempotent-Replayed"] = "true"
        return response
