"""Time the goal-vs-actual chart of one factory with many sprockets (default: a million).

Everything it creates is rolled back at the end, so it can run against any database:
    manage.py bench_production_chart --sprockets 1000000
"""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from sprockets import services
from sprockets.models import Bucket, Factory, Location, Sprocket, SprocketType, production_chart

# PostgreSQL makes the rows itself: a million in seconds, evenly spread over the period.
INSERT_SERIES = (
    "INSERT INTO {table} (name, serial_number, factory_id, sprocket_type_id, produced_at) "
    "SELECT '', '', %s, %s, %s + (n::bigint * %s / %s) * interval '1 second' FROM generate_series(1, %s) AS n"
)


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Measure factories/{id}/chart/ on a factory with many sprockets (nothing is kept)."

    def add_arguments(self, parser):
        parser.add_argument("--sprockets", type=int, default=1_000_000)
        parser.add_argument("--days", type=int, default=365, help="Spread the sprockets over this many days.")

    def handle(self, *args, sprockets, days, **options):
        try:
            with transaction.atomic():
                self._run(sprockets, days)
                raise Rollback
        except Rollback:
            self.stdout.write("Rolled back: the database is as before.")

    def _run(self, count, days):
        location = Location.objects.first() or services.location_create(
            data={
                "name": "Bench",
                "address_1": "1 Bench Road",
                "city": "Bench",
                "country_code": "DE",
                "postal_code": "B-1",
            }
        )
        sprocket_type = SprocketType.objects.first()
        factory = services.factory_create(
            data={"name": "Benchmark factory", "location_id": location.pk, "sprocket_production_goal": 3000}
        )
        end = timezone.now()
        start = end - timedelta(days=days)
        began = time.perf_counter()
        if connection.vendor == "postgresql":
            table = Sprocket._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(
                    INSERT_SERIES.format(table=table), [factory.pk, sprocket_type.pk, start, days * 86400, count, count]
                )
                cursor.execute(f"ANALYZE {table}")
        else:
            step = timedelta(days=days) / count
            batch = []
            for n in range(count):
                batch.append(
                    Sprocket(factory=factory, sprocket_type=sprocket_type, produced_at=start + step * n, name="")
                )
                if len(batch) == 5000:
                    Sprocket.objects.bulk_create(batch)
                    batch = []
            Sprocket.objects.bulk_create(batch)
        self.stdout.write(f"Inserted {count} sprockets over {days} days in {time.perf_counter() - began:.1f} s")
        timings = []
        for _ in range(3):
            began = time.perf_counter()
            list(Factory.objects.with_location().with_produced_today())
            timings.append(time.perf_counter() - began)
        self.stdout.write(f"  factory cards (today's count): best of 3 {min(timings) * 1000:.0f} ms")
        for bucket, span in (
            (Bucket.HOUR, timedelta(days=30)),
            (Bucket.DAY, timedelta(days=days)),
            (Bucket.WEEK, timedelta(days=days)),
        ):
            timings = []
            for _ in range(3):
                began = time.perf_counter()
                chart = production_chart(factory=factory, start=end - span, end=end, bucket=bucket)
                timings.append(time.perf_counter() - began)
            counted = sum(chart["sprocket_production_actual"])
            self.stdout.write(
                f"  {bucket:<4} over {span.days:>3} days: {len(chart['time']):>4} buckets, {counted:>8} sprockets, "
                f"best of 3 {min(timings) * 1000:.0f} ms"
            )
