from django import template

register = template.Library()


@register.filter
def hm(seconds):
    """Seconds -> "H:MM" (e.g. 5400 -> "1:30"); empty for None."""
    if seconds is None or seconds == "":
        return ""
    minutes = int(seconds) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


@register.filter
def negate(value):
    """-value (for showing a negative difference with its own sign)."""
    return -int(value or 0)
