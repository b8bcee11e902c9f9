from decimal import Decimal, InvalidOperation

from django import template

from core.durations import duration_text, duration_text_from_hours, signed_duration_text

register = template.Library()

# Each filter shows a duration in the viewer's format (accounts.User.duration_format: "1:30" or
# "1.50 h"), read by core.durations.duration_text from the request (core.middleware), so a
# template passes no user. The format carries its own unit: write `{{ seconds|hm }}`, not `... h`.


@register.filter
def hm(seconds):
    """Seconds -> the viewer's duration ("1:30", to the nearest minute, or "1.50 h"); empty for None."""
    if seconds is None or seconds == "":
        return ""
    return duration_text(int(seconds))


@register.filter
def signed_hm(seconds):
    """Seconds -> "+1:30" or "−1:30" (or "+1.50 h"): a difference with its own sign."""
    return signed_duration_text(int(seconds or 0))


@register.filter
def hours_hm(hours):
    """Hours (the reports' Decimal, e.g. 129.00) -> the viewer's duration ("129:00" or "129.00 h"); empty for None."""
    try:
        return duration_text_from_hours(Decimal(str(hours)))
    except (InvalidOperation, ValueError, OverflowError):  # None, "", not a finite number: nothing to show
        return ""
