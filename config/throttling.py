"""Throttling that holds under concurrency and survives a Redis outage.

* The stock DRF throttles read a list from the cache, append and write it back: under
  concurrency most requests slip through. For logins we use a fixed-window counter on
  the cache's atomic `incr` (Redis INCR), so N concurrent attempts against a limit of L
  evaluate at most L passwords.
* Fail-open: when the cache (Redis) is unreachable, throttles allow the request and log a
  warning, rather than turning every API call into a 500. Availability is chosen over
  rate limiting for that window; the login limit is the one to watch (documented in
  README "Security").
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework import throttling

logger = logging.getLogger(__name__)


class FailOpenMixin:
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:
            logger.warning("Throttle cache unavailable; allowing the request (fail-open).", exc_info=True)
            return True


class AnonRateThrottle(FailOpenMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(FailOpenMixin, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(FailOpenMixin, throttling.ScopedRateThrottle):
    pass


def parse_rate(rate):
    count, _, period = rate.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]
    return int(count), seconds


def login_attempt_allowed(ident, rate=None):
    """Count one login attempt for `ident` (the client IP). Returns (allowed, retry_after_seconds)."""
    limit, period = parse_rate(rate or settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"])
    now = time.time()
    window = int(now // period)
    key = f"throttle:login:{ident}:{window}"
    retry_after = max(1, int(period - (now % period)))
    try:
        cache.add(key, 0, timeout=period + 1)
        count = cache.incr(key)
    except Exception:
        logger.warning("Login throttle cache unavailable; allowing the attempt (fail-open).", exc_info=True)
        return True, 0
    return count <= limit, retry_after


class LoginRateThrottle(throttling.BaseThrottle):
    """The strict `auth` scope for token endpoints, counted atomically per client IP."""

    def allow_request(self, request, view):
        allowed, self.retry_after = login_attempt_allowed(self.get_ident(request))
        return allowed

    def wait(self):
        return self.retry_after
