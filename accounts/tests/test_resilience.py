"""Races, brute force and outages on the auth paths, with real threads and connections."""

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from accounts.tests.factories import PASSWORD

TOKEN_URL = reverse("api:token_obtain_pair")
REFRESH_URL = reverse("api:token_refresh")
ME_URL = reverse("api:user-me")


def run_concurrently(count, function):
    """Start `count` calls of `function` at the same instant; close each thread's connection."""
    barrier = threading.Barrier(count)

    def worker(index):
        try:
            barrier.wait(timeout=30)
            return function(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_refreshes_of_one_token_give_exactly_one_new_pair(employee, settings):
    # Lift the per-IP token-endpoint limit (10/min): this test is about the race, not the limit.
    rest_framework = {**settings.REST_FRAMEWORK}
    rest_framework["DEFAULT_THROTTLE_RATES"] = {**rest_framework["DEFAULT_THROTTLE_RATES"], "auth": "100/minute"}
    settings.REST_FRAMEWORK = rest_framework
    refresh = APIClient().post(TOKEN_URL, {"username": "employee", "password": PASSWORD}).json()["refresh"]
    statuses = run_concurrently(20, lambda _: APIClient().post(REFRESH_URL, {"refresh": refresh}).status_code)
    assert sorted(statuses) == [200] + [401] * 19


@pytest.mark.django_db(transaction=True)
@time_machine.travel("2026-11-22 10:00:05", tick=False)  # one fixed window, however slow the machine
def test_fifty_concurrent_bad_logins_evaluate_at_most_the_limit(employee):
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"].split("/")[0])

    def attempt(index):
        response = APIClient().post(TOKEN_URL, {"username": "employee", "password": f"guess-{index}"})
        return response.status_code, response.headers.get("Retry-After")

    results = run_concurrently(50, attempt)
    assert {status for status, _ in results} <= {401, 429}, results
    evaluated = [status for status, _ in results if status == 401]
    throttled = [retry for status, retry in results if status == 429]
    assert len(evaluated) <= limit
    assert len(evaluated) + len(throttled) == 50
    assert all(retry and int(retry) >= 1 for retry in throttled)
    # Each evaluated guess left exactly one failed-login event; throttled ones none.
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == len(evaluated)


@pytest.mark.django_db
@time_machine.travel("2026-11-22 10:00:05", tick=False)
def test_login_page_is_throttled_too(client, employee):
    limit = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"].split("/")[0])
    for _ in range(limit):
        assert client.post(reverse("accounts:login"), {"username": "employee", "password": "x"}).status_code == 200
    response = client.post(reverse("accounts:login"), {"username": "employee", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_redis_down_gives_no_500_throttles_fail_open(settings, client_for, api_client, employee):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    assert client_for(employee).get(ME_URL).status_code == 200
    assert api_client.post(TOKEN_URL, {"username": "employee", "password": PASSWORD}).status_code == 200
    assert api_client.get(ME_URL).status_code == 401  # anonymous: throttled by nothing, refused by auth


def _request_in_subprocess(path, headers, database_url):
    """GET `path` through the real app in a fresh process whose database is unreachable."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update({"DATABASE_URL": database_url, "SECRET_KEY": settings.SECRET_KEY, "DEBUG": "0", "SECURE_HTTPS": "0"})
    env.pop("REDIS_URL", None)
    script = (
        "import django, json, sys, time; django.setup();"
        "from django.test import Client;"
        f"headers = {headers!r};"
        "started = time.monotonic();"
        f"r = Client(raise_request_exception=False).get({path!r}, headers=headers);"
        "print(json.dumps({'status': r.status_code, 'retry_after': r.headers.get('Retry-After'),"
        " 'content_type': r.headers.get('Content-Type'), 'seconds': time.monotonic() - started}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


UNREACHABLE_DB = "postgres://postgres@127.0.0.1:1/timetrack?connect_timeout=2"


@pytest.mark.django_db
def test_database_down_api_request_is_503_json_with_retry_after(employee):
    from rest_framework_simplejwt.tokens import AccessToken

    token = str(AccessToken.for_user(employee))
    result = _request_in_subprocess(ME_URL, {"Authorization": f"Bearer {token}"}, UNREACHABLE_DB)
    assert result["status"] == 503
    assert result["retry_after"] == "5"
    assert result["content_type"] == "application/json"
    assert result["seconds"] < 2 + 1  # connect_timeout + 1 s


def test_database_down_page_with_a_session_is_503():
    result = _request_in_subprocess("/", {"Cookie": "sessionid=" + "a1b2c3d4" * 4}, UNREACHABLE_DB)
    assert result["status"] == 503, result
    assert result["retry_after"] == "5"


@pytest.mark.django_db(transaction=True)
def test_first_request_after_an_outage_succeeds(client_for, employee):
    # The persistent connection died with the server: Django reconnects on the next request.
    connection.close()
    started = time.monotonic()
    assert client_for(employee).get(ME_URL).status_code == 200
    assert time.monotonic() - started < 5
