"""core.filters.keyword_fields: the one idiom for query parameters named after Python keywords (`from`)."""

from datetime import date

import django_filters
import pytest
from django.contrib.auth.models import Group
from rest_framework import serializers

from core.filters import DayFilter, keyword_fields, ordered_day_range, read_in_filter_queryset


@keyword_fields
class RangeSerializer(serializers.Serializer):
    from_ = serializers.DateField(required=False)
    to = serializers.DateField(required=False)
    class_ = serializers.CharField(required=False)  # any keyword, not only `from`
    other_ = serializers.CharField(required=False)  # not a keyword: keeps its name


@keyword_fields
class RangeFilter(django_filters.FilterSet):
    from_ = DayFilter(method=read_in_filter_queryset)
    to = DayFilter(method=read_in_filter_queryset)

    class Meta:
        model = Group
        fields = []


def test_a_serializer_reads_and_names_from_in_declaration_order():
    serializer = RangeSerializer(data={"from": "2026-03-09", "to": "2026-03-15", "class": "a", "other_": "b"})
    assert serializer.is_valid(), serializer.errors
    assert list(serializer.fields) == ["from", "to", "class", "other_"]
    assert serializer.validated_data == {"from": date(2026, 3, 9), "to": date(2026, 3, 15), "class": "a", "other_": "b"}


def test_a_serializer_refuses_a_bad_from_by_its_name():
    serializer = RangeSerializer(data={"from": "yesterday"})
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"from"}
    assert "from_" not in RangeSerializer(data={"from_": "2026-03-09"}).fields


def test_a_filterset_names_from_and_orders_the_range(db):
    assert list(RangeFilter.base_filters) == ["from", "to"]
    ok = RangeFilter(data={"from": "2026-03-09", "to": "2026-03-15"}, queryset=Group.objects.all())
    assert ok.is_valid()
    assert ordered_day_range(ok.form.cleaned_data) == (date(2026, 3, 9), date(2026, 3, 15))
    bad = RangeFilter(data={"from": "2026-03-16", "to": "2026-03-15"}, queryset=Group.objects.all())
    assert bad.is_valid()
    with pytest.raises(serializers.ValidationError) as refused:
        ordered_day_range(bad.form.cleaned_data)
    assert refused.value.detail == {"to": ["`to` must not be before `from`."]}
    out_of_range = RangeFilter(data={"from": "1999-12-31"}, queryset=Group.objects.all())
    assert not out_of_range.is_valid()
    assert set(out_of_range.errors) == {"from"}
