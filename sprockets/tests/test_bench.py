"""The chart benchmark command measures, and leaves the database as it found it."""

import io

import pytest
from django.core.management import call_command

from sprockets.models import Factory, Sprocket

pytestmark = pytest.mark.django_db


def test_bench_production_chart_reports_and_rolls_back():
    out = io.StringIO()
    call_command("bench_production_chart", "--sprockets", "240", "--days", "10", stdout=out)
    text = out.getvalue()
    assert "Inserted 240 sprockets" in text
    assert "day  over  10 days:   11 buckets" in text
    assert "Rolled back" in text
    assert not Factory.objects.exists() and not Sprocket.objects.exists()
