"""core.breaker: after a Redis failure, the cache and the broker publishes stop trying that
server for REDIS_BREAKER_SECONDS, then try again. Against a real redis-server of the test's own,
stopped and started again on the same port."""

import logging
import os
import shutil
import subprocess
import sys
import time

import pytest
import redis.exceptions
from django.conf import settings
from kombu.exceptions import OperationalError

from config import celery
from config.tests.servers import ThrowawayRedis, require, wait_for
from core import tasks
from core.breaker import CircuitOpen, breaker_for
from core.cache import BreakerRedisCache


@pytest.fixture
def redis_server(tmp_path):
    server = ThrowawayRedis(require(shutil.which("redis-server"), "redis-server"), tmp_path)
    server.start()
    yield server
    breaker_for(server.url).reset()
    server.stop()


def cache_of(redis_server):
    timeout = settings.REDIS_SOCKET_TIMEOUT
    return BreakerRedisCache(
        redis_server.url, {"OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout}}
    )


def test_a_failure_opens_the_breaker_once_then_redis_is_tried_again(redis_server, settings, caplog):
    settings.REDIS_BREAKER_SECONDS = 2
    cache = cache_of(redis_server)
    cache.set("k", "v")
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="core.breaker"):
        with pytest.raises(redis.exceptions.ConnectionError) as first:
            cache.get("k")
        assert not isinstance(first.value, CircuitOpen)  # the real failure: connection refused
        redis_server.start()  # back already, but this process does not try it yet
        started = time.monotonic()
        for _ in range(50):
            with pytest.raises(CircuitOpen):
                cache.get("k")
        assert time.monotonic() - started < 1  # no connection attempted
        opened = [record for record in caplog.records if "circuit breaker open" in record.getMessage()]
        assert len(opened) == 1  # once per opening, not once per refused operation

        # Past the period, the next operation tries Redis: it answers (a new process, empty).
        assert wait_for(lambda: _answers(cache), timeout=30)
    assert "answers again" in caplog.text
    cache.set("k", "again")
    assert cache.get("k") == "again"


def _answers(cache):
    try:
        return cache.get("missing", "default") == "default"
    except CircuitOpen:
        return False


def test_a_hung_redis_costs_one_socket_timeout_then_nothing(redis_server, settings):
    cache = cache_of(redis_server)
    cache.set("k", "v")
    redis_server.pause()
    try:
        started = time.monotonic()
        with pytest.raises(redis.exceptions.TimeoutError):
            cache.get("k")
        waited = time.monotonic() - started
        assert waited < settings.REDIS_SOCKET_TIMEOUT + 1
        started = time.monotonic()
        for operation in (lambda: cache.add("a", 1), lambda: cache.incr("k"), lambda: cache.delete("k")):
            with pytest.raises(CircuitOpen):
                operation()
        assert time.monotonic() - started < 0.1
    finally:
        redis_server.resume()


def test_a_reply_of_a_live_redis_does_not_open_the_breaker(redis_server):
    cache = cache_of(redis_server)
    with pytest.raises(ValueError, match="not found"):  # incr of a missing key: Django's contract
        cache.incr("never-set")
    assert not breaker_for(redis_server.url).is_open()
    assert cache.add("set-now", 1)


@pytest.fixture
def real_broker(redis_server):
    """Celery as outside the test suite: not eager, publishing to the throwaway Redis."""
    conf = celery.app.conf
    before = {"task_always_eager": conf.task_always_eager, "broker_url": conf.broker_url}
    conf.update(task_always_eager=False, broker_url=redis_server.url)
    yield redis_server
    conf.update(before)


class RecordingTask:
    name = "tests.recording"

    def __init__(self, error=None):
        self.calls, self.error = [], error

    def apply_async(self, **options):
        self.calls.append(options)
        if self.error is not None:
            raise self.error


def test_a_broker_failure_skips_the_next_publishes_while_the_breaker_is_open(real_broker, caplog):
    failing = RecordingTask(error=OperationalError("Error 111 connecting to 127.0.0.1. Connection refused."))
    with caplog.at_level(logging.INFO, logger="core.tasks"):
        assert tasks.publish(failing, 1, lost="the outbox keeps it") is False
        later = RecordingTask()
        assert tasks.publish(later, 2, lost="the outbox keeps it") is False
    assert len(failing.calls) == 1
    assert later.calls == []  # not even tried
    assert "Could not queue tests.recording(1,) (broker down): the outbox keeps it." in caplog.text
    assert "Not queueing tests.recording(2,) (broker down moments ago): the outbox keeps it." in caplog.text
    # The cache shares the server, so it shares the breaker: it does not try either.
    with pytest.raises(CircuitOpen):
        cache_of(real_broker).get("k")


def test_an_error_of_the_task_itself_does_not_open_the_breaker(real_broker):
    assert tasks.publish(RecordingTask(error=TypeError("not serialisable")), lost="x") is False
    assert not breaker_for(real_broker.url).is_open()


def run_check(**env):
    full_env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_VERSION", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    full_env.update(env, DEBUG="1")
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REDIS_SOCKET_TIMEOUT", "soon"),
        ("REDIS_SOCKET_TIMEOUT", "0"),  # redis-py would not wait at all
        ("REDIS_SOCKET_TIMEOUT", "nan"),
        ("REDIS_SOCKET_TIMEOUT", "600"),
        ("REDIS_BREAKER_SECONDS", "-1"),
        ("REDIS_BREAKER_SECONDS", "a while"),
    ],
)
def test_a_bad_timeout_fails_at_startup_naming_the_variable(name, value):
    result = run_check(**{name: value})
    assert result.returncode != 0
    assert f"Invalid value for the {name} environment variable" in result.stderr


def test_the_timeouts_reach_every_redis_client():
    timeout = settings.REDIS_SOCKET_TIMEOUT
    assert 0 < timeout < 1  # "a few hundred ms" by default
    conf = celery.app.conf
    assert conf.broker_transport_options["socket_timeout"] == timeout
    assert conf.broker_transport_options["socket_connect_timeout"] == timeout
    assert conf.broker_connection_timeout == timeout
    assert conf.task_publish_retry is False
    assert conf.redis_socket_timeout == conf.redis_socket_connect_timeout == timeout
    if settings.REDIS_URL:
        assert settings.CACHES["default"]["BACKEND"] == "core.cache.BreakerRedisCache"
        assert settings.CACHES["default"]["OPTIONS"] == {"socket_connect_timeout": timeout, "socket_timeout": timeout}
