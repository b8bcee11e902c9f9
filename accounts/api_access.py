"""Accounts API: the audit trail (`audit-events/`, HR, read-only) and API keys (`api-keys/`)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts import services
from accounts.models import ApiKey, AuditEvent
from accounts.permissions import IsHR
from core.filters import IdFilter, UtcDateTimeFilter
from core.serializers import ModelSerializer


class AuditEventSerializer(ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_username",
            "action",
            "object_type",
            "object_id",
            "changes",
            "ip_address",
            "request_id",
        ]
        read_only_fields = fields


class AuditEventFilter(django_filters.FilterSet):
    actor = IdFilter(field_name="actor_id")
    action = django_filters.CharFilter(max_length=64)
    object_type = django_filters.CharFilter(max_length=100)
    object_id = django_filters.CharFilter(max_length=64)
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "object_type", "object_id"]


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail, for HR only. Read-only: nothing can change or remove an event."""

    serializer_class = AuditEventSerializer
    permission_classes = [IsAuthenticated, IsHR]
    filterset_class = AuditEventFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return AuditEvent.objects.all()


class ApiKeySerializer(ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "read_only",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "created_at",
            "is_active",
        ]
        read_only_fields = ["id", "prefix", "last_used_at", "revoked_at", "created_at", "is_active"]


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="The full key. Shown only in this response.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class ApiKeyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own API keys. Create shows the key once; DELETE revokes it at once."""

    serializer_class = ApiKeySerializer
    filterset_fields = ["read_only"]
    ordering_fields = ["created_at", "name"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiKey.objects.none()
        return ApiKey.objects.filter(user=self.request.user)

    @extend_schema(request=ApiKeySerializer, responses={201: ApiKeyCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ApiKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        api_key, full_key = services.api_key_create(user=request.user, **serializer.validated_data)
        api_key.key = full_key
        return Response(ApiKeyCreatedSerializer(api_key).data, status=201)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        services.api_key_revoke(api_key=self.get_object(), actor=request.user)
        return Response(status=204)
