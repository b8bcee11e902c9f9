"""Database constraints hold even when the services are bypassed; the seed migrations ran."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from sprockets.countries import COUNTRY_CODES
from sprockets.models import PRODUCTION_GROUP_NAME, Factory, Location, Sprocket, SprocketType
from sprockets.tests.factories import FactoryFactory, LocationFactory, SprocketFactory, SprocketTypeFactory

pytestmark = pytest.mark.django_db


def test_country_codes_are_the_249_iso_3166_codes():
    assert len(COUNTRY_CODES) == 249 == len(set(COUNTRY_CODES))
    assert {"DE", "GB", "US", "CI", "SS"} <= set(COUNTRY_CODES)
    assert "XX" not in COUNTRY_CODES and "UK" not in COUNTRY_CODES


def test_seed_migration_created_three_locations_and_three_types():
    assert Location.objects.filter(postal_code__in=["80331", "S4 7WZ", "93725"]).count() == 3
    assert SprocketType.objects.filter(name__startswith="ANSI").count() == 3
    for sprocket_type in SprocketType.objects.all():
        assert sprocket_type.outside_diameter > sprocket_type.pitch_diameter > 0


def test_production_group_migration_created_the_group_with_admin_permissions():
    group = Group.objects.get(name=PRODUCTION_GROUP_NAME)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"add_factory", "change_factory", "add_sprocket", "view_productionchartpoint"} <= codenames
    assert "change_productionchartpoint" not in codenames


@pytest.mark.parametrize(
    "values",
    [
        {"teeth": 0},
        {"pitch": Decimal("0")},
        {"pitch_diameter": Decimal("-1")},
        {"pitch_diameter": Decimal("50"), "outside_diameter": Decimal("50")},
        {"pitch_diameter": Decimal("50"), "outside_diameter": Decimal("49.999")},
    ],
)
def test_sprocket_type_check_constraints(values):
    sprocket_type = SprocketTypeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SprocketType.objects.filter(pk=sprocket_type.pk).update(**values)


def test_location_country_code_check_constraint():
    location = LocationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Location.objects.filter(pk=location.pk).update(country_code="XX")


def test_serial_number_unique_per_factory_in_the_database():
    sprocket = SprocketFactory(serial_number="SN-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Sprocket.objects.create(
            factory=sprocket.factory,
            sprocket_type=sprocket.sprocket_type,
            produced_at=sprocket.produced_at,
            serial_number="SN-1",
        )


def test_blank_serial_numbers_and_other_factories_do_not_clash():
    sprocket = SprocketFactory(serial_number="SN-1")
    other_factory = FactoryFactory()
    Sprocket.objects.create(
        factory=other_factory,
        sprocket_type=sprocket.sprocket_type,
        produced_at=sprocket.produced_at,
        serial_number="SN-1",
    )
    for _ in range(2):
        Sprocket.objects.create(
            factory=sprocket.factory, sprocket_type=sprocket.sprocket_type, produced_at=sprocket.produced_at
        )
    assert Sprocket.objects.count() == 4


def test_string_representations_and_url():
    sprocket = SprocketFactory(serial_number="SN-9")
    assert str(sprocket) == "SN-9"
    assert str(sprocket.factory) == sprocket.factory.name
    assert sprocket.factory.get_absolute_url() == f"/factories/{sprocket.factory.pk}/"
    assert "teeth" in str(sprocket.sprocket_type)
    assert sprocket.factory.location.city in str(sprocket.factory.location)


def test_with_chart_data_keeps_each_factorys_latest_points_in_one_query(django_assert_num_queries):
    from sprockets import services

    first, second = FactoryFactory(sprocket_production_goal=1), FactoryFactory(sprocket_production_goal=1)
    for goal in (2, 3, 4):
        services.factory_update(factory=first, data={"sprocket_production_goal": goal})
    with django_assert_num_queries(2):  # factories, then all their chart points
        factories = list(Factory.objects.filter(pk__in=[first.pk, second.pk]).with_chart_data(limit=2).order_by("id"))
    assert [point.sprocket_production_goal for point in factories[0].recent_chart_points] == [4, 3]
    assert [point.sprocket_production_goal for point in factories[1].recent_chart_points] == [1]


def test_seed_migration_reverse_removes_only_unused_rows():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("sprockets.migrations.0002_seed_locations_and_sprocket_types")
    used = Location.objects.get(postal_code="80331")
    FactoryFactory(location=used)
    migration.unseed(apps, None)
    assert list(Location.objects.filter(postal_code__in=["80331", "S4 7WZ", "93725"])) == [used]
    assert not SprocketType.objects.filter(name__startswith="ANSI").exists()
    migration.seed(apps, None)  # forward again: idempotent, nothing doubled
    assert Location.objects.filter(postal_code__in=["80331", "S4 7WZ", "93725"]).count() == 3
    assert SprocketType.objects.filter(name__startswith="ANSI").count() == 3
