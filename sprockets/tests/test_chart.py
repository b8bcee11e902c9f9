"""Bucketed goal vs actual: counts per hour/day/week from the database, the goal scaled and carried."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from sprockets import services
from sprockets.models import Bucket, bucket_start, production_chart
from sprockets.tests.factories import FactoryFactory, SprocketTypeFactory

pytestmark = pytest.mark.django_db

# A Wednesday; the ISO week starts on Monday 2026-03-02.
CREATED = datetime(2026, 3, 4, 6, 0, tzinfo=UTC)


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def factory():
    with time_machine.travel(CREATED, tick=False):
        return FactoryFactory(sprocket_production_goal=240)


@pytest.fixture
def sprocket_type():
    return SprocketTypeFactory()


def record(factory, sprocket_type, *moments, now=None):
    with time_machine.travel(now or max(moments) + timedelta(minutes=1), tick=False):
        services.sprockets_record(
            items=[{"factory_id": factory.pk, "sprocket_type_id": sprocket_type.pk, "produced_at": m} for m in moments]
        )


def test_bucket_start_truncates_like_the_database():
    moment = datetime(2026, 3, 5, 17, 42, 13, tzinfo=UTC)
    assert bucket_start(moment, Bucket.HOUR) == at(5, 17)
    assert bucket_start(moment, Bucket.DAY) == at(5, 0)
    assert bucket_start(moment, Bucket.WEEK) == datetime(2026, 3, 2, tzinfo=UTC)


def test_hourly_counts_and_goal_per_hour(factory, sprocket_type):
    record(factory, sprocket_type, at(4, 8, 1), at(4, 8, 59), at(4, 9, 0), at(4, 11, 30))
    chart = production_chart(factory=factory, start=at(4, 7, 30), end=at(4, 12), bucket=Bucket.HOUR)
    assert chart["time"] == [at(4, 7), at(4, 8), at(4, 9), at(4, 10), at(4, 11)]
    assert chart["sprocket_production_actual"] == [0, 2, 1, 0, 1]
    assert chart["sprocket_production_goal"] == [Decimal("10.00")] * 5  # 240 a day = 10 an hour


def test_daily_counts_carry_the_goal_and_take_the_highest_on_a_change_day(factory, sprocket_type):
    record(factory, sprocket_type, at(4, 10), at(4, 23, 59), at(6, 0, 0), at(6, 12), at(6, 13))
    with time_machine.travel(at(5, 12), tick=False):
        services.factory_update(factory=factory, data={"sprocket_production_goal": 300})
    with time_machine.travel(at(6, 18), tick=False):
        services.factory_update(factory=factory, data={"sprocket_production_goal": 200})
    chart = production_chart(factory=factory, start=at(3, 0), end=at(8, 0), bucket=Bucket.DAY)
    assert chart["time"] == [at(3, 0), at(4, 0), at(5, 0), at(6, 0), at(7, 0)]
    assert chart["sprocket_production_actual"] == [0, 2, 0, 3, 0]
    # Before the factory existed there is no goal; then 240, raised to 300 on the 5th,
    # lowered to 200 late on the 6th (the day shows its highest goal), 200 after.
    assert chart["sprocket_production_goal"] == [
        None,
        Decimal("240.00"),
        Decimal("300.00"),
        Decimal("300.00"),
        Decimal("200.00"),
    ]


def test_weekly_buckets_start_on_monday_and_scale_the_goal(factory, sprocket_type):
    record(factory, sprocket_type, at(4, 9), at(8, 23), at(9, 0), at(15, 12), now=at(16, 0))
    chart = production_chart(factory=factory, start=at(5, 0), end=at(16, 0), bucket=Bucket.WEEK)
    assert chart["time"] == [at(2, 0), at(9, 0)]  # `from` is rounded down to its Monday
    assert chart["sprocket_production_actual"] == [2, 2]
    assert chart["sprocket_production_goal"] == [Decimal("1680.00")] * 2  # 240 x 7


def test_other_factories_and_out_of_range_sprockets_are_not_counted(factory, sprocket_type):
    other = FactoryFactory()
    record(factory, sprocket_type, at(4, 8), at(4, 10))  # 10:00 is the exclusive end
    record(other, sprocket_type, at(4, 8))
    chart = production_chart(factory=factory, start=at(4, 8), end=at(4, 10), bucket=Bucket.HOUR)
    assert chart["sprocket_production_actual"] == [1, 0]


def test_a_chart_is_a_fixed_number_of_queries(factory, sprocket_type, django_assert_num_queries):
    record(factory, sprocket_type, *[at(4, 8) + timedelta(minutes=n) for n in range(300)])
    with django_assert_num_queries(2):  # one grouped COUNT, one goal timeline
        chart = production_chart(factory=factory, start=at(4, 0), end=at(5, 0), bucket=Bucket.HOUR)
    assert sum(chart["sprocket_production_actual"]) == 300


@pytest.mark.parametrize("bucket", [Bucket.HOUR, Bucket.DAY, Bucket.WEEK])
def test_the_lean_chart_answer_is_what_the_serializer_writes(factory, sprocket_type, bucket):
    from rest_framework.renderers import JSONRenderer

    from sprockets.api import ChartSerializer, chart_representation

    with time_machine.travel(at(5, 10), tick=False):
        services.sprockets_record(
            items=[{"factory_id": factory.pk, "sprocket_type_id": sprocket_type.pk, "produced_at": at(5, 9, 30)}]
        )
    series = production_chart(factory=factory, start=at(1, 0), end=at(8, 0), bucket=bucket)

    lean = JSONRenderer().render(chart_representation(bucket, series))

    assert lean == JSONRenderer().render(ChartSerializer({"bucket": bucket, **series}).data)
    assert b'"2026-03-05T' in lean or bucket == Bucket.WEEK
