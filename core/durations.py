"""Durations, one way everywhere: hours from seconds, the one grammar people type durations in,
and the one display of a duration, in the viewer's chosen format.

Hours from seconds: two decimal places, rounded half up.

The entries API, the timesheet, the summary report and every export show an entry's hours;
they must agree to the hundredth, so there is one rounding rule (half up, as a person rounds)
and two spellings of it: a `Decimal` for arithmetic and JSON, and plain text computed in integer
arithmetic for the exports, where building a Decimal per row cost a tenth of the export's time
(a test compares the two over a large range).
"""

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy

SECONDS_PER_HOUR = 3600
_HOUR = Decimal(SECONDS_PER_HOUR)
_CENTS = Decimal("0.01")


def hours_from_seconds(seconds: int | float | Decimal) -> Decimal:
    """`seconds` as hours with two decimal places, rounded half up (5400 → Decimal("1.50"))."""
    return (Decimal(seconds) / _HOUR).quantize(_CENTS, rounding=ROUND_HALF_UP)


def hours_text(seconds: int) -> str:
    """`hours_from_seconds(seconds)` as text ("1.50"), in integer arithmetic for whole seconds:
    hundredths of an hour rounded half up are (seconds * 100 + 1800) // 3600."""
    if seconds < 0:
        return str(hours_from_seconds(seconds))
    hundredths = (seconds * 100 + SECONDS_PER_HOUR // 2) // SECONDS_PER_HOUR
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def seconds_from_hours(hours: int | float | Decimal) -> int:
    """Whole seconds in `hours` (contract hours → expected seconds), truncated like `int()`."""
    return int(Decimal(hours) * SECONDS_PER_HOUR)


def to_the_minute(seconds: int | float) -> int:
    """`seconds` rounded to the nearest whole minute, half up, in seconds (72630 → 72660)."""
    sign = -1 if seconds < 0 else 1
    return sign * ((int(abs(seconds)) + 30) // 60) * 60


def hours_minutes(seconds: int | float) -> str:
    """Seconds as "H:MM", rounded to the nearest minute, half up (5400 → "1:30", 72630 → "20:11"):
    the page's spelling of a duration, so 20 h 10 min 30 s is not shown as 20:10. Negative: "−H:MM"."""
    sign = "−" if seconds < 0 else ""
    minutes = (int(abs(seconds)) + 30) // 60
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


# --- The one duration grammar -------------------------------------------------------------------
#
# What a person types for "how long": the entry form, the week grid, the API's `duration` and the
# importers' duration columns all read it here, so "90" means the same thing everywhere.
#
#   clock        1:30  01:30  12:05  1:30:00       H:MM or H:MM:SS (minutes, seconds below 60)
#   hours        1.5  1,5  1.5h  1,5 h  2h  2 h    decimal hours, at most 2 decimals; "h" optional
#                                                  after a decimal, needed after a whole number
#   h and m      1h30m  1h 30m  1h30  1h 30 min    whole hours, then minutes below 60
#   minutes      90m  90 min  480min               minutes, at most 4 digits
#   bare number  5  90  480                        1 to 3 digits: minutes (90 = 1:30, 5 = 0:05)
#                0130  1230                        exactly 4 digits: HHMM (minutes below 60)
#
# Case does not matter, nor whitespace around the text or between its parts (a run of it reads as
# one space). Everything else is refused: a sign, a unit other than h / m / min, more digits, a
# second decimal mark, non-ASCII digits, more than DURATION_TEXT_MAX_LENGTH characters (whitespace
# around aside). The grammar sets no upper limit beyond its digits (999:59:59 at most) and allows
# zero: callers refuse what is too long or too short for them (timetracking: more than zero, at
# most TIME_ENTRY_MAX_HOURS).

DURATION_TEXT_MAX_LENGTH = 20
DURATION_FORMS = "1:30, 1.5, 1,5, 1.5h, 1h30m, 90m, or minutes alone (90); four digits are HHMM (0130)"
DURATION_SYNTAX_MESSAGE = f"Give a duration like {DURATION_FORMS}."
# For help texts and the OpenAPI description of every duration input.
DURATION_GRAMMAR_HELP = (
    "A duration: H:MM or H:MM:SS (1:30, 01:30), decimal hours with a point or a comma and an optional h "
    "(1.5, 1,5, 1.5h), whole hours with h (2h), hours and minutes (1h30m, 1h 30m, 1h30), minutes (90m, 90 min), "
    "or a bare number: 1 to 3 digits are minutes (90 = 1:30), 4 digits are HHMM (0130 = 1:30). "
    "Case-insensitive; spaces allowed."
)


class DurationSyntaxError(ValueError):
    """The text is not a duration in the grammar. Its message names the accepted forms."""

    def __init__(self, message: str = DURATION_SYNTAX_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


# re.ASCII: `\d` is 0-9 only (without it, Python's `\d` also matches "١" or "３") and `\s` ASCII.
_CLOCK = re.compile(r"(?P<hours>\d{1,3}):(?P<minutes>[0-5]\d)(?::(?P<seconds>[0-5]\d))?", re.ASCII)
_DECIMAL_HOURS = re.compile(r"(?P<hours>\d{1,3})(?:[.,](?P<fraction>\d{1,2}) ?h?| ?h)", re.ASCII)
_HOURS_AND_MINUTES = re.compile(r"(?P<hours>\d{1,3}) ?h ?(?P<minutes>[0-5]?\d) ?(?:m|min)?", re.ASCII)
_MINUTES = re.compile(r"(?P<minutes>\d{1,4}) ?(?:m|min)|(?P<bare_minutes>\d{1,3})", re.ASCII)
_HHMM = re.compile(r"(?P<hours>\d\d)(?P<minutes>[0-5]\d)", re.ASCII)
_GRAMMAR = (_CLOCK, _DECIMAL_HOURS, _HOURS_AND_MINUTES, _MINUTES, _HHMM)


def duration_from_text(text: str) -> timedelta:
    """A duration as a person types it, in the grammar above -> timedelta (>= 0), to the second.

    "1:30", "1.5", "1,5 h", "1h30", "90m", "90" -> 1 h 30 min; "0130" -> 1 h 30 min; "480" -> 8 h.
    Raises DurationSyntaxError (a ValueError) for anything else."""
    if not isinstance(text, str):
        raise DurationSyntaxError
    text = text.strip()
    if len(text) > DURATION_TEXT_MAX_LENGTH:
        raise DurationSyntaxError
    # Any run of whitespace (a no-break space too) reads as one space; case is ignored.
    normalized = " ".join(text.split()).lower()
    for pattern in _GRAMMAR:
        match = pattern.fullmatch(normalized)
        if match is not None:
            parts = {name: int(value) for name, value in match.groupdict().items() if value is not None}
            # Two decimals of an hour are whole seconds (0.01 h = 36 s): nothing is rounded.
            fraction = match.groupdict().get("fraction")
            hundredths = int(fraction.ljust(2, "0")) if fraction else 0
            return timedelta(
                hours=parts.get("hours", 0),
                minutes=parts.get("minutes", 0) + parts.get("bare_minutes", 0),
                seconds=parts.get("seconds", 0) + hundredths * SECONDS_PER_HOUR // 100,
            )
    raise DurationSyntaxError


# --- The one display of a duration ------------------------------------------------------------
#
# Each user chooses how durations read (accounts.User.duration_format). Pages do not pass the
# user to every filter: core.middleware.DurationFormatMiddleware tells this module, for the time of
# a request, where to read the viewer's choice (request.user, read lazily, so a page that shows no
# duration costs nothing more), and `duration_text` reads it. Outside a request (a Celery task, a
# management command, a test rendering a template alone) the default applies.


class DurationFormat(models.TextChoices):
    HOURS_MINUTES = "hm", gettext_lazy("Hours and minutes (1:30)")
    DECIMAL = "decimal", gettext_lazy("Decimal hours (1.50 h)")


DEFAULT_DURATION_FORMAT = DurationFormat.HOURS_MINUTES
_FORMAT_SOURCE: ContextVar[Callable[[], object] | None] = ContextVar("duration_format_source", default=None)


@contextmanager
def duration_format_from(source: Callable[[], object]) -> Iterator[None]:
    """Within the block, `duration_text` uses the format `source()` returns (called when a duration
    is shown; anything not a DurationFormat value, e.g. None for an anonymous visitor, is the default)."""
    token = _FORMAT_SOURCE.set(source)
    try:
        yield
    finally:
        _FORMAT_SOURCE.reset(token)


def use_duration_format(duration_format: str) -> AbstractContextManager[None]:
    """Within the block, durations are shown in `duration_format` (an export for a given user, a test)."""
    return duration_format_from(lambda: duration_format)


def current_duration_format() -> DurationFormat:
    """The viewer's format in this context, else the default."""
    source = _FORMAT_SOURCE.get()
    chosen = source() if source is not None else None
    if isinstance(chosen, str) and chosen in DurationFormat.values:
        return DurationFormat(chosen)
    return DEFAULT_DURATION_FORMAT


def duration_text(seconds: int | float | Decimal, *, duration_format: str | None = None) -> str:
    """Seconds as the viewer reads them: "1:30" (to the nearest minute) or "1.50 h" (to the hundredth,
    half up), negative with "−". `duration_format` overrides the viewer's choice."""
    chosen = duration_format if duration_format in DurationFormat.values else current_duration_format()
    whole = int(seconds)
    if chosen == DurationFormat.DECIMAL:
        return f"{'−' if whole < 0 else ''}{hours_text(abs(whole))} h"
    return hours_minutes(whole)


def signed_duration_text(seconds: int | float | Decimal, *, duration_format: str | None = None) -> str:
    """A difference with its own sign: "+1:30" / "−1:30" (or "+1.50 h"); zero is "+0:00"."""
    text = duration_text(seconds, duration_format=duration_format)
    return text if text.startswith("−") else "+" + text


def duration_text_from_hours(hours: int | float | Decimal, *, duration_format: str | None = None) -> str:
    """`duration_text` of a number of hours (the reports' Decimal hours: 129.00 -> "129:00" or "129.00 h")."""
    return duration_text(Decimal(hours) * SECONDS_PER_HOUR, duration_format=duration_format)
