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
