"""`{{ amount|money:currency }}`: an amount in its currency's minor unit, in the active language's
number format (1.234,50 EUR in German, 1,234.50 EUR in English; JPY without decimals), and
`{{ quantity|hours }}`: hours with at most two decimals."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

from billing.currencies import MINOR_UNITS, is_currency, round_money

register = template.Library()


@register.filter
def money(value, currency):
    if value is None or value == "":
        return ""
    if not is_currency(currency):
        return str(value)
    rounded = round_money(Decimal(value), currency)
    return f"{number_format(rounded, decimal_pos=MINOR_UNITS[currency], force_grouping=True)} {currency}"


@register.filter
def hours(value):
    if value is None or value == "":
        return ""
    rounded = Decimal(value).quantize(Decimal("0.01"))
    places = 0 if rounded == rounded.to_integral() else 2
    return number_format(rounded, decimal_pos=places, force_grouping=True)


@register.filter
def seconds_as_hours(seconds):
    if seconds is None or seconds == "":
        return ""
    return hours(Decimal(int(seconds)) / 3600)
