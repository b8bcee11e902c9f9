"""`webhooks/` (HR only): register endpoints for events; `webhook-deliveries/` to watch them."""

from django.urls import URLPattern, URLResolver
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from accounts.permissions import IsHR
from core.errors import DomainError
from core.serializers import ModelSerializer
from webhooks import services
from webhooks.models import EVENT_TYPES, Delivery, Endpoint


class EndpointSerializer(ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), allow_empty=False, max_length=len(EVENT_TYPES)
    )
    secret = serializers.CharField(read_only=True, help_text="Signing secret: verify the X-Timetrack-Signature header.")

    class Meta:
        model = Endpoint
        fields = ["id", "url", "description", "events", "secret", "is_active", "created_at"]
        read_only_fields = ["id", "secret", "created_at"]

    def validate_url(self, value):
        try:
            return services.endpoint_validate_url(value)
        except DomainError as error:  # reported with the other fields' errors
            raise serializers.ValidationError(error.message, code=error.code) from error

    def validate_events(self, value):
        return services.endpoint_validate_events(value)


class EndpointViewSet(viewsets.ModelViewSet):
    """HR: the URLs that receive a POST for each event they subscribe to, signed with the endpoint's
    `secret`: `X-Timetrack-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. A failed
    delivery is retried with growing delays; `is_active: false` pauses an endpoint."""

    serializer_class = EndpointSerializer
    permission_classes = [IsAuthenticated, IsHR]
    filterset_fields = ["is_active"]
    ordering_fields = ["url", "created_at"]

    def get_queryset(self):
        return Endpoint.objects.all()

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user)


class DeliverySerializer(ModelSerializer):
    event_type = serializers.CharField(source="event.event_type", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "endpoint",
            "event",
            "event_type",
            "status",
            "attempts",
            "response_status",
            "last_error",
            "last_attempt_at",
            "created_at",
        ]
        read_only_fields = fields


class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """HR: each event sent to each endpoint, with its status, attempts and the last answer or error."""

    serializer_class = DeliverySerializer
    permission_classes = [IsAuthenticated, IsHR]
    filterset_fields = ["endpoint", "status"]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self):
        # select_related: event_type reads the event of every row.
        return Delivery.objects.select_related("event")


def register(router):
    router.register("webhooks", EndpointViewSet, basename="webhook")
    router.register("webhook-deliveries", DeliveryViewSet, basename="webhook-delivery")


urlpatterns: list[URLPattern | URLResolver] = []
