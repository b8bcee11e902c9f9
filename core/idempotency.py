"""`Idempotency-Key` for every POST under /api/ (the header is optional).

A retry with the same key and the same body replays the first response byte for byte
and runs nothing; the same key with another body is 422; a retry while the first request
is still running is 409. Keys are per user and kept for IDEMPOTENCY_KEY_TTL_HOURS (24 h);
a purge task removes older ones. A 5xx response is not stored, so the client may retry.

A record is never left `in_progress` by a request that ended: whatever ends it (an exception,
gunicorn's worker timeout raising SystemExit, a streaming or 5xx answer) releases it. A worker
killed outright (SIGKILL) runs nothing more, so a record still `in_progress` after
REQUEST_TIMEOUT_SECONDS is abandoned: the next request with its key takes it over with one
conditional UPDATE on `created_at`, so of two retries at once exactly one runs. `created_at` is
the owner's fence: a request only completes or releases the record it still owns.
What this does not give: a request killed after its own writes committed but before its record
was completed is run again by the retry (the view's writes and the record are not one
transaction); rules the database enforces (e.g. no overlapping time entries) still refuse a
duplicate there.

A multipart body is fingerprinted from its parsed parts (fields in order, then each file's
name, content type and content, read in chunks from where Django's upload handlers put it:
memory for small files, a temporary file for large ones), never by reading `request.body`,
which would hold the whole upload in memory a second time and is refused above
DATA_UPLOAD_MAX_MEMORY_SIZE. DRF then reuses the parsed parts (its RawPostDataException branch).

The records are the model settings.IDEMPOTENCY_RECORD_MODEL names ("accounts.IdempotencyRecord":
it belongs to a user), looked up by label as Django looks up AUTH_USER_MODEL, so core imports no app.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.settings import api_settings

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.db import models
    from django.http import HttpRequest
    from django.http.response import HttpResponseBase

HEADER = "Idempotency-Key"
VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, no spaces

logger = logging.getLogger(__name__)


class IdempotencyRecordRow(Protocol):
    """What this module reads of a settings.IDEMPOTENCY_RECORD_MODEL row."""

    pk: Any
    fingerprint: str
    state: str
    status_code: int | None
    content_type: str
    location: str
    body: bytes | memoryview | None
    created_at: datetime


def _error(status: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code}, status=status)


def _in_progress() -> JsonResponse:
    return _error(409, "A request with this Idempotency-Key is in progress; retry.", "idempotency_in_progress")


def _api_user(request: HttpRequest) -> AbstractBaseUser | None:
    """Who is calling: the session user, or whoever a JWT / API key names. None if nobody."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return cast("AbstractBaseUser", user)

    drf_request = Request(request)
    # api_settings imports the dotted paths of the setting; the stubs type the setting's strings.
    authenticator_classes = cast(Sequence[type[BaseAuthentication]], api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    for authenticator_class in authenticator_classes:
        if authenticator_class.__name__ == "SessionAuthentication":
            continue
        try:
            result = authenticator_class().authenticate(drf_request)
        except Exception:  # noqa: BLE001 - the view itself will answer 401/403
            return None
        if result is not None:
            return cast("AbstractBaseUser", result[0])
    return None


def request_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of what makes two requests the same: method, path with query, and the body
    (a multipart body as its parsed parts, so another boundary is the same request)."""
    head = [request.method.encode(), request.get_full_path().encode()]  # type: ignore[union-attr]  # a served request has a method
    if request.content_type != "multipart/form-data":
        return hashlib.sha256(b"\n".join([*head, request.body])).hexdigest()
    digest = hashlib.sha256(b"\n".join([*head, b"multipart"]))

    def part(value: str | bytes) -> None:
        data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
        digest.update(len(data).to_bytes(8, "big") + data)  # length-prefixed: no two splits hash alike

    for name, values in request.POST.lists():
        for value in values:
            part("field")
            part(name)
            part(value)
    for name, uploads in request.FILES.lists():
        for upload in uploads:
            part("file")
            part(name)
            part(upload.name or "")
            part(upload.content_type or "")
            digest.update(upload.size.to_bytes(8, "big"))  # type: ignore[union-attr]  # an upload handler's file has a size
            for chunk in upload.chunks():  # from the start; memory or the temporary file
                digest.update(chunk)
            upload.seek(0)  # the view reads it from the start
    return digest.hexdigest()


def record_model() -> type[Any]:
    return apps.get_model(settings.IDEMPOTENCY_RECORD_MODEL)


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not VALID_KEY.match(key):
            return _error(400, f"{HEADER} must be 1 to 255 visible ASCII characters.", "invalid_idempotency_key")
        user = _api_user(request)
        if user is None:
            return self.get_response(request)
        return self._handle(request, user, key)

    def _handle(self, request: HttpRequest, user: AbstractBaseUser, key: str) -> HttpResponseBase:
        IdempotencyRecord = record_model()

        try:
            fingerprint = request_fingerprint(request)
        except MultiPartParserError as error:
            # What DRF's MultiPartParser answers without a key, as JSON.
            return _error(400, f"Multipart form parse error - {error}", "parse_error")
        now = timezone.now()
        expired_before = now - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
        IdempotencyRecord.objects.filter(user=user, key=key, created_at__lt=expired_before).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(user=user, key=key, fingerprint=fingerprint, created_at=now)
        except IntegrityError:
            # Someone (this client's earlier try) holds the key: decide from its state.
            existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if existing is None:
                return _in_progress()
            if existing.fingerprint != fingerprint:
                return _error(
                    422,
                    "This Idempotency-Key was used with a different request body.",
                    "idempotency_key_reused",
                )
            if existing.state == IdempotencyRecord.State.DONE:
                return self._replay(existing)
            abandoned_before = now - timedelta(seconds=settings.REQUEST_TIMEOUT_SECONDS)
            if existing.created_at >= abandoned_before:
                return _in_progress()
            # Older than any request may run: its worker was killed. Take it over with one
            # conditional UPDATE: of two retries at once, the second finds created_at changed
            # (PostgreSQL re-checks the WHERE after the first's row lock) and answers 409.
            taken = IdempotencyRecord.objects.filter(
                pk=existing.pk,
                state=IdempotencyRecord.State.IN_PROGRESS,
                created_at=existing.created_at,
            ).update(created_at=now)
            if not taken:
                return _in_progress()
            record = existing
            record.created_at = now
        return self._run(request, record)

    def _run(self, request: HttpRequest, record: IdempotencyRecordRow) -> HttpResponseBase:
        IdempotencyRecord = record_model()

        # Only the record this request still owns (same created_at) is completed or released.
        owned = IdempotencyRecord.objects.filter(
            pk=record.pk, state=IdempotencyRecord.State.IN_PROGRESS, created_at=record.created_at
        )
        try:
            response = self.get_response(request)
            if response.status_code >= 500 or getattr(response, "streaming", False):
                _release(owned)
                return response
            owned.update(
                state=IdempotencyRecord.State.DONE,
                status_code=response.status_code,
                content_type=response.get("Content-Type", "")[:100],
                location=response.get("Location", "")[:500],
                body=bytes(cast(HttpResponse, response).content),  # not streaming (above): an HttpResponse
            )
            return response
        except BaseException:
            # Any exit, SystemExit from gunicorn's worker timeout and KeyboardInterrupt too.
            _release(owned)
            raise

    @staticmethod
    def _replay(record: IdempotencyRecordRow) -> HttpResponse:
        response = HttpResponse(bytes(record.body or b""), status=record.status_code, content_type=record.content_type)
        if record.location:
            response["Location"] = record.location
        response["Idempotent-Replayed"] = "true"
        return response


def _release(owned: models.QuerySet[Any]) -> None:
    """Delete the record this request owns, so the client may retry at once. The exit that
    brought us here may have cut a query short and left the connection unusable: then
    reconnect once. If even that fails, the record is abandoned and taken over after
    REQUEST_TIMEOUT_SECONDS."""
    for attempt in range(2):
        try:
            owned.delete()
            return
        except Exception as error:  # noqa: BLE001 - cleanup must not hide why the request ended
            if attempt or connection.in_atomic_block:
                logger.warning("Could not release an idempotency record: %s", error)
                return
            connection.close()
