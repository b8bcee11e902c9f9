"""Hours from seconds, one way everywhere: two decimal places, rounded half up.

The entries API, the timesheet, the summary report and every export show an entry's hours;
they must agree to the hundredth, so there is one rounding rule (half up, as a person rounds)
and two spellings of it: a `Decimal` for arithmetic and JSON, and plain text computed in integer
arithmetic for the exports, where building a Decimal per row cost a tenth of the export's time
(a test compares the two over a large range).
"""

from decimal import ROUND_HALF_UP, Decimal

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
