"""Input fields shared by the apps: days and moments as the API, filters and forms read them."""

from datetime import UTC, date

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField
from rest_framework import serializers

# The days a request may name. Python's calendar ends at years 1 and 9999, and a day near either
# end overflows as soon as a week, a time zone or a day after is added to it.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def validate_day(value):
    """A day within [FIRST_DAY, LAST_DAY] (a validator for form, filter and serializer fields)."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(f"Give a day between {FIRST_DAY} and {LAST_DAY}.", code="out_of_range")


class DayField(serializers.DateField):
    """A serializer's YYYY-MM-DD day, within [FIRST_DAY, LAST_DAY]."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(validate_day)


class DayFilter(django_filters.DateFilter):
    """A filter's YYYY-MM-DD day, within [FIRST_DAY, LAST_DAY]."""

    def __init__(self, *args, **kwargs):
        kwargs["validators"] = [*kwargs.get("validators", []), validate_day]
        super().__init__(*args, **kwargs)


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, handed on in UTC.

    Python accepts offsets up to ±23:59 but PostgreSQL stores at most ±15:59, and a moment near
    year 1 or 9999 may leave the calendar once it is in UTC: both are answered here (a value, or
    a 400), never by the database.
    """

    default_error_messages = {"out_of_range": "Enter a moment between the years 1 and 9999 in UTC."}

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField
