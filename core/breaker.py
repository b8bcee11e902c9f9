"""A short circuit breaker for Redis (the cache, the throttles and the Celery broker).

Every Redis client has hard socket and connect timeouts (REDIS_SOCKET_TIMEOUT), so a hung Redis
costs one timeout, not a hang. This saves even that: once an operation on a Redis server has
failed (refused, reset or timed out), nothing tries that server again in this process for
REDIS_BREAKER_SECONDS; the operations raise `CircuitOpen` at once, and the callers already cope
with a Redis error (the throttles fail open, the outboxes keep the webhook events and e-mails).
Then the next operation tries again: success closes the breaker, failure opens it once more.

Per process on purpose: it only saves time, and a process that has not met the outage yet pays
one timeout to learn of it. The cache and the broker share one breaker when they use the same
server (REDIS_URL), so the first of them to fail spares the other its timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType
from typing import Literal
from urllib.parse import urlsplit

import redis.exceptions
from django.conf import settings
from django.utils.translation import gettext
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What an unreachable or hung server raises: redis-py's errors, kombu's wrapping of them, and
# the socket's own (refused, reset, timed out). Not a reply of a live server (ResponseError) nor
# a cache miss (ValueError from incr): those say nothing about the server being down.
DOWN_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OperationalError, OSError)


class CircuitOpen(redis.exceptions.ConnectionError):
    """Raised instead of trying a server that failed moments ago. A redis-py ConnectionError, so
    a caller that copes with Redis being down copes with this too."""


class CircuitBreaker:
    """Use as `with breaker:` around one operation on the server."""

    def __init__(self, server: str) -> None:
        parts = urlsplit(server)
        # Named without the URL's password, for the log.
        self.name = f"{parts.hostname}:{parts.port or 6379}" if parts.hostname else parts.path or server
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._failed = False

    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def __enter__(self) -> CircuitBreaker:
        if self.is_open():
            raise CircuitOpen(
                gettext("Redis at {name} failed moments ago; not trying it until the breaker closes").format(
                    name=self.name
                )
            )
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> Literal[False]:
        if error is None:
            if self._failed:
                with self._lock:
                    if self._failed:
                        self._failed = False
                        logger.warning("Redis at %s answers again; the circuit breaker is closed.", self.name)
        elif isinstance(error, DOWN_ERRORS) and not isinstance(error, CircuitOpen):
            self.trip(error)
        return False

    def trip(self, error: BaseException) -> None:
        seconds = settings.REDIS_BREAKER_SECONDS
        with self._lock:
            opening = not self.is_open()
            self._open_until = time.monotonic() + seconds
            self._failed = True
        if opening:  # once per opening, not once per refused operation
            logger.warning(
                "Redis at %s failed (%s: %s); not trying it for %s s (circuit breaker open).",
                self.name,
                type(error).__name__,
                error,
                seconds,
            )

    def reset(self) -> None:
        with self._lock:
            self._open_until, self._failed = 0.0, False


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(server: str) -> CircuitBreaker:
    """The one breaker of this process for `server` (a redis:// URL, as in REDIS_URL)."""
    with _breakers_lock:
        if server not in _breakers:
            _breakers[server] = CircuitBreaker(server)
        return _breakers[server]
