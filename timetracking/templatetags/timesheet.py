from django import template

from core.durations import hours_minutes

register = template.Library()


@register.filter
def hm(seconds):
    """Seconds -> "H:MM", to the nearest minute (core.durations.hours_minutes); empty for None."""
    if seconds is None or seconds == "":
        return ""
    return hours_minutes(int(seconds))


@register.filter
def signed_hm(seconds):
    """Seconds -> "+H:MM" or "−H:MM": a difference with its own sign."""
    text = hours_minutes(int(seconds or 0))
    return text if text.startswith("−") else "+" + text
