"""Production API: locations, sprocket types, factories (+ chart), sprockets (+ bulk).

Every signed-in user may read; writes need the `production` group or HR (403 otherwise).
These objects are company-wide, so nothing is scoped per user. Writes go through
`sprockets.services`; these classes only translate HTTP.
"""

from datetime import timedelta
from typing import Any

import django_filters
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import URLPattern
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.filters import IdFilter, UtcDateTimeFilter, keyword_fields
from core.serializers import ModelSerializer
from core.viewsets import ServiceModelViewSet
from sprockets import services
from sprockets.models import (
    BUCKET_LENGTH,
    CHART_DATA_MAX_POINTS,
    Bucket,
    Factory,
    Location,
    Sprocket,
    SprocketType,
    can_manage_production,
    production_chart,
)

# A chart answer never has more points than this: about 41 days of hours, 2.7 years of days, 19 years of weeks.
CHART_MAX_BUCKETS = 1000
CHART_DEFAULT_SPAN = {Bucket.HOUR: timedelta(days=2), Bucket.DAY: timedelta(days=30), Bucket.WEEK: timedelta(weeks=26)}


class IsProductionPlannerOrReadOnly(permissions.BasePermission):
    message = "Only the production group and HR may change production data."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or can_manage_production(request.user)


class ProductionViewSet(ServiceModelViewSet):
    """Production data: every signed-in user reads it; the production group and HR change it."""

    # The docstring above is the OpenAPI description of the endpoints below that have none of their own;
    # the writes call the app's services (core.viewsets.ServiceModelViewSet).

    permission_classes = [IsProductionPlannerOrReadOnly]


# --- Locations -----------------------------------------------------------------------------------


class LocationSerializer(ModelSerializer):
    class Meta:
        model = Location
        fields = ["id", "name", "address_1", "address_2", "city", "state", "country_code", "postal_code"]
        extra_kwargs: dict[str, dict[str, Any]] = {
            # Uniqueness is checked by the service (full_clean), with the same 400 field error.
            "postal_code": {"validators": []},
            # Sprocket Corp's locations have no name: the service names them "<city> <postal code>".
            "name": {"required": False, "help_text": 'Default: "<city> <postal code>", e.g. "Springfield 62701".'},
        }


class LocationFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=100, help_text="Name or city contains.")

    class Meta:
        model = Location
        fields = ["country_code", "city", "postal_code"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(city__icontains=value))


@extend_schema_view(
    list=extend_schema(summary="List factory locations", description="Every signed-in user may read locations."),
    retrieve=extend_schema(summary="Show a location"),
    create=extend_schema(
        summary="Create a location",
        description="Production group or HR. `country_code` is an ISO 3166-1 alpha-2 code; `postal_code` is unique.",
    ),
    update=extend_schema(summary="Replace a location"),
    partial_update=extend_schema(summary="Change a location"),
    destroy=extend_schema(summary="Delete a location", description="409 while factories are at this location."),
    by_postal_code=extend_schema(
        summary="Find a location by its postal code",
        description="The Sprocket Corp lookup `GET /v1/locations/postal_code/{code}`. Postal codes are unique, "
        "so there is at most one; the code is matched exactly as stored. 404 when no location has it.",
        parameters=[OpenApiParameter("postal_code", OpenApiTypes.STR, OpenApiParameter.PATH)],
    ),
)
class LocationViewSet(ProductionViewSet):
    serializer_class = LocationSerializer
    filterset_class = LocationFilter
    ordering_fields = ["name", "city", "country_code", "postal_code", "id"]
    ordering = ["name", "id"]
    create_service = staticmethod(services.location_create)
    update_service = staticmethod(services.location_update)
    delete_service = staticmethod(services.location_delete)
    instance_argument = "location"

    def get_queryset(self):
        return Location.objects.all()

    @action(
        detail=False,
        methods=["get"],
        url_path=r"postal_code/(?P<postal_code>[^/]{1,20})",
        filter_backends=[],
        pagination_class=None,
    )
    def by_postal_code(self, request, postal_code=None):
        location = get_object_or_404(self.get_queryset(), postal_code=postal_code)
        return Response(self.get_serializer(location).data)


# --- Sprocket types ------------------------------------------------------------------------------


class SprocketTypeSerializer(ModelSerializer):
    class Meta:
        model = SprocketType
        fields = ["id", "name", "teeth", "pitch_diameter", "pitch", "outside_diameter"]
        extra_kwargs: dict[str, dict[str, Any]] = {
            # Sprocket Corp's sprocket types have no name: the service names them after their dimensions.
            "name": {
                "validators": [],
                "required": False,
                "help_text": 'Unique. Default: the dimensions, e.g. "5 teeth, pitch 1 mm, 5 × 6 mm" '
                '(pitch diameter × outside diameter), with " (2)", " (3)", ... if that name is taken.',
            }
        }

    def validate(self, attrs):
        # Same rule as the database constraint, reported on the field (a partial update uses the stored value).
        outside = attrs.get("outside_diameter", getattr(self.instance, "outside_diameter", None))
        pitch_diameter = attrs.get("pitch_diameter", getattr(self.instance, "pitch_diameter", None))
        if outside is not None and pitch_diameter is not None and outside <= pitch_diameter:
            raise serializers.ValidationError(
                {"outside_diameter": gettext("The outside diameter must be greater than the pitch diameter.")}
            )
        return attrs


@extend_schema_view(
    list=extend_schema(summary="List sprocket types"),
    retrieve=extend_schema(summary="Show a sprocket type"),
    create=extend_schema(
        summary="Create a sprocket type",
        description="Production group or HR. `teeth` and the dimensions (millimetres) are positive; "
        "`outside_diameter` is greater than `pitch_diameter`.",
    ),
    update=extend_schema(summary="Replace a sprocket type"),
    partial_update=extend_schema(summary="Change a sprocket type"),
    destroy=extend_schema(summary="Delete a sprocket type", description="409 once sprockets of the type exist."),
)
class SprocketTypeViewSet(ProductionViewSet):
    serializer_class = SprocketTypeSerializer
    filterset_fields = ["teeth"]
    ordering_fields = ["name", "teeth", "pitch_diameter", "id"]
    ordering = ["name", "id"]
    create_service = staticmethod(services.sprocket_type_create)
    update_service = staticmethod(services.sprocket_type_update)
    delete_service = staticmethod(services.sprocket_type_delete)
    instance_argument = "sprocket_type"

    def get_queryset(self):
        return SprocketType.objects.all()


# --- Factories -----------------------------------------------------------------------------------


class ChartDataSerializer(serializers.Serializer):
    """Parallel arrays, as in the Sprocket Corp API: index i of each list is one moment."""

    time = serializers.ListField(child=serializers.DateTimeField(), help_text="Moments, oldest first (UTC).")
    sprocket_production_goal = serializers.ListField(
        child=serializers.IntegerField(), help_text="Daily goal at each moment."
    )
    sprocket_production_actual = serializers.ListField(
        child=serializers.IntegerField(), help_text="Sprockets recorded so far at each moment."
    )


@extend_schema_field(ChartDataSerializer)
class ChartDataField(serializers.Field):
    """Turns the prefetched `recent_chart_points` (newest first) into parallel arrays, oldest first."""

    def to_representation(self, points):
        points = list(reversed(points))
        return ChartDataSerializer(
            {
                "time": [point.time for point in points],
                "sprocket_production_goal": [point.sprocket_production_goal for point in points],
                "sprocket_production_actual": [point.sprocket_production_actual for point in points],
            }
        ).data


class FactorySerializer(ModelSerializer):
    location_id = serializers.IntegerField(min_value=1, help_text="The factory's location.")
    sprocket_production_goal = serializers.IntegerField(
        min_value=0, max_value=2_000_000_000, help_text="Goal in sprockets per day."
    )
    sprocket_production_actual = serializers.IntegerField(
        read_only=True, help_text="Sprockets recorded for this factory so far."
    )

    class Meta:
        model = Factory
        fields = ["id", "name", "location_id", "sprocket_production_goal", "sprocket_production_actual"]
        extra_kwargs: dict[str, dict[str, Any]] = {"name": {"validators": []}}


class FactoryDetailSerializer(FactorySerializer):
    # Present only with ?with_chart_data=true: the view prefetches `recent_chart_points` then;
    # without it the attribute is missing and DRF skips this optional field.
    chart_data = ChartDataField(
        source="recent_chart_points",
        required=False,
        help_text="Only with `?with_chart_data=true`: goal and actual at each recorded moment "
        f"(creation, goal change, production), the latest {CHART_DATA_MAX_POINTS} at most.",
    )

    class Meta(FactorySerializer.Meta):
        fields = [*FactorySerializer.Meta.fields, "chart_data"]


@keyword_fields
class ChartQuerySerializer(serializers.Serializer):
    bucket = serializers.ChoiceField(choices=Bucket.choices, default=Bucket.DAY)
    to = serializers.DateTimeField(required=False, help_text="End (exclusive); default now.")
    from_ = serializers.DateTimeField(required=False, help_text="Start (inclusive).")

    def validate(self, attrs):
        bucket = attrs["bucket"]
        end = attrs.get("to") or timezone.now()
        start = attrs.get("from") or end - CHART_DEFAULT_SPAN[bucket]
        if start >= end:
            raise serializers.ValidationError({"from": gettext("`from` must be before `to`.")})
        if (end - start) / BUCKET_LENGTH[bucket] > CHART_MAX_BUCKETS:
            raise serializers.ValidationError(
                {
                    "from": gettext(
                        "At most {CHART_MAX_BUCKETS} {bucket} buckets at once; shorten the range or use a larger "
                        "bucket."
                    ).format(CHART_MAX_BUCKETS=CHART_MAX_BUCKETS, bucket=bucket)
                }
            )
        return {"bucket": bucket, "start": start, "end": end}


class ChartSerializer(serializers.Serializer):
    bucket = serializers.ChoiceField(choices=Bucket.choices)
    time = serializers.ListField(child=serializers.DateTimeField(), help_text="Bucket starts, UTC, oldest first.")
    sprocket_production_goal = serializers.ListField(
        child=serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=False, allow_null=True),
        help_text="The daily goal scaled to the bucket (÷24 per hour, ×7 per week); null before the factory existed.",
    )
    sprocket_production_actual = serializers.ListField(
        child=serializers.IntegerField(), help_text="Sprockets produced in each bucket."
    )


def _utc_iso(moment):
    # What DRF's DateTimeField writes for a UTC datetime: ISO 8601 with "Z".
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _as_floats(values):
    floats = {None: None}
    return [floats[value] if value in floats else floats.setdefault(value, float(value)) for value in values]


def chart_representation(bucket, series):
    """ChartSerializer's output, built directly: a chart has up to a thousand buckets, and
    running three serializer fields per bucket cost more than the database's own query
    (found with `make bench`, scenario h). The times are UTC bucket starts and the goals are
    already quantized Decimals, so the JSON is the same byte for byte."""
    return {
        "bucket": bucket,
        "time": [_utc_iso(moment) for moment in series["time"]],
        # float() is what the JSON encoder does with a Decimal here (coerce_to_string=False); done
        # once per distinct goal rather than through the encoder's fallback for every bucket.
        "sprocket_production_goal": _as_floats(series["sprocket_production_goal"]),
        "sprocket_production_actual": series["sprocket_production_actual"],
    }


WITH_CHART_DATA = OpenApiParameter(
    "with_chart_data",
    OpenApiTypes.BOOL,
    description="Add `chart_data`: goal and actual at each recorded moment.",
)


class FactoryFilter(django_filters.FilterSet):
    location_id = IdFilter(field_name="location_id")
    country_code = django_filters.CharFilter(field_name="location__country_code", max_length=2)
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=100)

    class Meta:
        model = Factory
        fields = ["location_id", "country_code", "search"]


@extend_schema_view(
    list=extend_schema(
        summary="List factories",
        description="Goal (sprockets per day) and actual (sprockets recorded so far) of each factory.",
        parameters=[WITH_CHART_DATA],
    ),
    retrieve=extend_schema(summary="Show a factory", parameters=[WITH_CHART_DATA]),
    create=extend_schema(
        summary="Create a factory", description="Production group or HR. Records the factory's first chart point."
    ),
    update=extend_schema(summary="Replace a factory", description="A changed goal records a chart point."),
    partial_update=extend_schema(summary="Change a factory", description="A changed goal records a chart point."),
    destroy=extend_schema(summary="Delete a factory", description="409 once it has recorded production."),
)
class FactoryViewSet(ProductionViewSet):
    filterset_class = FactoryFilter
    extra_query_parameters = ("with_chart_data",)
    ordering_fields = ["name", "sprocket_production_goal", "sprocket_production_actual", "id"]
    ordering = ["name", "id"]
    create_service = staticmethod(services.factory_create)
    update_service = staticmethod(services.factory_update)
    delete_service = staticmethod(services.factory_delete)
    instance_argument = "factory"

    def with_chart_data(self):
        value = self.request.query_params.get("with_chart_data", "").lower()
        return self.action in ("list", "retrieve") and value in ("true", "1", "yes")

    def get_serializer_class(self):
        if self.action in ("list", "retrieve"):
            return FactoryDetailSerializer
        return FactorySerializer

    def get_queryset(self):
        queryset = Factory.objects.all()
        if getattr(self, "swagger_fake_view", False):
            return queryset
        if self.with_chart_data():
            # One query for the chart points of the whole page, not one per factory.
            queryset = queryset.with_chart_data()
        return queryset

    @extend_schema(
        summary="Goal vs actual per hour, day or week",
        description="Sprockets produced per bucket, counted in the database (a factory with a million "
        "sprockets answers with one grouped, indexed query), and the daily goal scaled to the bucket. "
        f"Buckets are UTC; at most {CHART_MAX_BUCKETS} per answer.",
        parameters=[
            OpenApiParameter("bucket", OpenApiTypes.STR, enum=Bucket.values, description="Default `day`."),
            OpenApiParameter(
                "from",
                OpenApiTypes.DATETIME,
                description="Start (inclusive); default 2 days, 30 days or 26 weeks before `to`.",
            ),
            OpenApiParameter("to", OpenApiTypes.DATETIME, description="End (exclusive); default now."),
        ],
        responses=ChartSerializer,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def chart(self, request, pk=None):
        factory = self.get_object()
        query = ChartQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        series = production_chart(factory=factory, **query.validated_data)
        return Response(chart_representation(query.validated_data["bucket"], series))


# --- Sprockets -----------------------------------------------------------------------------------


class SprocketSerializer(ModelSerializer):
    # Plain ids: the service resolves them (one query per batch) and answers 400 on factory_id.
    sprocket_type_id = serializers.IntegerField(min_value=1)
    factory_id = serializers.IntegerField(min_value=1)

    class Meta:
        model = Sprocket
        fields = ["id", "name", "sprocket_type_id", "factory_id", "produced_at", "serial_number"]
        # Sprocket Corp records a sprocket without a time: it was produced now (the service's default).
        extra_kwargs: dict[str, dict[str, Any]] = {
            "produced_at": {"required": False, "help_text": "When it was produced (UTC). Default: now."}
        }


class SprocketBulkSerializer(serializers.Serializer):
    sprockets = SprocketSerializer(
        many=True,
        allow_empty=False,
        max_length=services.SPROCKETS_BATCH_MAX,  # type: ignore[call-arg]  # ListSerializer takes it (many=True); the stubs type the child
        help_text=f"1 to {services.SPROCKETS_BATCH_MAX} sprockets, recorded all or nothing.",
    )


class SprocketBulkResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = SprocketSerializer(many=True)


@keyword_fields
class SprocketFilter(django_filters.FilterSet):
    from_ = UtcDateTimeFilter(field_name="produced_at", lookup_expr="gte", help_text="Produced at or after.")
    to = UtcDateTimeFilter(field_name="produced_at", lookup_expr="lt", help_text="Produced before.")
    factory = IdFilter(field_name="factory_id", help_text="Factory id.")
    sprocket_type = IdFilter(field_name="sprocket_type_id", help_text="Sprocket type id.")
    serial_number = django_filters.CharFilter(max_length=64)

    class Meta:
        model = Sprocket
        fields = ["factory", "sprocket_type", "serial_number"]


@extend_schema_view(
    list=extend_schema(summary="List sprockets", description="Newest first; filter by factory, type and date range."),
    retrieve=extend_schema(summary="Show a sprocket"),
    create=extend_schema(
        summary="Record a produced sprocket",
        description="Production group or HR. Adds one to the factory's actual and records a chart point. "
        "An unknown `factory_id` is a 400 on that field; `serial_number` is unique per factory.",
    ),
    update=extend_schema(summary="Correct a sprocket"),
    partial_update=extend_schema(summary="Correct a sprocket"),
    destroy=extend_schema(summary="Delete a sprocket recorded by mistake", description="Lowers the factory's actual."),
)
class SprocketViewSet(ProductionViewSet):
    serializer_class = SprocketSerializer
    filterset_class = SprocketFilter
    ordering_fields = ["produced_at", "id"]
    ordering = ["-produced_at", "-id"]
    update_service = staticmethod(services.sprocket_update)
    delete_service = staticmethod(services.sprocket_delete)
    instance_argument = "sprocket"

    def get_queryset(self):
        return Sprocket.objects.all()

    def perform_create(self, serializer):
        serializer.instance = services.sprocket_record(actor=self.request.user, **serializer.validated_data)

    @extend_schema(
        summary="Record up to 1,000 sprockets at once",
        description="All or nothing: one bad sprocket (unknown factory or type, duplicate serial number, "
        "a time in the future) refuses the whole batch with a 400 naming it. Each factory's actual "
        "grows by its count and gets one chart point.",
        request=SprocketBulkSerializer,
        responses={201: SprocketBulkResultSerializer},
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def bulk(self, request):
        serializer = SprocketBulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        created = services.sprockets_record(items=serializer.validated_data["sprockets"], actor=request.user)
        return Response(
            SprocketBulkResultSerializer({"count": len(created), "results": created}).data,
            status=status.HTTP_201_CREATED,
        )


def register(router):
    """Add this app's viewsets to the /api/v1/ router."""
    router.register("locations", LocationViewSet, basename="location")
    router.register("sprocket-types", SprocketTypeViewSet, basename="sprocket-type")
    router.register("factories", FactoryViewSet, basename="factory")
    router.register("sprockets", SprocketViewSet, basename="sprocket")


urlpatterns: list[URLPattern] = []
