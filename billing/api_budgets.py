"""Budgets under /api/v1/: `budgets/` (CRUD through billing.services.budgets, with their usage), and
the billing fields of `projects/` and `clients/` (currency, rounding, budget and its usage), which
extend timetracking's viewsets from here (config.api hands them to timetracking's registration:
timetracking knows nothing of billing)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import permissions, serializers

from billing import services
from billing.api import MoneyField
from billing.budget_models import Budget, BudgetPeriod
from billing.currencies import round_money
from billing.models import ClientBilling, ProjectBilling
from billing.pricing import sees_amounts
from billing.rounding import Rounding
from billing.services.budgets import Usage
from core.filters import IdFilter
from core.serializers import ModelSerializer
from core.viewsets import ServiceModelViewSet
from timetracking.api.catalog import ClientSerializer, ClientViewSet, ProjectSerializer, ProjectViewSet
from timetracking.models import Client, Project

# --- budgets/ -----------------------------------------------------------------------------------


class BudgetPermission(permissions.IsAuthenticated):
    """HR and managers create; a budget the caller may not see is 404 first (employees see none)."""

    message = services.budgets.NOT_ALLOWED

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return getattr(view, "action", None) != "create" or services.can_set_budgets(request.user)


class BudgetSerializer(ModelSerializer):
    """A budget of a project or a client, with its usage in the current period. The shape of the
    input only; the rules (limits, thresholds, who may) are the service's."""

    project = serializers.PrimaryKeyRelatedField(
        queryset=Project.objects.all(), required=False, allow_null=True, help_text=_("A project's budget.")
    )
    client = serializers.PrimaryKeyRelatedField(
        queryset=Client.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("A client's budget, over all its projects (HR only)."),
    )
    hours = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True, help_text=_("Billed hours allowed.")
    )
    amount = serializers.DecimalField(
        max_digits=15,
        decimal_places=3,
        required=False,
        allow_null=True,
        help_text=_("The billable amount allowed, in `currency`."),
    )
    currency = serializers.CharField(read_only=True, help_text=_("ISO 4217: the client's currency."))
    thresholds = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text=_("Percentages (1 to 1000) that send an alert once per period; default [80, 100]."),
    )
    used_hours = serializers.DecimalField(
        source="usage.hours", max_digits=14, decimal_places=2, read_only=True, help_text=_("In the current period.")
    )
    used_amount = MoneyField(source="usage.amount", help_text=_("In the current period, in `currency`."))
    used_percent = serializers.DecimalField(
        source="usage.percent",
        max_digits=9,
        decimal_places=1,
        read_only=True,
        help_text=_("The larger of the hours' and the amount's share of the budget."),
    )
    period_start = serializers.DateField(source="usage.period_start", read_only=True)
    period_end = serializers.DateField(
        source="usage.period_end", read_only=True, allow_null=True, help_text=_("Null for a total budget.")
    )

    class Meta:
        model = Budget
        fields = [
            "id",
            "project",
            "client",
            "hours",
            "amount",
            "currency",
            "period",
            "thresholds",
            "refuse_when_exceeded",
            "used_hours",
            "used_amount",
            "used_percent",
            "period_start",
            "period_end",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list[Any] = []  # one budget per target: the service's 400 at the field
        extra_kwargs: dict[str, Any] = {"project": {"validators": []}, "client": {"validators": []}}

    def to_representation(self, instance: Budget) -> dict[str, Any]:
        if not hasattr(instance, "usage"):
            instance.usage = services.budget_usages([instance])[instance.pk]  # type: ignore[attr-defined]
        data = super().to_representation(instance)
        if instance.amount is not None:
            data["amount"] = str(round_money(instance.amount, instance.currency))
        return data


class BudgetFilter(django_filters.FilterSet):
    project = IdFilter(field_name="project_id", label="Project id")
    client = IdFilter(field_name="client_id", label="Client id")
    period = django_filters.ChoiceFilter(choices=BudgetPeriod.choices)

    class Meta:
        model = Budget
        fields: list[str] = []


def attach_usage(budgets: list[Budget]) -> None:
    usages = services.budget_usages(budgets)
    for budget in budgets:
        budget.usage = usages[budget.pk]  # type: ignore[attr-defined]  # read by BudgetSerializer


class BudgetViewSet(ServiceModelViewSet):
    """Budgets of projects and clients with their usage in the current period (hours: billed, rounded
    as billed; amount: billable, in the client's currency). HR sees and sets every budget; a project's
    managers (the managers of its members) their projects'; a client's budget is HR's; employees see
    none. A budget the caller may not see is 404. A page's usage is a constant number of queries."""

    serializer_class = BudgetSerializer
    permission_classes = [BudgetPermission]
    filterset_class = BudgetFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["id"]
    instance_argument = "budget"
    delete_service = staticmethod(services.budget_delete)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Budget.objects.none()
        # The project's and client's names appear in nothing here: ids only, no join.
        return Budget.objects.visible_to(self.request.user)

    def service_arguments(self):
        return {"actor": self.request.user}

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        attach_usage(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def perform_create(self, serializer):
        serializer.instance = services.budget_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        budget = serializer.instance
        data = dict(serializer.validated_data)
        for name in ("project", "client"):  # sent unchanged (a PUT): no change; changed: refused
            if name in data and data[name] == getattr(budget, name):
                del data[name]
        serializer.instance = services.budget_update(actor=self.request.user, budget=budget, data=data)


# --- The billing fields of projects/ and clients/ --------------------------------------------------

BUDGET_FIELDS = {"budget_hours": "hours", "budget_amount": "amount", "budget_period": "period"}


class BudgetFieldsMixin(serializers.Serializer):
    """The budget of a project or client as fields of it. Hours are shown to whoever sees the project;
    the amounts to those who see amounts (billing.pricing.sees_amounts), null for the others. Setting
    both `budget_hours` and `budget_amount` to null removes the budget; `budgets/` sets its thresholds
    and `refuse_when_exceeded`."""

    budget_hours = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text=_("The budget in billed hours (null: none)."),
    )
    budget_amount = serializers.DecimalField(
        max_digits=15,
        decimal_places=3,
        required=False,
        allow_null=True,
        help_text=_("The budget in money, in the client's currency (null: none)."),
    )
    budget_period = serializers.ChoiceField(
        choices=BudgetPeriod.choices,
        required=False,
        allow_null=True,
        help_text=_("`total` or `month` (the entries' local month); null without a budget."),
    )
    budget_used_hours = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text=_("Billed hours in the budget's current period; null without a budget."),
    )
    budget_used_amount = MoneyField(help_text=_("Billable amount in the budget's current period."))

    def _budget_representation(self, data: dict[str, Any], instance: Project | Client) -> None:
        budget: Budget | None = getattr(instance, "budget", None)
        usage: Usage | None = None
        if budget is not None:
            usage = getattr(instance, "budget_usage", None) or services.budget_usages([budget])[budget.pk]
        data["budget_hours"] = None if budget is None or budget.hours is None else f"{budget.hours:.2f}"
        data["budget_period"] = None if budget is None else budget.period
        data["budget_used_hours"] = None if usage is None else str(usage.hours)
        money = budget is not None and budget.amount is not None and self._sees_amounts()
        data["budget_amount"] = str(round_money(budget.amount, budget.currency)) if money else None  # type: ignore[union-attr,arg-type]
        data["budget_used_amount"] = str(usage.amount) if money and usage is not None else None

    def _sees_amounts(self) -> bool:
        # Once per answer (a list's rows share the root's context), and only when a row has money.
        if "sees_amounts" not in self.context:
            request = self.context.get("request")
            self.context["sees_amounts"] = request is not None and sees_amounts(request.user)
        return bool(self.context["sees_amounts"])

    def budget_data(self, validated: dict[str, Any]) -> dict[str, Any]:
        """The budget fields of the input, popped, under the service's names."""
        data = {service_name: validated.pop(name) for name, service_name in BUDGET_FIELDS.items() if name in validated}
        if data.get("period", "") is None:  # null: the period it has (or `total`)
            del data["period"]
        return data


def _rounding_text(instance: Project) -> str:
    billing: ProjectBilling | None = getattr(instance, "billing", None)
    return str(billing.rounding if billing is not None else services.default_rounding())


@extend_schema_serializer(component_name="Project")
class BilledProjectSerializer(ProjectSerializer, BudgetFieldsMixin):
    """A project with its billing: rounding and budget (BudgetFieldsMixin)."""

    rounding = serializers.CharField(
        required=False,
        max_length=30,
        help_text=_(
            "How billed time is rounded: `none` or `<mode>:<minutes>[:<scope>]`, mode up, down or nearest, "
            "minutes 1, 5, 6, 10, 15 or 30, scope entry or day, e.g. `up:15:entry` (default BILLING_ROUNDING)."
        ),
    )

    class Meta(ProjectSerializer.Meta):
        fields = [
            *ProjectSerializer.Meta.fields,
            "rounding",
            "budget_amount",
            "budget_period",
            "budget_used_hours",
            "budget_used_amount",
        ]

    def validate_rounding(self, value: str) -> Rounding:
        try:
            return Rounding.parse(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None

    def to_representation(self, instance: Project) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["rounding"] = _rounding_text(instance)
        self._budget_representation(data, instance)
        return data


@extend_schema_serializer(component_name="Client")
class BilledClientSerializer(ClientSerializer, BudgetFieldsMixin):
    """A client with its billing: its currency (HR sets it) and its budget over all its projects."""

    currency = serializers.CharField(
        required=False,
        max_length=3,
        help_text=_("ISO 4217: what the client is billed in (default BILLING_DEFAULT_CURRENCY); HR sets it."),
    )

    class Meta(ClientSerializer.Meta):
        fields = [*ClientSerializer.Meta.fields, "currency", *BUDGET_FIELDS, "budget_used_hours", "budget_used_amount"]

    def to_representation(self, instance: Client) -> dict[str, Any]:
        data = super().to_representation(instance)
        billing: ClientBilling | None = getattr(instance, "billing", None)
        data["currency"] = billing.currency if billing is not None else services.default_currency()
        self._budget_representation(data, instance)
        return data


def _attach_budget_usage(targets: list[Any]) -> None:
    budgets = [target.budget for target in targets if getattr(target, "budget", None) is not None]
    usages = services.budget_usages(budgets)
    for target in targets:
        budget = getattr(target, "budget", None)
        target.budget_usage = usages.get(budget.pk) if budget is not None else None


def _forget_billing(target: Project | Client) -> None:
    """The answer to a write reads the rounding, currency and budget as now saved."""
    for name in ("billing", "budget"):
        target._state.fields_cache.pop(name, None)


class BillingCatalogMixin:
    """projects/ and clients/ with their billing: the page's budgets and usage in a constant number
    of queries; a write's billing fields go through billing's services, in the write's transaction
    (a refused budget leaves the project unchanged)."""

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        _attach_budget_usage(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def billing_write(self, target: Project | Client, extra: dict[str, Any]) -> None:
        raise NotImplementedError

    def _pop_billing(self, serializer) -> dict[str, Any]:
        validated = serializer.validated_data
        extra = {name: validated.pop(name) for name in ("rounding", "currency") if name in validated}
        budget = serializer.budget_data(validated)
        if "hours" in budget and isinstance(self, BilledProjectViewSet):
            validated["budget_hours"] = budget["hours"]  # timetracking's column mirrors the budget's hours
        extra["budget"] = budget
        return extra

    def perform_create(self, serializer):
        extra = self._pop_billing(serializer)
        with transaction.atomic():
            super().perform_create(serializer)
            self.billing_write(serializer.instance, extra)

    def perform_update(self, serializer):
        extra = self._pop_billing(serializer)
        with transaction.atomic():
            super().perform_update(serializer)
            self.billing_write(serializer.instance, extra)

    def _budget_write(self, *, project: Project | None = None, client: Client | None = None, data: dict[str, Any]):
        if not data:
            return
        try:
            services.budget_set(actor=self.request.user, project=project, client=client, data=data)  # type: ignore[attr-defined]
        except services.BillingError as error:
            if error.code == "does_not_exist":  # a project the manager does not manage, by its own URL
                raise services.BillingForbidden(str(services.budgets.NOT_ALLOWED)) from None
            if error.field in BUDGET_FIELDS.values():
                error.field = f"budget_{error.field}"
            raise


class BilledProjectViewSet(BillingCatalogMixin, ProjectViewSet):
    """Projects with their rounding and budget (and its usage). Everyone reads; HR and managers write
    the project; its rounding and budget HR and the project's managers (the managers of its members)."""

    serializer_class = BilledProjectSerializer

    def get_queryset(self):
        # select_related: the rounding and the budget would be one query per project.
        return super().get_queryset().select_related("billing", "budget")

    def billing_write(self, target, extra):
        if "rounding" in extra:
            services.project_rounding_set(actor=self.request.user, project=target, rounding=extra["rounding"])
        self._budget_write(project=target, data=extra["budget"])
        _forget_billing(target)


class BilledClientViewSet(BillingCatalogMixin, ClientViewSet):
    """Clients with their currency and budget (and its usage). Everyone reads; HR and managers write
    the client; its currency and budget HR."""

    serializer_class = BilledClientSerializer

    def get_queryset(self):
        # select_related: the currency and the budget would be one query per client.
        return super().get_queryset().select_related("billing", "budget")

    def billing_write(self, target, extra):
        if "currency" in extra:
            services.client_currency_set(actor=self.request.user, client=target, currency=extra["currency"])
        self._budget_write(client=target, data=extra["budget"])
        _forget_billing(target)


def register(router):
    router.register("budgets", BudgetViewSet, basename="budget")
