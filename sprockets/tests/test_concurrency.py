"""On PostgreSQL, with real connections: parallel recordings for one factory never lose a count."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from sprockets import services
from sprockets.models import Factory, ProductionChartPoint, Sprocket
from sprockets.tests.factories import FactoryFactory, SprocketTypeFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

THREADS = 8
BATCH = 25


def test_parallel_batches_give_the_exact_total():
    factory = FactoryFactory(sprocket_production_goal=500)
    other = FactoryFactory()
    sprocket_type = SprocketTypeFactory()
    produced_at = timezone.now() - timedelta(minutes=1)
    start = threading.Barrier(THREADS)
    errors = []

    def record(number):
        try:
            # Half the threads also touch a second factory, in the opposite order: lock ordering prevents deadlocks.
            items = [
                {
                    "factory_id": factory.pk,
                    "sprocket_type_id": sprocket_type.pk,
                    "produced_at": produced_at,
                    "serial_number": f"T{number}-{n}",
                }
                for n in range(BATCH)
            ]
            if number % 2:
                items.insert(
                    0, {"factory_id": other.pk, "sprocket_type_id": sprocket_type.pk, "produced_at": produced_at}
                )
            start.wait()
            services.sprockets_record(items=items)
        except Exception as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    factory.refresh_from_db()
    other.refresh_from_db()
    assert factory.sprocket_production_actual == THREADS * BATCH == Sprocket.objects.filter(factory=factory).count()
    assert other.sprocket_production_actual == THREADS // 2
    # Each recording's chart point saw a distinct, exact running total.
    totals = sorted(
        ProductionChartPoint.objects.filter(factory=factory, reason="production").values_list(
            "sprocket_production_actual", flat=True
        )
    )
    assert totals == [BATCH * n for n in range(1, THREADS + 1)]


def test_parallel_single_recordings_with_the_same_serial_one_wins():
    factory = FactoryFactory()
    sprocket_type = SprocketTypeFactory()
    produced_at = timezone.now() - timedelta(minutes=1)
    start = threading.Barrier(4)
    outcomes = []

    def record():
        try:
            start.wait()
            services.sprocket_record(
                factory_id=factory.pk, sprocket_type_id=sprocket_type.pk, produced_at=produced_at, serial_number="SAME"
            )
            outcomes.append("ok")
        except services.SprocketsError as error:
            outcomes.append(error.field)
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "serial_number", "serial_number", "serial_number"]
    assert Factory.objects.get(pk=factory.pk).sprocket_production_actual == 1
