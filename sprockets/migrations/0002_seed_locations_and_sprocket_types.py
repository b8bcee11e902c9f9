"""Seed 3 factory locations and 3 sprocket types; the reverse removes them if nothing uses them."""

from decimal import Decimal

from django.db import migrations

LOCATIONS = [
    # name, address_1, address_2, city, state, country_code, postal_code
    ("Munich Works", "Werkstraße 12", "", "Munich", "Bavaria", "DE", "80331"),
    ("Sheffield Forge", "17 Attercliffe Road", "Unit 4", "Sheffield", "England", "GB", "S4 7WZ"),
    ("Fresno Plant", "2450 South Cedar Avenue", "", "Fresno", "California", "US", "93725"),
]

SPROCKET_TYPES = [
    # name, teeth, pitch_diameter, pitch, outside_diameter (millimetres)
    ("ANSI 40 - 15T", 15, Decimal("61.08"), Decimal("12.70"), Decimal("67.92")),
    ("ANSI 50 - 20T", 20, Decimal("101.33"), Decimal("15.88"), Decimal("110.16")),
    ("ANSI 60 - 30T", 30, Decimal("182.25"), Decimal("19.05"), Decimal("193.79")),
]


def seed(apps, schema_editor):
    Location = apps.get_model("sprockets", "Location")
    SprocketType = apps.get_model("sprockets", "SprocketType")
    for name, address_1, address_2, city, state, country_code, postal_code in LOCATIONS:
        Location.objects.get_or_create(
            postal_code=postal_code,
            defaults={
                "name": name,
                "address_1": address_1,
                "address_2": address_2,
                "city": city,
                "state": state,
                "country_code": country_code,
            },
        )
    for name, teeth, pitch_diameter, pitch, outside_diameter in SPROCKET_TYPES:
        SprocketType.objects.get_or_create(
            name=name,
            defaults={
                "teeth": teeth,
                "pitch_diameter": pitch_diameter,
                "pitch": pitch,
                "outside_diameter": outside_diameter,
            },
        )


def unseed(apps, schema_editor):
    Location = apps.get_model("sprockets", "Location")
    SprocketType = apps.get_model("sprockets", "SprocketType")
    # Rows that factories or sprockets use since are kept: their data is worth more than the seed.
    Location.objects.filter(postal_code__in=[row[6] for row in LOCATIONS], factories__isnull=True).delete()
    SprocketType.objects.filter(name__in=[row[0] for row in SPROCKET_TYPES], sprockets__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("sprockets", "0001_production_models")]

    operations = [migrations.RunPython(seed, unseed)]
