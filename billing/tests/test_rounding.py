import pytest

from billing.rounding import Rounding, billed_seconds, round_seconds

MINUTE = 60


@pytest.mark.parametrize(
    ("mode", "step", "tracked_minutes", "billed_minutes"),
    [
        ("none", 15, 7, 7),
        ("up", 15, 1, 15),
        ("up", 15, 15, 15),
        ("up", 15, 16, 30),
        ("down", 15, 14, 0),
        ("down", 15, 29, 15),
        ("nearest", 15, 7, 0),
        ("nearest", 15, 7.5, 15),  # half a step rounds up
        ("nearest", 15, 22, 15),
        ("nearest", 15, 23, 30),
        ("up", 6, 7, 12),
        ("down", 6, 11, 6),
        ("up", 1, 0.5, 1),
        ("up", 5, 61, 65),
        ("nearest", 10, 44, 40),
        ("up", 30, 31, 60),
        ("down", 30, 89, 60),
    ],
)
def test_rounding_table(mode, step, tracked_minutes, billed_minutes):
    assert round_seconds(int(tracked_minutes * MINUTE), Rounding(mode, step)) == billed_minutes * MINUTE


def test_zero_is_never_rounded_up():
    assert round_seconds(0, Rounding("up", 15)) == 0


def test_day_scope_rounds_the_day_and_puts_the_difference_on_the_last_entry():
    tracked = [10 * MINUTE, 10 * MINUTE, 12 * MINUTE]  # 32 min
    assert billed_seconds(tracked, Rounding("up", 15, "day")) == [10 * MINUTE, 10 * MINUTE, 25 * MINUTE]
    # Each alone would bill 45 minutes.
    assert sum(billed_seconds(tracked, Rounding("up", 15, "entry"))) == 45 * MINUTE


def test_day_scope_down_takes_from_the_last_entries_never_below_zero():
    tracked = [20 * MINUTE, 5 * MINUTE, 3 * MINUTE]  # 28 min -> 15
    billed = billed_seconds(tracked, Rounding("down", 15, "day"))
    assert billed == [15 * MINUTE, 0, 0]
    assert sum(billed) == 15 * MINUTE


@pytest.mark.parametrize("text", ["up", "up:7", "sideways:15", "up:15:week", "", "up:x"])
def test_bad_rounding_settings_are_refused(text):
    with pytest.raises(ValueError):
        Rounding.parse(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("none", Rounding()), ("UP:15", Rounding("up", 15, "entry")), ("nearest:6:day", Rounding("nearest", 6, "day"))],
)
def test_rounding_settings(text, expected):
    assert Rounding.parse(text) == expected
