"""`/health/`: is the app able to serve? 200 when the database answers, 503 otherwise.

The cache and broker checks answer within about two REDIS_SOCKET_TIMEOUTs however Redis fails
(hung included), and at once while its circuit breaker is open (core.breaker): "down" then
means Redis failed in this process within the last REDIS_BREAKER_SECONDS.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.celery import app
from core.tasks import broker_breaker

OK, DOWN, NOT_CONFIGURED = "ok", "down", "not configured"


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure means "down"
        return DOWN
    return OK


def check_cache():
    try:
        cache.set("health:probe", "1", timeout=5)
        return OK if cache.get("health:probe") == "1" else DOWN
    except Exception:  # noqa: BLE001
        return DOWN


def check_broker():
    if not settings.REDIS_URL:
        return NOT_CONFIGURED

    try:
        with broker_breaker(), app.connection_for_write() as conn:
            # One attempt, bounded by the transport's socket timeouts: no retry, no backoff sleep.
            conn.ensure_connection(max_retries=0)
    except Exception:  # noqa: BLE001
        return DOWN
    return OK


@require_GET
@never_cache
@login_not_required
def health(request):
    checks = {"database": check_database(), "cache": check_cache(), "broker": check_broker()}
    healthy = checks["database"] == OK
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


class HealthCheckMiddleware:
    """Answers /health/ before any middleware reads the Host header: docker-compose's check asks
    http://127.0.0.1:8000/health/ from inside the container, which ALLOWED_HOSTS (the real host
    name) would refuse with a 400. Only this path is answered here; every other request, and what
    request.get_host() means for it, is unchanged. It sits right after SecurityMiddleware, whose
    HTTPS redirect exempts /health/ (SECURE_REDIRECT_EXEMPT)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/health/":
            return health(request)
        return self.get_response(request)
