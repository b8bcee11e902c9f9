from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.tests.factories import UserFactory
from sprockets import services
from sprockets.models import PRODUCTION_GROUP_NAME, Factory, Location, Sprocket, SprocketType


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Plant {n}")
    address_1 = factory.Sequence(lambda n: f"{n} Industrial Road")
    city = "Leipzig"
    state = "Saxony"
    country_code = "DE"
    postal_code = factory.Sequence(lambda n: f"T-{n:05d}")


class SprocketTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SprocketType

    name = factory.Sequence(lambda n: f"Type {n}")
    teeth = 24
    pitch_diameter = Decimal("97.34")
    pitch = Decimal("12.70")
    outside_diameter = Decimal("104.20")


class FactoryFactory(factory.django.DjangoModelFactory):
    """Created through the service, so the first chart point exists like in real life."""

    class Meta:
        model = Factory

    name = factory.Sequence(lambda n: f"Factory {n}")
    location = factory.SubFactory(LocationFactory)
    sprocket_production_goal = 100

    @classmethod
    def _create(cls, model_class, *args, location, **kwargs):
        return services.factory_create(data={"location_id": location.pk, **kwargs})


class SprocketFactory(factory.django.DjangoModelFactory):
    """Recorded through the service: the factory's actual and chart follow."""

    class Meta:
        model = Sprocket

    sprocket_type = factory.SubFactory(SprocketTypeFactory)
    produced_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
    name = ""
    serial_number = ""
    # Last: from here on `factory` in this class body is this declaration, not the module.
    factory = factory.SubFactory(FactoryFactory)

    @classmethod
    def _create(cls, model_class, *args, factory, sprocket_type, **kwargs):
        return services.sprocket_record(factory_id=factory.pk, sprocket_type_id=sprocket_type.pk, **kwargs)


class PlannerFactory(UserFactory):
    """A member of the `production` group: may write production data."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def production_group(self, create, extracted, **kwargs):
        if create:
            group, _ = Group.objects.get_or_create(name=PRODUCTION_GROUP_NAME)
            self.groups.add(group)
