"""docker-compose.yml's health checks, run as the compose file runs them (config/healthcheck.py):
exit 0 when the service is healthy, non-zero when it is not."""

import os
import shlex
import subprocess
import sys
import time

import pytest
import yaml
from django.conf import settings

from config.tests.servers import AppServer, CeleryWorker, app_env, free_port, test_database_url, wait_for

COMPOSE = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
SCHEDULE_IN_COMPOSE = "/tmp/celerybeat-schedule"  # noqa: S108 - the path docker-compose.yml names


def compose_check(service, *extra, schedule=None):
    """The service's healthcheck command from docker-compose.yml, run with this interpreter."""
    test = COMPOSE["services"][service]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "python"], test
    command = [sys.executable, *test[2:], *extra]
    if schedule:
        command = [str(schedule) if part == SCHEDULE_IN_COMPOSE else part for part in command]
    return subprocess.run(command, cwd=settings.BASE_DIR, env=app_env(), capture_output=True, text=True, timeout=60)


@pytest.fixture
def web_server(tmp_path, db):
    """gunicorn as in production: ALLOWED_HOSTS is the real host name only."""
    env = app_env(ALLOWED_HOSTS="timetrack.example.com", DATABASE_URL=test_database_url())
    server = AppServer(env, tmp_path / "gunicorn.log", workers=1)
    yield server
    server.stop()


def test_web_is_healthy_whatever_allowed_hosts_says(web_server):
    result = compose_check("web", "--port", str(web_server.port))
    assert result.returncode == 0, result.stderr + web_server.log()


def test_only_health_skips_the_host_check(web_server):
    # Every other path still refuses a host that ALLOWED_HOSTS does not name.
    assert web_server.request("GET", "/api/v1/users/me/").status == 400
    assert web_server.request("GET", "/health/").status == 200


def test_web_down_is_unhealthy():
    result = compose_check("web", "--port", str(free_port()))
    assert result.returncode != 0
    assert "did not answer" in result.stderr


def test_beat_without_heartbeat_is_unhealthy(tmp_path):
    result = compose_check("beat", schedule=tmp_path / "celerybeat-schedule")
    assert result.returncode != 0
    assert "no heartbeat" in result.stderr


def test_beat_with_a_stale_heartbeat_is_unhealthy(tmp_path):
    from config.healthcheck import HEARTBEAT_MAX_AGE

    heartbeat = tmp_path / "celerybeat-schedule.heartbeat"
    heartbeat.touch()
    long_ago = time.time() - HEARTBEAT_MAX_AGE - 60
    os.utime(heartbeat, (long_ago, long_ago))
    result = compose_check("beat", schedule=tmp_path / "celerybeat-schedule")
    assert result.returncode != 0
    assert "last tick" in result.stderr


def test_a_running_beat_is_healthy_and_a_stopped_one_goes_stale(tmp_path):
    """The beat command of docker-compose.yml (its scheduler writes the heartbeat), on the in-memory
    broker: nothing it sends goes anywhere."""
    schedule = tmp_path / "celerybeat-schedule"
    command = shlex.split(COMPOSE["services"]["beat"]["command"])
    assert command[:3] == ["celery", "-A", "config"], command
    command = [sys.executable, "-m", *[str(schedule) if part == SCHEDULE_IN_COMPOSE else part for part in command]]
    env = app_env(CELERY_TASK_ALWAYS_EAGER="0")
    env.pop("REDIS_URL", None)
    log = (tmp_path / "beat.log").open("wb")
    beat = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        heartbeat = schedule.with_name("celerybeat-schedule.heartbeat")
        assert wait_for(heartbeat.exists, timeout=60), (tmp_path / "beat.log").read_text()
        result = compose_check("beat", schedule=schedule)
        assert result.returncode == 0, result.stderr
    finally:
        beat.terminate()
        beat.wait(timeout=30)
    long_ago = time.time() - 3600  # an hour without a tick, as if beat had hung
    os.utime(heartbeat, (long_ago, long_ago))
    assert compose_check("beat", schedule=schedule).returncode != 0


@pytest.mark.skipif(not settings.REDIS_URL, reason="a worker needs the Redis broker (set REDIS_URL)")
def test_worker_is_healthy_while_it_runs(tmp_path, transactional_db):
    env = {"REDIS_URL": settings.REDIS_URL}
    assert compose_check_with(env, "worker").returncode != 0  # no worker on this host yet
    worker = CeleryWorker(tmp_path / "worker.log")
    try:
        assert wait_for(lambda: compose_check_with(env, "worker").returncode == 0, timeout=60, interval=1), (
            tmp_path / "worker.log"
        ).read_text()
    finally:
        worker.stop()


def compose_check_with(env, service):
    test = COMPOSE["services"][service]["healthcheck"]["test"]
    return subprocess.run(
        [sys.executable, *test[2:]],
        cwd=settings.BASE_DIR,
        env=app_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )
