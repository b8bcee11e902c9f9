"""Billing under /api/v1/: `rates/` (CRUD through billing.services, filters level, kind, client,
project, task, user, valid_on), and the time entries with their rate, amount and cost."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q
from rest_framework import permissions, serializers

from accounts.models import User
from billing import services
from billing.currencies import round_money
from billing.models import TARGET_FIELDS, Rate, RateKind, RateLevel
from core.filters import DayFilter, IdFilter
from core.serializers import ModelSerializer
from core.viewsets import ServiceModelViewSet
from timetracking.models import Client, Project, Task

# --- Rates --------------------------------------------------------------------------------------


class RatePermission(permissions.IsAuthenticated):
    """Everyone reads what they may see (Rate.objects.visible_to); HR and managers create. A change
    of a rate is the service's to refuse (403) once the rate is found: a rate the caller cannot see
    is 404 first, whatever the method (someone else's object is never a 403)."""

    message = services.rates.NOT_ALLOWED

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return getattr(view, "action", None) != "create" or services.can_set_rates(request.user)


class RateSerializer(ModelSerializer):
    """A rate: per hour, in `currency`, for the target of its `level`, valid from `valid_from` until the
    next rate of the same kind and target. The shape of the input only; the rules are the service's."""

    client = serializers.PrimaryKeyRelatedField(
        queryset=Client.objects.all(), required=False, allow_null=True, help_text="Client rates."
    )
    project = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.all(),
        required=False,
        allow_null=True,
        help_text="Project rates and rates of a person on a project.",
    )
    task = serializers.PrimaryKeyRelatedField(
        queryset=Task.objects.all(), required=False, allow_null=True, help_text="Task rates."
    )
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, help_text="Rates of a person on a project."
    )
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=3, help_text="Per hour, in `currency`; never negative."
    )
    currency = serializers.CharField(
        max_length=3,
        required=False,
        allow_blank=True,
        help_text="ISO 4217. Defaults to the client's currency (company rates: BILLING_DEFAULT_CURRENCY); "
        "a client's rates are in the client's currency.",
    )

    class Meta:
        model = Rate
        fields = [
            "id",
            "kind",
            "level",
            *TARGET_FIELDS,
            "amount",
            "currency",
            "valid_from",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # DRF would turn the per-level unique constraints into validators that make every target
        # required; the service checks the one day per target (a 400 at `valid_from`).
        validators: list[Any] = []

    def to_representation(self, instance: Rate) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["amount"] = str(round_money(instance.amount, instance.currency))
        return data


class RateFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=RateKind.choices)
    level = django_filters.ChoiceFilter(choices=RateLevel.choices)
    client = IdFilter(field_name="client_id", label="Client id (client rates)")
    project = IdFilter(method="filter_project", label="Project id: its rates, its tasks' and its people's")
    task = IdFilter(field_name="task_id", label="Task id")
    user = IdFilter(field_name="user_id", label="User id (rates of a person on a project)")
    valid_on = DayFilter(method="filter_valid_on", label="Only the rates in force on this day (YYYY-MM-DD)")

    class Meta:
        model = Rate
        fields: list[str] = []

    def filter_project(self, queryset, name, value):
        return queryset.filter(Q(project_id=value) | Q(task__project_id=value))

    def filter_valid_on(self, queryset, name, value):
        return queryset.valid_on(value)


class RateViewSet(ServiceModelViewSet):
    """Hourly rates with their history. HR sees and sets every rate; a project's managers (the managers
    of its members) those of their projects, and read the company's and clients' billable rates;
    employees read billable rates only when BILLING_EMPLOYEES_SEE_RATES is on, never a cost rate.
    A rate the caller may not see is 404."""

    serializer_class = RateSerializer
    permission_classes = [RatePermission]
    filterset_class = RateFilter
    ordering_fields = ["valid_from", "amount", "id"]
    ordering = ["kind", "level", "valid_from", "id"]
    create_service = staticmethod(services.rate_create)
    update_service = staticmethod(services.rate_update)
    delete_service = staticmethod(services.rate_delete)
    instance_argument = "rate"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Rate.objects.none()
        # Targets are answered as ids: no join, whatever the page size.
        return Rate.objects.visible_to(self.request.user)

    def service_arguments(self):
        return {"actor": self.request.user}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.rate_create(actor=self.request.user, **data)

    def perform_update(self, serializer):
        rate = serializer.instance
        data = dict(serializer.validated_data)
        # A kind or target sent unchanged (a PUT of the whole rate) is no change; a changed one is
        # refused by the service, never ignored.
        for name in ("kind", "level", *TARGET_FIELDS):
            if name in data and data[name] == getattr(rate, name):
                del data[name]
        serializer.instance = services.rate_update(actor=self.request.user, rate=rate, data=data)


def register(router):
    """Add billing's viewsets to the /api/v1/ router."""
    router.register("rates", RateViewSet, basename="rate")
