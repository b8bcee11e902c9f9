"""Where sprockets are made, what is made, and each factory's goal-vs-actual history.

Field names follow the original Sprocket Corp API (`address_1`, `sprocket_production_goal`, ...)
so that its clients migrate without a mapping layer.

`Factory.sprocket_production_actual` is the running total of sprockets recorded for the factory.
Only the services change it (under a row lock), so it always equals the number of its
`Sprocket` rows; each change also appends a `ProductionChartPoint`.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Self, TypedDict

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce, TruncDay, TruncHour, TruncWeek
from django.db.models.functions.datetime import TruncBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.days import week_start
from sprockets.countries import COUNTRIES, COUNTRY_CODES

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

PRODUCTION_GROUP_NAME = "production"
# `?with_chart_data=true` returns at most this many of a factory's latest chart points.
CHART_DATA_MAX_POINTS = 1000
POSITIVE = Decimal("0.001")


class Bucket(models.TextChoices):
    HOUR = "hour", gettext_lazy("Hour")
    DAY = "day", gettext_lazy("Day")
    WEEK = "week", gettext_lazy("Week")


# How long one bucket is, and the database function that truncates a timestamp to it.
BUCKET_LENGTH: dict[str, timedelta] = {
    Bucket.HOUR: timedelta(hours=1),
    Bucket.DAY: timedelta(days=1),
    Bucket.WEEK: timedelta(weeks=1),
}
BUCKET_TRUNC: dict[str, type[TruncBase]] = {Bucket.HOUR: TruncHour, Bucket.DAY: TruncDay, Bucket.WEEK: TruncWeek}


def bucket_start(moment: datetime, bucket: str) -> datetime:
    """The UTC start of the bucket holding `moment` (the same truncation the database does)."""
    moment = moment.astimezone(UTC)
    if bucket == Bucket.HOUR:
        return moment.replace(minute=0, second=0, microsecond=0)
    first_day = week_start(moment.date()) if bucket == Bucket.WEEK else moment.date()
    return datetime.combine(first_day, time.min, tzinfo=UTC)


def can_manage_production(user: User | AnonymousUser | None) -> bool:
    """The `production` group and HR write production data; everyone signed in reads it."""
    if not (user and user.is_authenticated):
        return False
    return user.is_hr or user.groups.filter(name=PRODUCTION_GROUP_NAME).exists()


def start_of_today() -> datetime:
    return bucket_start(timezone.now(), Bucket.DAY)


class Location(models.Model):
    name = models.CharField(max_length=100, verbose_name=gettext_lazy("name"))
    address_1 = models.CharField(gettext_lazy("address line 1"), max_length=200)
    address_2 = models.CharField(gettext_lazy("address line 2"), max_length=200, blank=True)
    city = models.CharField(max_length=100, verbose_name=gettext_lazy("city"))
    state = models.CharField(
        max_length=100,
        blank=True,
        help_text=gettext_lazy("State, province or region."),
        verbose_name=gettext_lazy("state"),
    )
    country_code = models.CharField(
        max_length=2,
        choices=COUNTRIES,
        help_text=gettext_lazy("ISO 3166-1 alpha-2 country code, e.g. DE or US."),
        verbose_name=gettext_lazy("country code"),
    )
    postal_code = models.CharField(
        max_length=20,
        unique=True,
        help_text=gettext_lazy("Unique, as in the Sprocket Corp API."),
        verbose_name=gettext_lazy("postal code"),
    )

    class Meta:
        verbose_name = gettext_lazy("location")
        verbose_name_plural = gettext_lazy("locations")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(country_code__in=COUNTRY_CODES), name="location_country_code_iso3166"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.city}, {self.country_code})"


class SprocketType(models.Model):
    name = models.CharField(max_length=100, unique=True, verbose_name=gettext_lazy("name"))
    teeth = models.PositiveIntegerField(
        validators=[MinValueValidator(1)],
        help_text=gettext_lazy("Number of teeth."),
        verbose_name=gettext_lazy("teeth"),
    )
    pitch_diameter = models.DecimalField(
        max_digits=9,
        decimal_places=3,
        validators=[MinValueValidator(POSITIVE)],
        help_text=gettext_lazy("Millimetres."),
        verbose_name=gettext_lazy("pitch diameter"),
    )
    pitch = models.DecimalField(
        max_digits=9,
        decimal_places=3,
        validators=[MinValueValidator(POSITIVE)],
        help_text=gettext_lazy("Millimetres."),
        verbose_name=gettext_lazy("pitch"),
    )
    outside_diameter = models.DecimalField(
        max_digits=9,
        decimal_places=3,
        validators=[MinValueValidator(POSITIVE)],
        help_text=gettext_lazy("Millimetres; greater than the pitch diameter."),
        verbose_name=gettext_lazy("outside diameter"),
    )

    class Meta:
        verbose_name = gettext_lazy("sprocket type")
        verbose_name_plural = gettext_lazy("sprocket types")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(teeth__gt=0), name="sprocket_type_teeth_positive"),
            models.CheckConstraint(condition=Q(pitch_diameter__gt=0), name="sprocket_type_pitch_diameter_positive"),
            models.CheckConstraint(condition=Q(pitch__gt=0), name="sprocket_type_pitch_positive"),
            models.CheckConstraint(
                condition=Q(outside_diameter__gt=F("pitch_diameter")),
                name="sprocket_type_outside_diameter_gt_pitch_diameter",
                violation_error_message="The outside diameter must be greater than the pitch diameter.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.teeth} teeth)"


class FactoryQuerySet(models.QuerySet["Factory"]):
    def with_location(self) -> Self:
        return self.select_related("location")

    def with_produced_today(self) -> Self:
        """`produced_today`: sprockets produced since midnight UTC, in the same query.

        A correlated subquery rather than a join: it reads only today's slice of the
        (factory, produced_at) index instead of joining every sprocket ever made.
        """
        today = (
            Sprocket.objects.filter(factory=OuterRef("pk"), produced_at__gte=start_of_today())
            .order_by()
            .values("factory")
            .annotate(count=Count("*"))
            .values("count")
        )
        return self.annotate(produced_today=Coalesce(Subquery(today), 0))

    def with_chart_data(self, limit: int = CHART_DATA_MAX_POINTS) -> Self:
        """Prefetch each factory's latest chart points into `recent_chart_points` (newest first).

        One extra query for the whole list (a window function limits each factory), not one per factory.
        """
        points = ProductionChartPoint.objects.order_by("-time", "-id")[:limit]
        return self.prefetch_related(Prefetch("chart_points", queryset=points, to_attr="recent_chart_points"))


class Factory(models.Model):
    name = models.CharField(max_length=100, unique=True, verbose_name=gettext_lazy("name"))
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="factories", verbose_name=gettext_lazy("location")
    )
    sprocket_production_goal = models.PositiveIntegerField(
        help_text=gettext_lazy("Goal in sprockets per day."), verbose_name=gettext_lazy("sprocket production goal")
    )
    sprocket_production_actual = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text=gettext_lazy("Sprockets recorded so far (kept up to date by every recording)."),
        verbose_name=gettext_lazy("sprocket production actual"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    objects = FactoryQuerySet.as_manager()

    # Annotated by FactoryQuerySet.with_produced_today() and with_chart_data(), when asked for.
    produced_today: int
    recent_chart_points: list[ProductionChartPoint]

    class Meta:
        verbose_name = gettext_lazy("factory")
        ordering = ["name", "id"]
        verbose_name_plural = gettext_lazy("factories")
        constraints = [
            models.CheckConstraint(condition=Q(sprocket_production_goal__gte=0), name="factory_goal_not_negative"),
            models.CheckConstraint(condition=Q(sprocket_production_actual__gte=0), name="factory_actual_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sprockets:factory-detail", args=[self.pk])

    @property
    def percent_of_goal_today(self) -> Decimal | None:
        """Today's production as a share of the daily goal (needs `with_produced_today()`)."""
        if not self.sprocket_production_goal:
            return None
        return (Decimal(self.produced_today) * 100 / self.sprocket_production_goal).quantize(Decimal("1"))


class SprocketQuerySet(models.QuerySet["Sprocket"]):
    def in_range(self, start: datetime | None = None, end: datetime | None = None) -> Self:
        """Produced in [start, end)."""
        queryset = self
        if start is not None:
            queryset = queryset.filter(produced_at__gte=start)
        if end is not None:
            queryset = queryset.filter(produced_at__lt=end)
        return queryset

    def with_related(self) -> Self:
        return self.select_related("sprocket_type", "factory")


class Sprocket(models.Model):
    name = models.CharField(max_length=100, blank=True, verbose_name=gettext_lazy("name"))
    sprocket_type = models.ForeignKey(
        SprocketType, on_delete=models.PROTECT, related_name="sprockets", verbose_name=gettext_lazy("sprocket type")
    )
    factory = models.ForeignKey(
        Factory, on_delete=models.PROTECT, related_name="sprockets", verbose_name=gettext_lazy("factory")
    )
    produced_at = models.DateTimeField(
        help_text=gettext_lazy("When the sprocket was produced (stored in UTC)."),
        verbose_name=gettext_lazy("produced at"),
    )
    serial_number = models.CharField(
        max_length=64,
        blank=True,
        help_text=gettext_lazy("Optional; unique within its factory."),
        verbose_name=gettext_lazy("serial number"),
    )

    objects = SprocketQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("sprocket")
        verbose_name_plural = gettext_lazy("sprockets")
        ordering = ["-produced_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["factory", "serial_number"],
                condition=~Q(serial_number=""),
                name="sprocket_serial_number_unique_per_factory",
                violation_error_message="This factory already has a sprocket with this serial number.",
            ),
        ]
        indexes = [
            # Chart buckets and recent sprockets: WHERE factory_id = ? AND produced_at >= ... ORDER BY produced_at
            models.Index(fields=["factory", "produced_at"], name="sprocket_factory_produced"),
            # The sprocket list filtered by type and date range.
            models.Index(fields=["sprocket_type", "produced_at"], name="sprocket_type_produced"),
            # The unfiltered sprocket list, newest first, and date-range filters across factories.
            models.Index(fields=["produced_at"], name="sprocket_produced"),
        ]

    def __str__(self) -> str:
        return self.serial_number or self.name or f"Sprocket #{self.pk}"


class ChartPointReason(models.TextChoices):
    CREATED = "created", gettext_lazy("Factory created")
    GOAL = "goal", gettext_lazy("Goal changed")
    PRODUCTION = "production", gettext_lazy("Production recorded")
    CORRECTION = "correction", gettext_lazy("Production corrected")


class ProductionChartPointQuerySet(models.QuerySet["ProductionChartPoint"]):
    def goal_changes(self, *, factory: Factory, end: datetime) -> list[tuple[datetime, int]]:
        """[(time, goal)] of the factory's goal settings before `end`, oldest first.

        Only creation and goal-change points: a handful of rows, however much was produced.
        """
        return list(
            self.filter(factory=factory, time__lt=end, reason__in=[ChartPointReason.CREATED, ChartPointReason.GOAL])
            .order_by("time", "id")
            .values_list("time", "sprocket_production_goal")
        )


class ProductionChartPoint(models.Model):
    """One row each time a factory is created, its goal changes or production is recorded."""

    factory = models.ForeignKey(
        Factory, on_delete=models.CASCADE, related_name="chart_points", verbose_name=gettext_lazy("factory")
    )
    time = models.DateTimeField(verbose_name=gettext_lazy("time"))
    reason = models.CharField(max_length=20, choices=ChartPointReason.choices, verbose_name=gettext_lazy("reason"))
    sprocket_production_goal = models.PositiveIntegerField(verbose_name=gettext_lazy("sprocket production goal"))
    sprocket_production_actual = models.PositiveIntegerField(verbose_name=gettext_lazy("sprocket production actual"))

    objects = ProductionChartPointQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("production chart point")
        verbose_name_plural = gettext_lazy("production chart points")
        ordering = ["time", "id"]
        indexes = [
            # chart_data and the goal per bucket: WHERE factory_id = ? [AND time BETWEEN ...] ORDER BY time
            models.Index(fields=["factory", "time"], name="chart_point_factory_time"),
            # The goal timeline of a chart: WHERE factory_id = ? AND reason IN ('created', 'goal') ORDER BY time
            models.Index(
                fields=["factory", "time"],
                condition=Q(reason__in=["created", "goal"]),
                name="chart_point_goal_changes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.factory_id} @ {self.time:%Y-%m-%d %H:%M}: {self.sprocket_production_actual}"


class ProductionChart(TypedDict):
    """production_chart's parallel lists, one item per bucket."""

    time: list[datetime]
    sprocket_production_goal: list[Decimal | None]
    sprocket_production_actual: list[int]


def production_chart(*, factory: Factory, start: datetime, end: datetime, bucket: str) -> ProductionChart:
    """Goal vs actual production of `factory` per bucket in [start, end), aggregated in the database.

    Returns parallel lists: `time` (bucket starts, UTC), `sprocket_production_actual` (sprockets
    produced in the bucket: COUNT grouped by the truncated timestamp, so a million sprockets
    is one indexed query) and `sprocket_production_goal` (the daily goal in effect, scaled to
    the bucket length: goal/24 per hour, goal per day, goal*7 per week). Empty buckets are 0.
    """
    start, length = bucket_start(start, bucket), BUCKET_LENGTH[bucket]
    produced = dict(
        Sprocket.objects.filter(factory=factory)
        .in_range(start, end)
        .annotate(bucket=BUCKET_TRUNC[bucket]("produced_at", tzinfo=UTC))
        .values("bucket")
        .annotate(count=Count("*"))  # COUNT(*): an index-only scan of (factory, produced_at) can answer it
        .order_by("bucket")
        .values_list("bucket", "count")
    )
    changes = ProductionChartPoint.objects.goal_changes(factory=factory, end=end)
    scale = Decimal(length.total_seconds()) / Decimal(86400)
    # A goal scaled to the bucket, computed once per distinct goal, not per bucket.
    scaled: dict[int | None, Decimal | None] = {None: None}

    def scaled_goal(value: int | None) -> Decimal | None:
        if value is not None and value not in scaled:  # None is in `scaled` from the start
            scaled[value] = (Decimal(value) * scale).quantize(Decimal("0.01"))
        return scaled[value]

    series: ProductionChart = {"time": [], "sprocket_production_goal": [], "sprocket_production_actual": []}
    goal: int | None = None
    index, moment = 0, start
    while moment < end:
        bucket_end = moment + length
        # The goal in effect when the bucket starts, raised by any higher goal set during it.
        while index < len(changes) and changes[index][0] <= moment:
            goal = changes[index][1]
            index += 1
        highest = goal
        while index < len(changes) and changes[index][0] < bucket_end:
            goal = changes[index][1]
            highest = goal if highest is None else max(highest, goal)
            index += 1
        series["time"].append(moment)
        series["sprocket_production_goal"].append(scaled_goal(highest))
        series["sprocket_production_actual"].append(produced.get(moment, 0))
        moment = bucket_end
    return series
