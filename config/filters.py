"""Query-parameter filters shared by the apps' filter sets."""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField


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
