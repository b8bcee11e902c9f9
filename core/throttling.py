"""Throttling that holds under concurrency and survives a Redis outage.

* The stock DRF throttles read a list from the cache, append and write it back: under
  concurrency most requests slip through. For logins we use fixed-window counters on the
  cache's atomic `incr` (Redis INCR), one per client IP and one per account, so N concurrent
  attempts against a limit of L evaluate at most L passwords, and a guess spread over many
  addresses is still capped by the account's limit.
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
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.core.cache import cache
from rest_framework import throttling
from rest_framework.settings import api_settings

from core.breaker import CircuitOpen
from core.client_ip import client_ip

if TYPE_CHECKING:
    # Annotations only: DRF imports this module while rest_framework.views is half loaded.
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)

# The mixin is only ever mixed into DRF's SimpleRateThrottle subclasses: tell mypy so, without
# changing the classes' bases at run time.
if TYPE_CHECKING:
    _ThrottleBase = throttling.SimpleRateThrottle
else:
    _ThrottleBase = object


class ProjectThrottleMixin(_ThrottleBase):
    # DRF's name, a class attribute there; a property here, read per request, so a changed
    # setting applies (mypy: a read-only property cannot override a writable attribute).
    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:  # type: ignore[override]
        # The stubs type the rates as numbers; DRF reads (and this project sets) "10/minute" strings.
        return cast("dict[str, str | None]", api_settings.DEFAULT_THROTTLE_RATES)

    def get_ident(self, request: Request) -> str:
        return client_ip(request)

    def allow_request(self, request: Request, view: APIView) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as error:  # noqa: BLE001 - fail-open: any cache error allows the request (logged)
            _fail_open("Throttle cache unavailable; allowing the request (fail-open).", error)
            return True


def _fail_open(message: str, error: Exception) -> None:
    """Log a throttle that failed open: with its traceback the first time, one line while the Redis
    breaker is open (core.breaker logs the outage once; a traceback per request says nothing more)."""

    if isinstance(error, CircuitOpen):
        logger.warning("%s %s", message, error)
    else:
        logger.warning(message, exc_info=error)


class AnonRateThrottle(ProjectThrottleMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(ProjectThrottleMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(ProjectThrottleMixin, throttling.ScopedRateThrottle):
    pass


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
