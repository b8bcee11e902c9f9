"""The Redis cache behind a circuit breaker (core.breaker).

Django's RedisCache, whose every operation goes through the breaker of its server: while Redis is
down or hung, an operation raises `CircuitOpen` at once instead of waiting for a socket timeout.
The callers already cope with a cache error (the throttles fail open; webhooks.services logs and
queues the relay anyway; health reports "down"). The timeouts themselves are redis-py's own
options (`socket_timeout`, `socket_connect_timeout` in OPTIONS, from REDIS_SOCKET_TIMEOUT).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from core.breaker import breaker_for

P = ParamSpec("P")
R = TypeVar("R")


def _guarded(
    operation: Callable[Concatenate[RedisCacheClient, P], R],
) -> Callable[Concatenate[BreakerRedisCacheClient, P], R]:
    @functools.wraps(operation)
    def call(self: BreakerRedisCacheClient, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.breaker:
            return operation(self, *args, **kwargs)

    return call


class BreakerRedisCacheClient(RedisCacheClient):
    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self.breaker = breaker_for(",".join(servers))

    add = _guarded(RedisCacheClient.add)
    get = _guarded(RedisCacheClient.get)
    set = _guarded(RedisCacheClient.set)
    touch = _guarded(RedisCacheClient.touch)
    delete = _guarded(RedisCacheClient.delete)
    get_many = _guarded(RedisCacheClient.get_many)
    has_key = _guarded(RedisCacheClient.has_key)
    incr = _guarded(RedisCacheClient.incr)
    set_many = _guarded(RedisCacheClient.set_many)
    delete_many = _guarded(RedisCacheClient.delete_many)
    clear = _guarded(RedisCacheClient.clear)


class BreakerRedisCache(RedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = BreakerRedisCacheClient
