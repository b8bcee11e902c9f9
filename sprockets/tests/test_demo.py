"""Demo production: factories with a few weeks of sprockets, and a second run creates nothing."""

import io

import pytest
from django.core.management.base import OutputWrapper
from django.db.models import Count

from accounts import demo as accounts_demo
from sprockets import demo
from sprockets.models import PRODUCTION_GROUP_NAME, Factory, ProductionChartPoint, Sprocket

pytestmark = pytest.mark.django_db


def test_demo_is_consistent_and_idempotent():
    out = OutputWrapper(io.StringIO())
    users = accounts_demo.seed(out)
    demo.seed(out, users)
    counts = (Factory.objects.count(), Sprocket.objects.count(), ProductionChartPoint.objects.count())
    assert counts[0] == 3 and counts[1] > 3 * 14 * 100
    for factory in Factory.objects.annotate(made=Count("sprockets")):
        assert factory.sprocket_production_actual == factory.made
        first, last = (
            factory.sprockets.order_by("produced_at").first(),
            factory.sprockets.order_by("produced_at").last(),
        )
        assert (last.produced_at - first.produced_at).days >= 14
        assert factory.chart_points.order_by("time").first().reason == "created"
    assert users["manager"].groups.filter(name=PRODUCTION_GROUP_NAME).exists()
    demo.seed(out, users)
    assert (Factory.objects.count(), Sprocket.objects.count(), ProductionChartPoint.objects.count()) == counts
    assert "Munich Sprocket Works" in out._out.getvalue()
