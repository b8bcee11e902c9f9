"""The current request's IP address and id, for the audit trail written deep in services."""

import contextvars
import re
import uuid

from core.client_ip import client_ip

_ip = contextvars.ContextVar("audit_ip", default=None)
_request_id = contextvars.ContextVar("audit_request_id", default="")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def current_ip():
    return _ip.get()


def current_request_id():
    return _request_id.get()


class RequestContextMiddleware:
    """Give every request an id (the client's `X-Request-ID` if sane) and remember its IP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        ip_token = _ip.set(client_ip(request) or None)
        id_token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _ip.reset(ip_token)
            _request_id.reset(id_token)
        response["X-Request-ID"] = request_id
        return response
