"""core.durations.duration_text: one display of a duration, in the viewer's format; and the middleware
that tells it, for a request, whose format to use."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from core.durations import (
    DEFAULT_DURATION_FORMAT,
    DurationFormat,
    current_duration_format,
    duration_format_from,
    duration_text,
    duration_text_from_hours,
    signed_duration_text,
    use_duration_format,
)
from core.middleware import DurationFormatMiddleware


@pytest.mark.parametrize(
    ("seconds", "hm", "decimal"),
    [
        (0, "0:00", "0.00 h"),
        (5400, "1:30", "1.50 h"),
        (29, "0:00", "0.01 h"),  # to the minute, and to the hundredth, half up
        (18, "0:00", "0.01 h"),
        (17, "0:00", "0.00 h"),
        (72630, "20:11", "20.18 h"),
        (464_400, "129:00", "129.00 h"),
        (-5400, "−1:30", "−1.50 h"),
        (Decimal("5400.0"), "1:30", "1.50 h"),
    ],
)
def test_both_formats(seconds, hm, decimal):
    assert duration_text(seconds, duration_format="hm") == hm
    assert duration_text(seconds, duration_format="decimal") == decimal


def test_signed_differences():
    assert signed_duration_text(5400, duration_format="hm") == "+1:30"
    assert signed_duration_text(-5400, duration_format="hm") == "−1:30"
    assert signed_duration_text(0, duration_format="hm") == "+0:00"
    assert signed_duration_text(5400, duration_format="decimal") == "+1.50 h"
    assert signed_duration_text(-5400, duration_format="decimal") == "−1.50 h"


def test_from_the_reports_decimal_hours():
    assert duration_text_from_hours(Decimal("129.00"), duration_format="hm") == "129:00"
    assert duration_text_from_hours(Decimal("129.00"), duration_format="decimal") == "129.00 h"
    assert duration_text_from_hours(Decimal("0.01"), duration_format="hm") == "0:01"  # 36 s


def test_outside_a_request_the_default_applies():
    assert DEFAULT_DURATION_FORMAT == DurationFormat.HOURS_MINUTES == "hm"
    assert current_duration_format() == "hm"
    assert duration_text(5400) == "1:30"


def test_the_format_in_force_nests_and_ends_with_its_block():
    with use_duration_format("decimal"):
        assert duration_text(5400) == "1.50 h"
        with use_duration_format("hm"):
            assert duration_text(5400) == "1:30"
        assert duration_text(5400) == "1.50 h"
        assert duration_text(5400, duration_format="hm") == "1:30"  # an explicit format wins
    assert duration_text(5400) == "1:30"


@pytest.mark.parametrize("chosen", [None, "", "HM", "hours", 3, object()])
def test_an_unknown_choice_is_the_default(chosen):
    with duration_format_from(lambda: chosen):
        assert current_duration_format() == "hm"
        assert duration_text(5400) == "1:30"
    assert duration_text(5400, duration_format="nonsense") == "1:30"


def _shown_during(request):
    shown = {}

    def view(request):
        shown["text"] = duration_text(5400)
        return HttpResponse()

    DurationFormatMiddleware(view)(request)
    return shown["text"]


@pytest.mark.parametrize(
    ("user", "text"),
    [
        (SimpleNamespace(duration_format="decimal"), "1.50 h"),
        (SimpleNamespace(duration_format="hm"), "1:30"),
        (AnonymousUser(), "1:30"),
        (None, "1:30"),
    ],
)
def test_the_middleware_shows_the_viewers_format_for_the_request_only(user, text):
    request = RequestFactory().get("/")
    if user is not None:
        request.user = user
    assert _shown_during(request) == text
    assert duration_text(5400) == "1:30"  # after the request: the default again


def test_the_user_is_read_when_a_duration_is_shown_not_before():
    # So a request that shows no duration costs no user query, and an API call sees the user
    # DRF authenticated during the view.
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    def view(request):
        request.user = SimpleNamespace(duration_format="decimal")  # what DRF does on authentication
        return HttpResponse(duration_text(5400))

    assert DurationFormatMiddleware(view)(request).content == b"1.50 h"
