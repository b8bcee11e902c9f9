"""`/health/`: 200 with the services' status, 503 when the database is unreachable."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


@pytest.mark.django_db
def test_health_is_200_with_each_check(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "ok"
    expected_broker = "ok" if settings.REDIS_URL else "not configured"
    assert body["checks"]["broker"] == expected_broker


@pytest.mark.django_db
def test_health_needs_no_login_and_is_not_cached(client):
    response = client.get("/health/")
    assert "no-cache" in response.headers["Cache-Control"] or "max-age=0" in response.headers["Cache-Control"]


def _health_in_subprocess(extra_env):
    """Run the real app in a fresh process with `extra_env` and GET /health/ through it."""
    env = {**os.environ, **extra_env, "DEBUG": "1"}
    env.pop("PYTEST_VERSION", None)
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/health/');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_health_is_503_when_the_database_is_unreachable():
    # Nothing listens on port 1: the connection is refused, as when PostgreSQL is down.
    result = _health_in_subprocess({"DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere?connect_timeout=2"})
    assert result["status"] == 503
    assert result["body"]["checks"]["database"] == "down"
    assert result["body"]["status"] == "unavailable"


def test_health_reports_redis_down_but_stays_200_when_only_redis_is_unreachable(tmp_path):
    result = _health_in_subprocess(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'health.sqlite3'}", "REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    assert result["status"] == 200
    assert result["body"]["checks"]["cache"] == "down"
    assert result["body"]["checks"]["broker"] == "down"
