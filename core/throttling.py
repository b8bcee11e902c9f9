"""Throttling that holds under concurrency, costs one Redis round trip, and survives a Redis outage.

* The stock DRF throttles keep a list of timestamps per client in the cache (32 KB after 3,600
  requests), read it, append and write it back whole: their cost grows with the rate, and under
  concurrency most requests slip through. The API's throttles here are sliding-window counters
  instead: per limit two integers (this window's count and the last window's), the last one
  weighted by how much of it the sliding window still covers. Constant cost, whatever the rate.
* One round trip for every limit of a request: `RequestRateThrottle` (the API's one default
  throttle class) gathers the limits the stock trio would apply (anonymous per client IP, per
  user, the view's scope) and decides them in one Lua script, atomically: a request is allowed
  when every limit has room, and only an allowed request takes a slot in each. The Redis client
  is built once per cache backend (its connection pool is Django's), not per operation.
* Without Redis (development, SQLite tests: the local-memory cache) the same windows live in the
  cache through `get_many`/`incr`, per process, as that cache is.
* For logins we use fixed-window counters on the cache's atomic `incr` (Redis INCR), one per
  client IP and one per account, so N concurrent attempts against a limit of L evaluate at most
  L passwords, and a guess spread over many addresses is still capped by the account's limit.
* Only failed credentials count: an attempt takes a slot in both windows before its password is
  evaluated, and a successful login gives both back. Token refresh, verify and logout are not
  logins (the tokens are unguessable): they have a throttle scope of their own.
* Every throttle keys anonymous clients by `core.client_ip.client_ip`, the one place that
  decides how far `X-Forwarded-For` is believed (`TRUSTED_PROXIES`).
* Fail-open: when the cache (Redis) is unreachable, throttles allow the request and log a
  warning, rather than turning every API call into a 500. Availability is chosen over
  rate limiting for that window; the login limit is the one to watch (documented in
  README "Security").
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.exceptions import ImproperlyConfigured
from rest_framework import throttling
from rest_framework.settings import api_settings

from core.breaker import CircuitOpen
from core.client_ip import client_ip

if TYPE_CHECKING:
    # Annotations only: DRF imports this module while rest_framework.views is half loaded.
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


def _fail_open(message: str, error: Exception) -> None:
    """Log a throttle that failed open: with its traceback the first time, one line while the Redis
    breaker is open (core.breaker logs the outage once; a traceback per request says nothing more)."""

    if isinstance(error, CircuitOpen):
        logger.warning("%s %s", message, error)
    else:
        logger.warning(message, exc_info=error)


# --- the API's throttles: sliding-window counters ------------------------------------------------


@dataclass(frozen=True)
class Limit:
    """At most `count` requests per `period` seconds for one client (`ident`) in one `scope`."""

    scope: str
    ident: str
    count: int
    period: int


@dataclass(frozen=True)
class Window:
    """One limit at one moment: the cache keys of this window and the last, and how much of the
    last one the sliding window still covers."""

    limit: Limit
    current_key: str
    previous_key: str
    previous_weight: float  # 1 at this window's start, 0 at its end
    elapsed: float  # seconds into this window

    @classmethod
    def at(cls, limit: Limit, now: float) -> Window:
        number, elapsed = divmod(now, limit.period)
        base = f"throttle:{limit.scope}:{limit.ident}:{limit.period}"
        return cls(
            limit=limit,
            current_key=f"{base}:{int(number)}",
            previous_key=f"{base}:{int(number) - 1}",
            previous_weight=(limit.period - elapsed) / limit.period,
            elapsed=elapsed,
        )

    def has_room(self, current: int, previous: int) -> bool:
        return previous * self.previous_weight + current < self.limit.count

    def wait(self, current: int, previous: int) -> int:
        """Seconds until the sliding window has room again (at least 1)."""
        count, period = self.limit.count, self.limit.period
        if current < count:
            # The last window's share shrinks until it leaves room: previous * (period - e) / period + current < count.
            seconds = (period - self.elapsed) - period * (count - current) / previous if previous else 0.0
        else:
            # Only in the next window, once this one's share has shrunk below the limit.
            seconds = (period - self.elapsed) + (period * (1 - count / current) if current else 0.0)
        return max(1, math.ceil(seconds))

    @property
    def ttl(self) -> int:
        # A window's count is read during that window and, as the last one, during the next.
        return 2 * self.limit.period + 1


# KEYS: per limit, this window's key, then the last window's. ARGV: per limit, its count, the last
# window's weight, the keys' time to live. Returns per limit {this window's count, the last's}, and
# first 1 if every limit had room (and each then took a slot), 0 if not (and none was taken).
SLIDING_WINDOW_SCRIPT = """
local counts = {}
local allowed = 1
for i = 1, #KEYS / 2 do
  local current = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local previous = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  counts[2 * i - 1] = current
  counts[2 * i] = previous
  if previous * tonumber(ARGV[3 * i - 1]) + current >= tonumber(ARGV[3 * i - 2]) then
    allowed = 0
  end
end
if allowed == 1 then
  for i = 1, #KEYS / 2 do
    counts[2 * i - 1] = redis.call('INCR', KEYS[2 * i - 1])
    if counts[2 * i - 1] == 1 then
      redis.call('EXPIRE', KEYS[2 * i - 1], ARGV[3 * i])
    end
  end
end
table.insert(counts, 1, allowed)
return counts
"""


class _RedisWindows:
    """The script, registered once, on one client of the cache backend's connection pool."""

    def __init__(self, backend: RedisCache) -> None:
        # Django's RedisCacheClient (a cached property the stubs do not declare): the connection
        # pools, and core.cache's breaker.
        client_holder: RedisCacheClient = backend._cache  # type: ignore[attr-defined]
        self.client = client_holder.get_client(write=True)  # one redis.Redis on the pool, reused
        self.script = self.client.register_script(SLIDING_WINDOW_SCRIPT)
        self.breaker = getattr(client_holder, "breaker", None)
        self.make_key = backend.make_key

    def take(self, windows: list[Window]) -> list[int]:
        keys = [self.make_key(key) for window in windows for key in (window.current_key, window.previous_key)]
        args: list[Any] = []
        for window in windows:
            args += [window.limit.count, repr(window.previous_weight), window.ttl]
        if self.breaker is None:
            return cast("list[int]", self.script(keys=keys, args=args))
        with self.breaker:
            return cast("list[int]", self.script(keys=keys, args=args))


def _redis_windows(backend: RedisCache) -> _RedisWindows:
    # On the backend object: Django builds one per thread and anew when the CACHES setting changes.
    windows = backend.__dict__.get("_throttle_windows")
    if windows is None:
        windows = backend.__dict__["_throttle_windows"] = _RedisWindows(backend)
    return cast("_RedisWindows", windows)


def _take_from_cache(windows: list[Window]) -> list[int]:
    """The script's answer from any Django cache (local memory: one process; not atomic across
    processes, which that cache is not shared between anyway)."""
    keys = [key for window in windows for key in (window.current_key, window.previous_key)]
    stored = cache.get_many(keys)
    counts = [int(stored.get(key, 0)) for key in keys]
    allowed = all(window.has_room(counts[2 * i], counts[2 * i + 1]) for i, window in enumerate(windows))
    if allowed:
        for i, window in enumerate(windows):
            cache.add(window.current_key, 0, timeout=window.ttl)
            counts[2 * i] = cache.incr(window.current_key)
    return [int(allowed), *counts]


def take_slots(limits: list[Limit], now: float | None = None) -> tuple[bool, int]:
    """Decide `limits` at once: (allowed, seconds to wait if not). An allowed request takes a slot
    in every limit; a refused one takes none. One Redis round trip for all of them."""
    windows = [Window.at(limit, time.time() if now is None else now) for limit in limits]
    backend = caches[DEFAULT_CACHE_ALIAS]
    answer = _redis_windows(backend).take(windows) if isinstance(backend, RedisCache) else _take_from_cache(windows)
    allowed, counts = bool(answer[0]), [int(count) for count in answer[1:]]
    if allowed:
        return True, 0
    waits = [
        window.wait(counts[2 * i], counts[2 * i + 1])
        for i, window in enumerate(windows)
        if not window.has_room(counts[2 * i], counts[2 * i + 1])
    ]
    return False, max(waits, default=1)


def _rate_of(scope: str) -> tuple[int, int] | None:
    rates = cast("dict[str, str | None]", api_settings.DEFAULT_THROTTLE_RATES)
    if scope not in rates:
        raise ImproperlyConfigured(f"No default throttle rate set for {scope!r} scope")
    rate = rates[scope]
    return None if rate is None else parse_rate(rate)


def _limit(scope: str, ident: str) -> list[Limit]:
    rate = _rate_of(scope)
    return [] if rate is None else [Limit(scope=scope, ident=ident, count=rate[0], period=rate[1])]


class CounterThrottle(throttling.BaseThrottle):
    """A DRF throttle on `take_slots`: subclasses say which limits apply to a request."""

    def __init__(self) -> None:
        self._wait: int | None = None

    def limits(self, request: Request, view: APIView) -> list[Limit]:
        raise NotImplementedError

    def get_ident(self, request: Request) -> str:
        return client_ip(request)

    def _user_or_ip(self, request: Request) -> str:
        user = request.user
        return str(user.pk) if user and user.is_authenticated else self.get_ident(request)

    def allow_request(self, request: Request, view: APIView) -> bool:
        limits = self.limits(request, view)
        if not limits:
            return True
        try:
            allowed, wait = take_slots(limits)
        except Exception as error:  # noqa: BLE001 - fail-open: any cache error allows the request (logged)
            _fail_open("Throttle cache unavailable; allowing the request (fail-open).", error)
            return True
        self._wait = None if allowed else wait
        return allowed

    def wait(self) -> float | None:
        return self._wait


class AnonRateThrottle(CounterThrottle):
    """`anon` per client IP, for anonymous requests only (DRF's AnonRateThrottle)."""

    def limits(self, request: Request, view: APIView) -> list[Limit]:
        if request.user and request.user.is_authenticated:
            return []
        return _limit("anon", self.get_ident(request))


class UserRateThrottle(CounterThrottle):
    """`user` per user, or per client IP when anonymous (DRF's UserRateThrottle)."""

    def limits(self, request: Request, view: APIView) -> list[Limit]:
        return _limit("user", self._user_or_ip(request))


class ScopedRateThrottle(CounterThrottle):
    """The view's `throttle_scope` per user, or per client IP when anonymous (DRF's ScopedRateThrottle)."""

    def limits(self, request: Request, view: APIView) -> list[Limit]:
        scope = getattr(view, "throttle_scope", None)
        return _limit(scope, self._user_or_ip(request)) if scope else []


class RequestRateThrottle(CounterThrottle):
    """The API's default: the limits of AnonRateThrottle, UserRateThrottle and ScopedRateThrottle
    together, decided in one round trip."""

    parts = (AnonRateThrottle, UserRateThrottle, ScopedRateThrottle)

    def limits(self, request: Request, view: APIView) -> list[Limit]:
        return [limit for part in self.parts for limit in part().limits(request, view)]


# --- logins: fixed windows, failed credentials only ---------------------------------------------


PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """`"10/minute"` → (10, 60). DRF's own reading: the period's first letter counts."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period[0]]


@dataclass(frozen=True)
class LoginAttempt:
    """One login attempt's slots in the per-IP and per-account windows."""

    allowed: bool
    retry_after: int
    keys: tuple[str, ...] = ()

    def succeeded(self) -> None:
        """A successful login gives its slots back: only failed credentials count."""
        for key in self.keys:
            try:
                cache.decr(key)
            except ValueError:
                pass  # the window ended meanwhile: nothing to give back
            except Exception as error:  # noqa: BLE001 - fail-open: any cache error allows the request (logged)
                _fail_open("Login throttle cache unavailable; slot not given back.", error)


def _rates() -> list[tuple[str, str]]:
    return [
        ("ip", cast("dict[str, str]", settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])["auth"]),
        ("account", settings.THROTTLE_AUTH_ACCOUNT_RATE),
    ]


def login_attempt_begin(*, ip: str | None, username: str | None) -> LoginAttempt:
    """Count one login attempt from `ip` for `username` before its password is evaluated.

    The attempt is allowed when both counters stay within their limits. `retry_after` is when
    the fuller window ends. Fail-open (allowed) when the cache is down."""
    account = hashlib.sha256(str(username or "").casefold().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    idents = {"ip": ip or "-", "account": account}
    now = time.time()
    allowed, retry_after, keys = True, 0, []
    try:
        for kind, rate in _rates():
            limit, period = parse_rate(rate)
            key = f"throttle:login:{kind}:{idents[kind]}:{int(now // period)}"
            cache.add(key, 0, timeout=period + 1)
            keys.append(key)
            if cache.incr(key) > limit:
                allowed = False
                retry_after = max(retry_after, max(1, int(period - (now % period))))
    except Exception as error:  # noqa: BLE001 - fail-open: any cache error allows the request (logged)
        _fail_open("Login throttle cache unavailable; allowing the attempt (fail-open).", error)
        return LoginAttempt(allowed=True, retry_after=0)
    return LoginAttempt(allowed=allowed, retry_after=retry_after, keys=tuple(keys) if allowed else ())
