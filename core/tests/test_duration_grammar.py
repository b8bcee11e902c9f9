"""core.durations.duration_from_text: the one grammar of typed durations, case by case and as properties."""

import re
from datetime import timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.durations import (
    DURATION_SYNTAX_MESSAGE,
    DURATION_TEXT_MAX_LENGTH,
    DurationSyntaxError,
    duration_from_text,
    hours_minutes,
    hours_text,
    to_the_minute,
)

HOURS = st.integers(0, 999)
MINUTES_IN_AN_HOUR = st.integers(0, 59)


def minutes(count):
    return timedelta(minutes=count)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # clock
        ("1:30", minutes(90)),
        ("01:30", minutes(90)),
        ("0:05", minutes(5)),
        ("12:05", minutes(725)),
        ("1:30:00", minutes(90)),
        ("0:00:30", timedelta(seconds=30)),
        ("100:00", minutes(6000)),
        # decimal hours
        ("1.5", minutes(90)),
        ("1,5", minutes(90)),
        ("1.25", minutes(75)),
        ("0.01", timedelta(seconds=36)),
        ("1.5h", minutes(90)),
        ("1,5 h", minutes(90)),
        ("1.50 h", minutes(90)),  # what duration_text shows in the decimal format reads back
        ("2h", minutes(120)),
        ("2 h", minutes(120)),
        # hours and minutes
        ("1h30m", minutes(90)),
        ("1h 30m", minutes(90)),
        ("1h30", minutes(90)),
        ("1h5", minutes(65)),
        ("1 h 30 min", minutes(90)),
        ("0h45m", minutes(45)),
        # minutes
        ("90m", minutes(90)),
        ("90 min", minutes(90)),
        ("480min", minutes(480)),
        ("1500m", minutes(1500)),
        # a bare number: minutes up to 3 digits, HHMM with 4
        ("5", minutes(5)),
        ("90", minutes(90)),
        ("480", minutes(480)),
        ("999", minutes(999)),
        ("0130", minutes(90)),
        ("1230", minutes(750)),
        ("0005", minutes(5)),
        # zero is a duration (callers refuse it if they must)
        ("0", timedelta(0)),
        ("0:00", timedelta(0)),
        # case and whitespace
        ("  1:30  ", minutes(90)),
        ("1H30M", minutes(90)),
        ("90 MIN", minutes(90)),
        ("1,5\u00a0h", minutes(90)),  # a no-break space
        ("\t1h\n30m ", minutes(90)),
    ],
)
def test_accepted_forms(text, expected):
    assert duration_from_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "-1",
        "-1:30",
        "+1",
        "1:75",
        "1:5",  # 1:05 or 1:50? refused
        "1:30:60",
        "1:30:5",
        "1.5.5",
        "1,5,5",
        "1.",
        ".5",
        "1.555",
        "1e3",
        "1_000",
        "1 30",
        "1h75",
        "1h60m",
        "1.5h30m",
        "1h30h",
        "h",
        "m",
        "90 minutes",
        "90s",
        "1d",
        "0175",  # HHMM with 75 minutes
        "12345",  # five digits
        "99999999999",
        "1000h",
        "1000:00",
        "10000m",
        "１:３０",  # full-width digits
        "١٥",  # Arabic-Indic digits
        "1:３0",
        "½",
        "1" * (DURATION_TEXT_MAX_LENGTH + 1),
        "1" * 10 + " " * 10 + "h",
        "1:30\x00",
    ],
)
def test_refused_forms_name_the_accepted_ones(text):
    with pytest.raises(DurationSyntaxError) as excinfo:
        duration_from_text(text)
    assert str(excinfo.value) == excinfo.value.message == DURATION_SYNTAX_MESSAGE
    for form in ("1:30", "1.5", "1,5", "1.5h", "1h30m", "90m", "0130"):
        assert form in DURATION_SYNTAX_MESSAGE


def test_a_run_of_whitespace_reads_as_one_space():
    assert duration_from_text("1h   30m") == duration_from_text("1h 30m") == minutes(90)
    assert duration_from_text(" " * 1000 + "1:30" + "\n" * 1000) == minutes(90)  # around it: any amount


@pytest.mark.parametrize("value", [None, 90, 1.5, b"1:30", ["1:30"]])
def test_only_text_is_read(value):
    with pytest.raises(DurationSyntaxError):
        duration_from_text(value)


def test_it_is_a_value_error():
    with pytest.raises(ValueError, match="Give a duration like"):
        duration_from_text("nonsense")


# --- properties ---------------------------------------------------------------------------------


@given(hours=HOURS, minute=MINUTES_IN_AN_HOUR)
def test_every_hours_and_minutes_spelling_means_the_same(hours, minute):
    expected = timedelta(hours=hours, minutes=minute)
    spellings = [f"{hours}:{minute:02d}", f"{hours:02d}:{minute:02d}", f"{hours}:{minute:02d}:00", f"{hours}h{minute}m"]
    spellings += [f"{hours}h {minute}m", f"{hours}h{minute}", f"{hours} h {minute} min", f"{hours}H{minute:02d}M"]
    for text in spellings:
        assert duration_from_text(text) == expected, text


@given(hours=HOURS, hundredths=st.integers(0, 99))
def test_decimal_hours_are_whole_seconds_with_a_point_or_a_comma(hours, hundredths):
    expected = timedelta(hours=hours, seconds=hundredths * 36)
    for text in (f"{hours}.{hundredths:02d}", f"{hours},{hundredths:02d}", f"{hours}.{hundredths:02d}h"):
        assert duration_from_text(text) == expected, text
        assert duration_from_text(f"{text} h".replace("h h", "h")) == expected, text
    if hundredths % 10 == 0:
        assert duration_from_text(f"{hours}.{hundredths // 10}") == expected  # 1.5 is 1.50


@given(count=st.integers(0, 999))
def test_a_bare_number_of_up_to_three_digits_is_minutes(count):
    assert duration_from_text(str(count)) == minutes(count)
    assert duration_from_text(f"{count}m") == duration_from_text(f"{count} min") == minutes(count)


@given(hours=st.integers(0, 99), minute=MINUTES_IN_AN_HOUR)
def test_four_digits_are_hhmm(hours, minute):
    assert duration_from_text(f"{hours:02d}{minute:02d}") == timedelta(hours=hours, minutes=minute)


@given(hours=st.integers(0, 99), minute=st.integers(60, 99))
def test_four_digits_with_minutes_past_59_are_refused(hours, minute):
    with pytest.raises(DurationSyntaxError):
        duration_from_text(f"{hours:02d}{minute:02d}")


@given(seconds=st.integers(0, 999 * 3600 + 59 * 60))
@example(seconds=29)
@example(seconds=30)
def test_what_the_pages_show_reads_back_to_the_same_rounded_duration(seconds):
    # "1:30" (to the minute) and "1.50 h" (to the hundredth): a shown duration can be typed back.
    assert duration_from_text(hours_minutes(seconds)) == timedelta(seconds=to_the_minute(seconds))
    hundredths = (seconds * 100 + 1800) // 3600
    if hundredths < 1000 * 100:
        assert duration_from_text(f"{hours_text(seconds)} h") == timedelta(seconds=hundredths * 36)


ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=30) | st.from_regex(
    r"\A[0-9 .,:hmin+-]{0,12}\Z", fullmatch=True
)


@given(text=ANY_TEXT)
def test_any_text_is_a_duration_of_zero_or_more_or_the_one_refusal(text):
    try:
        duration = duration_from_text(text)
    except DurationSyntaxError:
        return
    assert duration >= timedelta(0)
    assert len(text.strip()) <= DURATION_TEXT_MAX_LENGTH
    stripped = " ".join(text.split()).lower()
    assert re.fullmatch(r"[0-9 .,:hmin]+", stripped, re.ASCII), text  # only ASCII digits, marks and units
    assert duration < timedelta(hours=1000)
    # Case and surrounding whitespace never change the answer.
    assert duration_from_text(f" {text.upper()} ") == duration


@given(text=ANY_TEXT, digit=st.sampled_from("٠١٢٣٤٥٦٧٨٩０１２３４５６７８９߀०"))
def test_a_non_ascii_digit_is_always_refused(text, digit):
    with pytest.raises(DurationSyntaxError):
        duration_from_text((text + digit)[-DURATION_TEXT_MAX_LENGTH:])
