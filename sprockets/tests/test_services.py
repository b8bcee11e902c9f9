"""The production rules: each with its bad input, and the chart history they write."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from sprockets import services
from sprockets.models import ChartPointReason, Factory, Location, ProductionChartPoint, Sprocket, SprocketType
from sprockets.tests.factories import FactoryFactory, LocationFactory, SprocketFactory, SprocketTypeFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def points(factory):
    return list(
        ProductionChartPoint.objects.filter(factory=factory)
        .order_by("id")
        .values_list("reason", "sprocket_production_goal", "sprocket_production_actual")
    )


def item(factory, sprocket_type, **extra):
    return {
        "factory_id": factory.pk,
        "sprocket_type_id": sprocket_type.pk,
        "produced_at": timezone.now() - timedelta(minutes=5),
        **extra,
    }


# --- Locations and sprocket types -------------------------------------------------------------------


def location_data(**extra):
    return {
        "name": "Leipzig Works",
        "address_1": "1 Main Street",
        "city": "Leipzig",
        "country_code": "DE",
        "postal_code": "04109",
        **extra,
    }


def test_location_create():
    location = services.location_create(data=location_data())
    assert Location.objects.get(pk=location.pk).postal_code == "04109"


@pytest.mark.parametrize(
    ("bad", "field"),
    [({"country_code": "XX"}, "country_code"), ({"country_code": "de"}, "country_code"), ({"name": "x" * 101}, "name")],
)
def test_location_bad_input_is_refused(bad, field):
    with pytest.raises(ValidationError) as error:
        services.location_create(data=location_data(**bad))
    assert field in error.value.message_dict
    assert not Location.objects.filter(postal_code="04109").exists()


def test_location_postal_code_is_unique():
    LocationFactory(postal_code="04109")
    with pytest.raises(ValidationError) as error:
        services.location_create(data=location_data())
    assert "postal_code" in error.value.message_dict


def test_location_in_use_cannot_be_deleted():
    factory = FactoryFactory()
    with pytest.raises(services.SprocketsConflict):
        services.location_delete(location=factory.location)
    assert Location.objects.filter(pk=factory.location.pk).exists()


def test_unknown_field_is_refused():
    with pytest.raises(services.SprocketsError):
        services.location_create(data=location_data(id=5))


def type_data(**extra):
    return {
        "name": "T20",
        "teeth": 20,
        "pitch_diameter": Decimal("80"),
        "pitch": Decimal("12.7"),
        "outside_diameter": Decimal("88"),
        **extra,
    }


def test_sprocket_type_create():
    assert services.sprocket_type_create(data=type_data()).teeth == 20


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"teeth": -3}, "teeth"),
        ({"teeth": 0}, "teeth"),
        ({"pitch": Decimal("0")}, "pitch"),
        ({"pitch_diameter": Decimal("-1")}, "pitch_diameter"),
        ({"outside_diameter": Decimal("80")}, "__all__"),
        ({"outside_diameter": Decimal("70")}, "__all__"),
    ],
)
def test_sprocket_type_bad_input_is_refused(bad, field):
    with pytest.raises(ValidationError) as error:
        services.sprocket_type_create(data=type_data(**bad))
    assert field in error.value.message_dict
    assert not SprocketType.objects.filter(name="T20").exists()


def test_sprocket_type_update_keeps_outside_diameter_rule():
    sprocket_type = SprocketTypeFactory()
    with pytest.raises(ValidationError):
        services.sprocket_type_update(sprocket_type=sprocket_type, data={"pitch_diameter": Decimal("500")})
    sprocket_type.refresh_from_db()
    assert sprocket_type.pitch_diameter == Decimal("97.34")


def test_sprocket_type_in_use_cannot_be_deleted():
    sprocket = SprocketFactory()
    with pytest.raises(services.SprocketsConflict):
        services.sprocket_type_delete(sprocket_type=sprocket.sprocket_type)
    services.sprocket_type_delete(sprocket_type=SprocketTypeFactory())


# --- Factories and their chart points ----------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_factory_create_records_the_first_chart_point():
    factory = services.factory_create(
        data={"name": "Leipzig", "location_id": LocationFactory().pk, "sprocket_production_goal": 120}
    )
    point = ProductionChartPoint.objects.get(factory=factory)
    assert (point.time, point.reason) == (NOW, ChartPointReason.CREATED)
    assert (point.sprocket_production_goal, point.sprocket_production_actual) == (120, 0)


def test_factory_create_with_unknown_location_is_a_field_error():
    with pytest.raises(services.SprocketsError) as error:
        services.factory_create(data={"name": "Ghost", "location_id": 999_999, "sprocket_production_goal": 1})
    assert error.value.field == "location_id"
    assert not Factory.objects.exists()


def test_factory_negative_goal_is_refused():
    with pytest.raises(ValidationError) as error:
        services.factory_create(data={"name": "X", "location_id": LocationFactory().pk, "sprocket_production_goal": -1})
    assert "sprocket_production_goal" in error.value.message_dict
    assert not ProductionChartPoint.objects.exists()


def test_goal_change_records_a_point_and_other_changes_do_not():
    factory = FactoryFactory(sprocket_production_goal=100)
    services.factory_update(factory=factory, data={"name": "Renamed"})
    assert points(factory) == [("created", 100, 0)]
    updated = services.factory_update(factory=factory, data={"sprocket_production_goal": 150})
    assert updated.sprocket_production_goal == 150
    assert points(factory) == [("created", 100, 0), ("goal", 150, 0)]
    services.factory_update(factory=factory, data={"sprocket_production_goal": 150})
    assert len(points(factory)) == 2


def test_factory_with_production_cannot_be_deleted():
    sprocket = SprocketFactory()
    with pytest.raises(services.SprocketsConflict):
        services.factory_delete(factory=sprocket.factory)
    empty = FactoryFactory()
    services.factory_delete(factory=empty)
    assert not ProductionChartPoint.objects.filter(factory_id=empty.pk).exists()


# --- Recording production --------------------------------------------------------------------------


def test_recording_one_sprocket_updates_actual_and_records_a_point():
    factory = FactoryFactory(sprocket_production_goal=100)
    sprocket_type = SprocketTypeFactory()
    sprocket = services.sprocket_record(**item(factory, sprocket_type, serial_number=" SN-1 "))
    assert sprocket.serial_number == "SN-1"
    factory.refresh_from_db()
    assert factory.sprocket_production_actual == 1
    assert points(factory) == [("created", 100, 0), ("production", 100, 1)]


def test_recording_a_batch_adds_one_point_per_factory():
    first, second = FactoryFactory(), FactoryFactory()
    sprocket_type = SprocketTypeFactory()
    items = [item(first, sprocket_type) for _ in range(3)] + [item(second, sprocket_type) for _ in range(2)]
    created = services.sprockets_record(items=items)
    assert len(created) == 5 and all(sprocket.pk for sprocket in created)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.sprocket_production_actual, second.sprocket_production_actual) == (3, 2)
    assert points(first)[-1] == ("production", 100, 3)
    assert points(second)[-1] == ("production", 100, 2)


def test_unknown_factory_is_a_400_field_error_and_nothing_is_written():
    factory = FactoryFactory()
    sprocket_type = SprocketTypeFactory()
    items = [item(factory, sprocket_type), {**item(factory, sprocket_type), "factory_id": 999_999}]
    with pytest.raises(services.SprocketsError) as error:
        services.sprockets_record(items=items)
    assert error.value.field == "factory_id"
    assert error.value.kind == "invalid"
    assert "Sprocket 2" in error.value.message and "999999" in error.value.message
    factory.refresh_from_db()
    assert factory.sprocket_production_actual == 0
    assert not Sprocket.objects.exists()
    assert len(points(factory)) == 1


def test_unknown_sprocket_type_is_a_field_error():
    with pytest.raises(services.SprocketsError) as error:
        services.sprocket_record(**{**item(FactoryFactory(), SprocketTypeFactory()), "sprocket_type_id": 999_999})
    assert error.value.field == "sprocket_type_id"


def test_duplicate_serial_in_the_factory_is_refused():
    existing = SprocketFactory(serial_number="SN-1")
    with pytest.raises(services.SprocketsError) as error:
        services.sprocket_record(**item(existing.factory, existing.sprocket_type, serial_number="SN-1"))
    assert error.value.field == "serial_number"
    assert Sprocket.objects.count() == 1


def test_duplicate_serial_inside_one_batch_refuses_the_batch():
    factory, sprocket_type = FactoryFactory(), SprocketTypeFactory()
    items = [item(factory, sprocket_type, serial_number="A"), item(factory, sprocket_type, serial_number="A")]
    with pytest.raises(services.SprocketsError) as error:
        services.sprockets_record(items=items)
    assert error.value.field == "serial_number"
    assert not Sprocket.objects.exists()


def test_same_serial_in_two_factories_is_fine():
    sprocket_type = SprocketTypeFactory()
    items = [
        item(FactoryFactory(), sprocket_type, serial_number="A"),
        item(FactoryFactory(), sprocket_type, serial_number="A"),
    ]
    assert len(services.sprockets_record(items=items)) == 2


@pytest.mark.parametrize(
    ("produced_at", "field"),
    [
        (timezone.now() + timedelta(days=1), "produced_at"),
        (datetime(2026, 1, 1, 12, 0), "produced_at"),  # naive: no time zone
        (None, "produced_at"),
    ],
)
def test_bad_production_time_is_refused(produced_at, field):
    with pytest.raises(services.SprocketsError) as error:
        services.sprocket_record(**item(FactoryFactory(), SprocketTypeFactory(), produced_at=produced_at))
    assert error.value.field == field


def test_too_long_name_is_a_field_error():
    with pytest.raises(services.SprocketsError) as error:
        services.sprocket_record(**item(FactoryFactory(), SprocketTypeFactory(), name="x" * 101))
    assert error.value.field == "name"


@pytest.mark.parametrize("count", [0, services.SPROCKETS_BATCH_MAX + 1])
def test_batch_size_is_bounded(count):
    factory, sprocket_type = FactoryFactory(), SprocketTypeFactory()
    with pytest.raises(services.SprocketsError):
        services.sprockets_record(items=[item(factory, sprocket_type) for _ in range(count)])
    assert not Sprocket.objects.exists()


def test_a_full_batch_of_1000_is_recorded(django_assert_max_num_queries):
    factory, sprocket_type = FactoryFactory(), SprocketTypeFactory()
    items = [item(factory, sprocket_type, serial_number=f"S{n}") for n in range(services.SPROCKETS_BATCH_MAX)]
    # Lock, types, serial check, the inserts (2 of 500; 6 on SQLite's variable limit), the actual,
    # one chart point, its audit event and webhook outbox event, and two savepoints: a fixed
    # handful, never one per sprocket.
    with django_assert_max_num_queries(18):
        services.sprockets_record(items=items)
    factory.refresh_from_db()
    assert factory.sprocket_production_actual == Sprocket.objects.count() == 1000


# --- Corrections -------------------------------------------------------------------------------------


def test_deleting_a_sprocket_lowers_actual_and_records_a_point():
    sprocket = SprocketFactory()
    services.sprocket_delete(sprocket=sprocket)
    sprocket.factory.refresh_from_db()
    assert sprocket.factory.sprocket_production_actual == 0
    assert points(sprocket.factory)[-1] == ("correction", 100, 0)


def test_moving_a_sprocket_moves_it_between_totals():
    sprocket = SprocketFactory()
    other = FactoryFactory()
    services.sprocket_update(sprocket=sprocket, data={"factory_id": other.pk})
    old, other = Factory.objects.get(pk=sprocket.factory_id), Factory.objects.get(pk=other.pk)
    assert (old.sprocket_production_actual, other.sprocket_production_actual) == (0, 1)
    assert points(other)[-1] == ("correction", 100, 1)


def test_update_to_unknown_factory_or_taken_serial_is_refused():
    sprocket = SprocketFactory(serial_number="A")
    taken = SprocketFactory(factory=sprocket.factory, sprocket_type=sprocket.sprocket_type, serial_number="B")
    with pytest.raises(services.SprocketsError) as error:
        services.sprocket_update(sprocket=sprocket, data={"factory_id": 999_999})
    assert error.value.field == "factory_id"
    with pytest.raises(services.SprocketsError) as error:
        services.sprocket_update(sprocket=sprocket, data={"serial_number": taken.serial_number})
    assert error.value.field == "serial_number"
    sprocket.refresh_from_db()
    assert sprocket.serial_number == "A"
    services.sprocket_update(sprocket=sprocket, data={"serial_number": "A", "name": "kept"})
    sprocket.refresh_from_db()
    assert sprocket.name == "kept"


def test_a_stale_sprocket_moved_meanwhile_is_a_conflict_not_a_wrong_count():
    sprocket = SprocketFactory()
    stale = Sprocket.objects.get(pk=sprocket.pk)
    other = FactoryFactory()
    services.sprocket_update(sprocket=sprocket, data={"factory_id": other.pk})
    with pytest.raises(services.SprocketsConflict):
        services.sprocket_delete(sprocket=stale)
    with pytest.raises(services.SprocketsConflict):
        services.sprocket_update(sprocket=stale, data={"name": "x"})
    other.refresh_from_db()
    assert other.sprocket_production_actual == 1 and Sprocket.objects.filter(pk=sprocket.pk).exists()
