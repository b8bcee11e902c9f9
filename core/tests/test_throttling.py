"""The API's throttles: sliding-window counters, one round trip for all limits of a request.

Run with REDIS_URL set, they exercise the Lua script on a real Redis; without it, the same windows
in the local-memory cache. The brute-force, concurrency and outage tests of the login limit and
of fail-open live in accounts/tests (test_resilience, test_login_limits, test_auth_api) and
config/tests/test_outages.py.
"""

import pytest
import redis
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.urls import reverse

from core import throttling
from core.throttling import Limit, take_slots

ME_URL = reverse("api:user-me")
ON_REDIS = isinstance(caches["default"], RedisCache)


def _rates(settings, **rates):
    rest_framework = settings.REST_FRAMEWORK.copy()
    rest_framework["DEFAULT_THROTTLE_RATES"] = {**rest_framework["DEFAULT_THROTTLE_RATES"], **rates}
    settings.REST_FRAMEWORK = rest_framework


@pytest.mark.django_db
def test_a_user_over_the_limit_gets_429_with_retry_after_and_another_user_does_not(
    settings, client_for, employee, manager
):
    _rates(settings, user="5/minute")
    client = client_for(employee)

    assert [client.get(ME_URL).status_code for _ in range(5)] == [200] * 5
    refused = client.get(ME_URL)

    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert client_for(manager).get(ME_URL).status_code == 200


def _anonymous_request(rf, address):
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request

    request = Request(rf.get("/", REMOTE_ADDR=address))
    request.user = AnonymousUser()
    return request


def test_anonymous_callers_are_limited_per_address(settings, rf):
    # No API view lets an anonymous caller past authentication (401 comes first): the class itself.
    _rates(settings, anon="3/minute")
    view = object()

    allowed = [
        throttling.RequestRateThrottle().allow_request(_anonymous_request(rf, "192.0.2.1"), view) for _ in range(4)
    ]

    assert allowed == [True, True, True, False]
    assert throttling.RequestRateThrottle().allow_request(_anonymous_request(rf, "192.0.2.2"), view)


def test_the_stored_state_is_two_integers_whatever_the_rate():
    limit = Limit(scope="user", ident="7", count=100_000, period=60)

    for _ in range(500):
        assert take_slots([limit], now=1_000_000.0)[0]

    window = throttling.Window.at(limit, 1_000_000.0)
    assert cache.get(window.current_key) == 500  # a counter, not a list of 500 timestamps
    assert cache.get(window.previous_key) is None


def test_the_window_slides_the_last_windows_count_weighs_by_what_it_still_covers():
    limit = Limit(scope="user", ident="8", count=10, period=60)
    start = 6_000_000.0  # a window's start

    assert all(take_slots([limit], now=start + 50)[0] for _ in range(10))
    assert take_slots([limit], now=start + 59) == (False, 1)  # the next window
    # At the next window's start the last window still counts whole.
    assert not take_slots([limit], now=start + 60)[0]
    # 10 s into it the last window weighs 5/6 (8.3): two more fit, not three.
    assert take_slots([limit], now=start + 70)[0]
    assert take_slots([limit], now=start + 70)[0]
    assert take_slots([limit], now=start + 70) == (False, 2)  # after 72 s: 10 x 48/60 + 2 < 10
    assert take_slots([limit], now=start + 73)[0]
    assert not take_slots([limit], now=start + 73)[0]
    # Two windows on, the first is forgotten; the second one's 3 weigh 1.5: 9 fit.
    assert all(take_slots([limit], now=start + 150)[0] for _ in range(9))
    assert not take_slots([limit], now=start + 150)[0]


def test_a_refused_request_takes_no_slot_in_any_of_its_limits():
    roomy = Limit(scope="user", ident="9", count=100, period=60)
    full = Limit(scope="token", ident="9", count=1, period=60)
    now = 9_000_000.0

    assert take_slots([roomy, full], now=now) == (True, 0)
    assert take_slots([roomy, full], now=now)[0] is False
    assert take_slots([roomy, full], now=now)[0] is False

    assert cache.get(throttling.Window.at(roomy, now).current_key) == 1
    assert cache.get(throttling.Window.at(full, now).current_key) == 1


def test_a_zero_rate_refuses_everything():
    assert take_slots([Limit(scope="user", ident="10", count=0, period=60)], now=60.0) == (False, 60)


@pytest.mark.skipif(not ON_REDIS, reason="needs Redis (set REDIS_URL=redis://...)")
def test_all_the_limits_of_a_request_cost_one_redis_command_on_one_reused_client(monkeypatch):
    commands = []
    original = redis.Redis.execute_command

    def counting(self, *args, **options):
        commands.append((id(self), args[0]))
        return original(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    limits = [
        Limit(scope="anon", ident="192.0.2.9", count=10, period=60),
        Limit(scope="user", ident="192.0.2.9", count=10, period=60),
        Limit(scope="token", ident="192.0.2.9", count=10, period=3600),
    ]
    take_slots(limits)  # the first call may also load the script (NOSCRIPT, then SCRIPT LOAD)
    commands.clear()

    take_slots(limits)
    take_slots(limits)

    assert [name for _client, name in commands] == ["EVALSHA", "EVALSHA"]
    assert len({client for client, _name in commands}) == 1


@pytest.mark.django_db
def test_the_default_throttle_gathers_the_anon_user_and_scope_limits(rf, employee):
    from rest_framework.request import Request

    class View:
        throttle_scope = "token"

    anonymous = _anonymous_request(rf, "192.0.2.5")
    authenticated = Request(rf.get("/", REMOTE_ADDR="192.0.2.5"))
    authenticated.user = employee
    throttle = throttling.RequestRateThrottle()

    assert [(limit.scope, limit.ident) for limit in throttle.limits(anonymous, View())] == [
        ("anon", "192.0.2.5"),
        ("user", "192.0.2.5"),
        ("token", "192.0.2.5"),
    ]
    assert [(limit.scope, limit.ident) for limit in throttle.limits(authenticated, View())] == [
        ("user", str(employee.pk)),
        ("token", str(employee.pk)),
    ]


@pytest.mark.django_db
def test_redis_down_the_counters_fail_open_and_say_so(settings, client_for, employee, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    assert client_for(employee).get(ME_URL).status_code == 200
    assert "fail-open" in caplog.text
