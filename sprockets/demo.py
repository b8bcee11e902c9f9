"""Demo production for `manage.py seed_demo`: three factories with three weeks of sprockets.

Idempotent: a factory that exists is left alone, and history is generated only for a factory
that has no sprockets yet. History is bulk-inserted (sprockets and their hourly chart points),
as a real plant's data import would be; new production goes through the services.
"""

import random
from datetime import timedelta

from django.contrib.auth.models import Group
from django.db.models import F
from django.utils import timezone

from sprockets import services
from sprockets.models import (
    PRODUCTION_GROUP_NAME,
    Bucket,
    ChartPointReason,
    Factory,
    Location,
    ProductionChartPoint,
    Sprocket,
    SprocketType,
    bucket_start,
)

HISTORY_DAYS = 21
SHIFT_HOURS = range(6, 22)  # production runs two shifts, 06:00-22:00 UTC

DEMO_FACTORIES = [
    # name, location postal code (seeded by migration 0002), goal per day, goal from day 10, serial prefix
    ("Munich Sprocket Works", "80331", 240, 280, "MUC"),
    ("Sheffield Forge", "S4 7WZ", 180, 160, "SHF"),
    ("Fresno Plant", "93725", 300, 300, "FRE"),
]

FALLBACK_LOCATIONS = {
    "80331": ("Munich Works", "Werkstraße 12", "Munich", "Bavaria", "DE"),
    "S4 7WZ": ("Sheffield Forge", "17 Attercliffe Road", "Sheffield", "England", "GB"),
    "93725": ("Fresno Plant", "2450 South Cedar Avenue", "Fresno", "California", "US"),
}


def seed(stdout, users):
    group, _ = Group.objects.get_or_create(name=PRODUCTION_GROUP_NAME)
    users["manager"].groups.add(group)
    stdout.write(f"  group {PRODUCTION_GROUP_NAME}: manager may edit production")
    types = list(SprocketType.objects.order_by("id"))
    if not types:
        stdout.write("  no sprocket types (migration 0002 seeds them): skipping production")
        return
    for name, postal_code, goal, later_goal, prefix in DEMO_FACTORIES:
        factory = Factory.objects.filter(name=name).first()
        if factory is None:
            factory = services.factory_create(
                data={"name": name, "location_id": _location(postal_code).pk, "sprocket_production_goal": goal}
            )
            stdout.write(f"  factory {name} created")
        else:
            stdout.write(f"  factory {name} exists")
        if factory.sprockets.exists():
            continue
        count = _history(factory, types=types, goal=goal, later_goal=later_goal, prefix=prefix)
        stdout.write(f"    {count} sprockets over {HISTORY_DAYS} days")


def _location(postal_code):
    location = Location.objects.filter(postal_code=postal_code).first()
    if location:
        return location
    name, address, city, state, country_code = FALLBACK_LOCATIONS[postal_code]
    return services.location_create(
        data={
            "name": name,
            "address_1": address,
            "city": city,
            "state": state,
            "country_code": country_code,
            "postal_code": postal_code,
        }
    )


def _history(factory, *, types, goal, later_goal, prefix):
    """Hourly production for HISTORY_DAYS up to now, a goal change on day 10, one chart point per hour."""
    rng = random.Random(factory.name)  # the same demo every time
    now = timezone.now()
    start = bucket_start(now - timedelta(days=HISTORY_DAYS), Bucket.DAY)
    goal_change_at = start + timedelta(days=10, hours=8)
    # The creation point dates from the start of the history, not from this seeding.
    ProductionChartPoint.objects.filter(factory=factory, reason=ChartPointReason.CREATED).update(time=start)
    points = []
    if later_goal != goal:
        points.append(_point(factory, goal_change_at, ChartPointReason.GOAL, later_goal, 0))
    sprockets, total, hour = [], 0, start
    while hour + timedelta(hours=1) <= now:
        current_goal = later_goal if hour >= goal_change_at else goal
        if hour.hour in SHIFT_HOURS:
            # Around the goal: a slow start on Mondays, a few bad hours, mostly on target.
            rate = current_goal / len(SHIFT_HOURS)
            factor = rng.uniform(0.75, 1.15) * (0.8 if hour.weekday() == 0 else 1.0)
            produced = max(0, round(rate * factor))
            for index in range(produced):
                total += 1
                sprockets.append(
                    Sprocket(
                        factory=factory,
                        sprocket_type=types[rng.randrange(len(types))],
                        produced_at=hour + timedelta(seconds=(index + rng.random()) * 3600 / max(produced, 1)),
                        serial_number=f"{prefix}-{total:07d}",
                    )
                )
            if produced:
                points.append(
                    _point(factory, hour + timedelta(minutes=59), ChartPointReason.PRODUCTION, current_goal, total)
                )
        hour += timedelta(hours=1)
    Sprocket.objects.bulk_create(sprockets, batch_size=2000)
    ProductionChartPoint.objects.bulk_create(points, batch_size=2000)
    # The goal change point was made before the totals were known: give it the total at its time.
    ProductionChartPoint.objects.filter(factory=factory, reason=ChartPointReason.GOAL).update(
        sprocket_production_actual=Sprocket.objects.filter(factory=factory, produced_at__lt=goal_change_at).count()
    )
    Factory.objects.filter(pk=factory.pk).update(
        sprocket_production_goal=later_goal, sprocket_production_actual=F("sprocket_production_actual") + total
    )
    return total


def _point(factory, time, reason, goal, actual):
    return ProductionChartPoint(
        factory=factory, time=time, reason=reason, sprocket_production_goal=goal, sprocket_production_actual=actual
    )
