"""Input fields shared by the apps: days and moments as the API, filters and forms read them."""

import keyword
from collections.abc import Iterable, Mapping
from contextlib import suppress
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, ngettext
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.filters import BaseFilterBackend, OrderingFilter
from rest_framework.mixins import ListModelMixin
from rest_framework.settings import api_settings

from core.days import FIRST_DAY, LAST_DAY

_Declaring = TypeVar("_Declaring", bound=type[django_filters.FilterSet] | type[serializers.Serializer])
_Rows = TypeVar("_Rows")


def validate_day(value: date) -> None:
    """A day within [FIRST_DAY, LAST_DAY] (a validator for form, filter and serializer fields)."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(
            gettext("Give a day between {FIRST_DAY} and {LAST_DAY}.").format(FIRST_DAY=FIRST_DAY, LAST_DAY=LAST_DAY),
            code="out_of_range",
        )


class DayField(serializers.DateField):
    """A serializer's YYYY-MM-DD day, within [FIRST_DAY, LAST_DAY]."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(validate_day)


class MomentField(serializers.DateTimeField):
    """A serializer's ISO 8601 moment whose day as written (in its own offset, or in the caller's zone
    when it has none) lies within [FIRST_DAY, LAST_DAY]: the one range of days, for moments too.

    The day is checked before DRF makes the moment aware: that step compares it with UTC, which
    overflows at 0001-01-01T00:00 in a zone east of Greenwich. Within the range, no offset (up to
    ±23:59) or time zone can carry a moment off the calendar later (local days, weeks, day after).
    core.serializers.ModelSerializer maps model DateTimeFields to it.
    """

    default_error_messages = {"out_of_range": f"Give a moment between {FIRST_DAY} and {LAST_DAY}."}

    def _check(self, moment: object) -> None:
        if isinstance(moment, datetime) and not FIRST_DAY <= moment.date() <= LAST_DAY:
            self.fail("out_of_range")

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            with suppress(ValueError):
                self._check(parse_datetime(value))
        else:
            self._check(value)
        moment = super().to_internal_value(value)
        self._check(moment)  # also when read by one of DATETIME_INPUT_FORMATS' strptime formats
        return moment


class DayFilter(django_filters.DateFilter):
    """A filter's YYYY-MM-DD day, within [FIRST_DAY, LAST_DAY]."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["validators"] = [*kwargs.get("validators", []), validate_day]
        super().__init__(*args, **kwargs)


# The largest id any table has (PostgreSQL's bigint): a larger one is a 400, never a database error.
LARGEST_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": LARGEST_ID})
class IdFilter(django_filters.NumberFilter):
    """A filter on an id (`?user=3`): an integer, typed so in the OpenAPI schema (a NumberFilter reads
    a decimal and is declared a `number`, which generated clients type as a float)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", LARGEST_ID)
        super().__init__(*args, **kwargs)


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 moment, handed on in UTC.

    Python accepts offsets up to ±23:59 but PostgreSQL stores at most ±15:59, and a moment near
    year 1 or 9999 may leave the calendar once it is in UTC: both are answered here (a value, or
    a 400), never by the database.
    """

    default_error_messages = {"out_of_range": "Enter a moment between the years 1 and 9999 in UTC."}

    def to_python(self, value: Any) -> datetime | None:
        moment: datetime | None = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["out_of_range"], code="out_of_range") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


# --- Query parameters named after Python keywords (`from`) ---------------------------------------


def _renamed(names: Iterable[str]) -> dict[str, str]:
    """`from_` → `from`: the declared names that stand for a Python keyword, in declaration order."""
    return {name: name[:-1] for name in names if name.endswith("_") and keyword.iskeyword(name[:-1])}


def keyword_fields(cls: _Declaring) -> _Declaring:
    """Class decorator: the filters of a FilterSet or the fields of a serializer declared as `from_`
    are named `from` (a keyword cannot be a class attribute). The one idiom for `from`/`to` pairs,
    through public API only: django-filter's `base_filters` and DRF's `get_fields()`. Order kept."""
    if issubclass(cls, django_filters.FilterSet):
        filterset = cast("type[django_filters.FilterSet]", cls)
        renames = _renamed(filterset.base_filters)
        filterset.base_filters = {renames.get(name, name): item for name, item in filterset.base_filters.items()}
        return cls
    serializer = cast("type[serializers.Serializer[Any]]", cls)
    declared_get_fields = serializer.get_fields

    def get_fields(self: serializers.Serializer) -> dict[str, serializers.Field]:
        fields = declared_get_fields(self)
        renames = _renamed(fields)
        return {renames.get(name, name): field for name, field in fields.items()}

    serializer.get_fields = get_fields  # type: ignore[method-assign]
    return cls


def read_in_filter_queryset(queryset: _Rows, name: str, value: date) -> _Rows:
    """The `method` of a day filter whose value the FilterSet's own `filter_queryset` reads (a day
    range applied in the user's time zone, say): filtering on it alone would be wrong, so it does
    nothing. (`value: date` also types the parameter in the OpenAPI schema.)"""
    return queryset


def ordered_day_range(cleaned: Mapping[str, Any]) -> tuple[date | None, date | None]:
    """`from` and `to` of a FilterSet's cleaned data, refusing `to` before `from` (400, on `to`)."""
    first, last = cleaned.get("from"), cleaned.get("to")
    if first and last and first > last:
        raise serializers.ValidationError({"to": [gettext("`to` must not be before `from`.")]})
    return first, last


# --- Unknown query parameters ------------------------------------------------------------------

UNKNOWN_PARAMETER = "unknown_parameter"


def list_query_parameters(view: Any, queryset: Any) -> set[str]:
    """The query parameters a list view reads: its FilterSet's filters, `ordering` (with an
    OrderingFilter), the paginator's `page` and `page_size`, the view's `extra_query_parameters`
    (what it reads itself, e.g. `with_chart_data`) and DRF's `format` (?format=json|api)."""
    names = set(getattr(view, "extra_query_parameters", ()))
    if api_settings.URL_FORMAT_OVERRIDE:
        names.add(api_settings.URL_FORMAT_OVERRIDE)
    for backend in getattr(view, "filter_backends", ()):
        if issubclass(backend, DjangoFilterBackend):
            filterset_class = backend().get_filterset_class(view, queryset)
            for name, declared in getattr(filterset_class, "base_filters", {}).items():
                # A range filter reads `<name>_<suffix>` (`produced_after`, `produced_before`).
                suffixes = getattr(declared.field_class.widget, "suffixes", None)
                names.update(f"{name}_{suffix}" if suffix else name for suffix in suffixes or [""])
        elif issubclass(backend, OrderingFilter):
            names.add(backend.ordering_param)
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        for attribute in ("page_query_param", "page_size_query_param"):
            if getattr(paginator, attribute, None):
                names.add(getattr(paginator, attribute))
    return names


class KnownQueryParametersFilter(BaseFilterBackend):
    """A list refuses a query parameter it does not read (400 `unknown_parameter`, naming each one).

    Ignoring it silently answers with the wrong rows: `?postal_code=` on a list without that filter,
    or a typo (`?projcet=3`), returned everything. The first of DEFAULT_FILTER_BACKENDS, so every
    list checks (detail views and actions do not: they are not lists). The names allowed are the
    ones the OpenAPI schema declares for the list (config/tests/test_query_parameters.py checks it).
    """

    def filter_queryset(self, request: Any, queryset: _Rows, view: Any) -> _Rows:
        if not is_list(view):
            return queryset
        refuse_unknown_parameters(request, list_query_parameters(view, queryset))
        return queryset


def refuse_unknown_parameters(request: Any, accepted: set[str], *, what: str = "list") -> None:
    """400 `unknown_parameter` naming each query parameter of `request` not in `accepted` (the lists
    through KnownQueryParametersFilter; plain API views that read a few parameters call it themselves)."""
    unknown = sorted(set(request.query_params) - accepted)
    if unknown:
        known = ", ".join(f"`{name}`" for name in sorted(accepted))
        raise serializers.ValidationError(
            {
                "code": UNKNOWN_PARAMETER,
                "detail": ngettext(
                    "Unknown query parameter: {join}. This {what} reads {known}.",
                    "Unknown query parameters: {join}. This {what} reads {known}.",
                    len(unknown),
                ).format(join=", ".join(unknown), what=what, known=known),
                **{name: [f"`{name}` is not a query parameter of this {what}."] for name in unknown},
            }
        )


def is_list(view: Any) -> bool:
    """A viewset's `list` action, or a generic list view's GET (ListAPIView, ListCreateAPIView)."""
    action = getattr(view, "action", None)
    if action is not None:
        return bool(action == "list")
    lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
    request = getattr(view, "request", None)
    return (
        isinstance(view, ListModelMixin)
        and request is not None
        and request.method in ("GET", "HEAD")
        and lookup not in getattr(view, "kwargs", {})
    )
