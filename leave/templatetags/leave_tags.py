from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def amount(value):
    """A leave amount without trailing zeros: 4.50 -> 4.5, 5.00 -> 5, -2.25 -> -2.25."""
    if value in (None, ""):
        return ""
    value = Decimal(value)
    text = f"{value.quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
