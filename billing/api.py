"""Billing under /api/v1/: `rates/` (CRUD through billing.services, filters level, kind, client,
project, task, user, valid_on), and the time entries with their rate, amount and cost."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import Q
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response

from accounts.models import User
from billing import services
from billing.currencies import round_money
from billing.models import TARGET_FIELDS, InvoicedEntry, Rate, RateKind, RateLevel
from billing.pricing import EntryPrice, price_entries, sees_amounts, sees_costs
from core.filters import DayFilter, IdFilter
from core.serializers import ModelSerializer
from core.viewsets import ServiceModelViewSet
from timetracking.api import (
    BulkCreateSerializer,
    BulkErrorSerializer,
    BulkResultSerializer,
    TimeEntryBulkView,
    TimeEntryCreateSerializer,
    TimeEntrySerializer,
    TimeEntryUpdateSerializer,
    TimeEntryViewSet,
    TimeEntryWithWarningsSerializer,
    TimerStartSerializer,
    TimerStartView,
    TimerStopSerializer,
    TimerStopView,
    TimerUpdateSerializer,
    TimerView,
    lean_entries,
)
from timetracking.api.serializers import LEAN_ENTRY_FIELDS, _with_warnings
from timetracking.api.timer import TimerAnswers
from timetracking.models import Client, Project, Task, TimeEntry

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
    """Add billing's viewsets to the /api/v1/ router. (Its time entries viewset is handed to
    timetracking's registration by config.api: the prefix stays timetracking's.)"""
    from billing import api_invoices  # it reads this module's MoneyField

    router.register("rates", RateViewSet, basename="rate")
    api_invoices.register(router)


# --- Time entries with their money ----------------------------------------------------------------


class MoneyField(serializers.DecimalField):
    """A read-only amount already rounded to its currency: written as it is ("100.00", JPY "167"),
    not padded to the field's decimal places."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=15, decimal_places=3, read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value: Any) -> str:
        return str(value)


class EntryMoneyFields(serializers.Serializer):
    """What billing adds to a time entry (read-only, null where the caller may not see it: the
    billable side for HR, managers and, with BILLING_EMPLOYEES_SEE_RATES, employees; the cost side
    for HR and managers only)."""

    currency = serializers.CharField(
        source="money.currency", read_only=True, allow_null=True, help_text="ISO 4217: the client's currency."
    )
    rate = MoneyField(source="money.rate", help_text="The billable rate per hour that applies, in `currency`.")
    rate_level = serializers.ChoiceField(
        source="money.rate_level",
        choices=RateLevel.choices,
        read_only=True,
        allow_null=True,
        help_text="Where `rate` comes from: the most specific level with a rate valid on the entry's local day.",
    )
    billed_seconds = serializers.IntegerField(
        source="money.billed_seconds",
        read_only=True,
        allow_null=True,
        help_text="The seconds billed: tracked, rounded by the project's rounding; 0 when not billable.",
    )
    amount = MoneyField(source="money.amount", help_text="Billed hours × `rate`, rounded to the currency.")
    cost_rate = MoneyField(source="money.cost_rate", help_text="The internal cost per hour (HR and managers).")
    cost = MoneyField(source="money.cost", help_text="Tracked hours × `cost_rate` (HR and managers).")
    invoice = serializers.IntegerField(
        source="money.invoice",
        read_only=True,
        allow_null=True,
        help_text="The invoice (draft or issued) the entry is on: while it is, the entry cannot change (409).",
    )


MONEY_FIELDS = tuple(EntryMoneyFields._declared_fields)


def money_of(price: EntryPrice | None, *, amounts: bool, costs: bool) -> dict[str, Any]:
    """An entry's money as the API writes it, with what the caller may not see left null."""
    money: dict[str, Any] = dict.fromkeys(MONEY_FIELDS)
    if price is None or not (amounts or costs):
        return money
    money["currency"] = price.currency
    if amounts:
        rate = price.rate
        money["rate"] = None if rate is None else round_money(rate.amount, price.currency)
        money["rate_level"] = None if rate is None else rate.level
        money["billed_seconds"] = price.billed_seconds
        money["amount"] = price.amount
    if costs:
        cost_rate = price.cost_rate
        money["cost_rate"] = None if cost_rate is None else round_money(cost_rate.amount, price.currency)
        money["cost"] = price.cost
    return money


def _money_text(money: dict[str, Any]) -> dict[str, Any]:
    return {name: str(value) if isinstance(value, Decimal) else value for name, value in money.items()}


def entries_money(rows: list[dict[str, Any]], viewer: User) -> dict[int, dict[str, Any]]:
    """{entry id: money} for `values()` rows (billing.pricing.price_entries' fields). Nothing is read
    for a caller who may see none of it."""
    amounts, costs = sees_amounts(viewer), sees_costs(viewer)
    prices = price_entries(rows) if rows and (amounts or costs) else {}
    money = {row["id"]: money_of(prices.get(row["id"]), amounts=amounts, costs=costs) for row in rows}
    # Whoever sees the entry sees the invoice that locks it (only finished entries are invoiced): in
    # the rows when their query joined it (the list), else read here.
    if rows and "invoicing__invoice_id" in rows[0]:
        for row in rows:
            money[row["id"]]["invoice"] = row["invoicing__invoice_id"]
        return money
    finished = [row["id"] for row in rows if row["ended_at"] is not None]
    if finished:
        held = InvoicedEntry.objects.filter(entry_id__in=finished).values_list("entry_id", "invoice_id")
        for entry_id, invoice_id in held:
            money[entry_id]["invoice"] = invoice_id
    return money


def _instance_row(entry: TimeEntry) -> dict[str, Any]:
    row = {name: getattr(entry, name) for name in PRICED_FIELDS}
    row["user__timezone"] = entry.user.timezone
    return row


def attach_money(entries: list[TimeEntry], viewer: User) -> None:
    money = entries_money([_instance_row(entry) for entry in entries], viewer)
    for entry in entries:
        entry.money = money[entry.pk]  # type: ignore[attr-defined]  # read by EntryMoneyFields


PRICED_FIELDS = ("id", "user_id", "project_id", "task_id", "started_at", "ended_at", "billable")


class BilledTimeEntrySerializer(TimeEntrySerializer, EntryMoneyFields):
    """A time entry as read, with its money (EntryMoneyFields)."""

    class Meta(TimeEntrySerializer.Meta):
        fields = [*TimeEntrySerializer.Meta.fields, *MONEY_FIELDS]
        read_only_fields = fields


class BilledTimeEntryWithWarningsSerializer(TimeEntryWithWarningsSerializer, EntryMoneyFields):
    """An entry as saved, with its money and the working-time violations its write created."""

    class Meta(TimeEntryWithWarningsSerializer.Meta):
        fields = [*TimeEntryWithWarningsSerializer.Meta.fields, *MONEY_FIELDS]
        read_only_fields = fields


class BilledTimeEntryViewSet(TimeEntryViewSet):
    """Time entries with their rate, billed seconds, amount and cost (billing.pricing). Employees see
    their own; managers also their reports' (read-only); HR everyone's. Someone else's entry is 404.
    `from`/`to` are local calendar days. The money of a page is two more queries (the projects'
    terms, the rates), whatever its size."""

    serializer_class = BilledTimeEntrySerializer

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(TimeEntry.objects.visible_to(request.user))
        # The owner's time zone in the page's query: an entry is priced on its local day.
        page = self.paginate_queryset(queryset.values(*LEAN_ENTRY_FIELDS, "user__timezone", "invoicing__invoice_id"))
        money = entries_money(page, request.user)
        results = lean_entries(page)
        for result in results:
            result.update(_money_text(money[result["id"]]))
        return self.get_paginated_response(results)

    def retrieve(self, request, *args, **kwargs):
        entry = self.get_object()
        attach_money([entry], request.user)
        return Response(self.get_serializer(entry).data)

    def _read(self, entry, status_code=status.HTTP_200_OK):
        data = _with_warnings(entry)
        row = {name: getattr(entry, name) for name in PRICED_FIELDS}
        data.update(_money_text(entries_money([row], self.request.user)[entry.pk]))
        return Response(data, status=status_code)

    @extend_schema(request=TimeEntryCreateSerializer, responses={201: BilledTimeEntryWithWarningsSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @extend_schema(request=TimeEntryUpdateSerializer, responses={200: BilledTimeEntryWithWarningsSerializer})
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @extend_schema(request=TimeEntryUpdateSerializer, responses={200: BilledTimeEntryWithWarningsSerializer})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)


# --- The timer and bulk answers with their money ------------------------------------------------------


def _entries_with_money(data: list[dict[str, Any]], entries: list[TimeEntry], viewer: User) -> list[dict[str, Any]]:
    """Representations of `entries` (in the same order) with each entry's money added."""
    money = entries_money([_instance_row(entry) for entry in entries], viewer)
    for item, entry in zip(data, entries, strict=True):
        item.update(_money_text(money[entry.pk]))
    return data


class BilledTimerAnswers(TimerAnswers):
    def entry_read(self, entry):
        return _entries_with_money([dict(super().entry_read(entry))], [entry], self.request.user)[0]

    def entry_data(self, entry):
        return _entries_with_money([super().entry_data(entry)], [entry], self.request.user)[0]

    def entry_with_warnings(self, entry):
        return _entries_with_money([super().entry_with_warnings(entry)], [entry], self.request.user)[0]


class BilledTimerView(BilledTimerAnswers, TimerView):
    @extend_schema(
        responses={200: BilledTimeEntrySerializer, 204: OpenApiResponse(description="No timer is running.")},
        operation_id="timer_retrieve",
    )
    def get(self, request):
        return super().get(request)

    @extend_schema(
        request=TimerUpdateSerializer, responses={200: BilledTimeEntrySerializer}, operation_id="timer_partial_update"
    )
    def patch(self, request):
        return super().patch(request)


class BilledTimerStartView(BilledTimerAnswers, TimerStartView):
    @extend_schema(
        request=TimerStartSerializer, responses={201: BilledTimeEntryWithWarningsSerializer}, operation_id="timer_start"
    )
    def post(self, request):
        return super().post(request)


class BilledTimerStopView(BilledTimerAnswers, TimerStopView):
    @extend_schema(
        request=TimerStopSerializer, responses={200: BilledTimeEntryWithWarningsSerializer}, operation_id="timer_stop"
    )
    def post(self, request):
        return super().post(request)


class BilledBulkResultSerializer(BulkResultSerializer):
    entries = BilledTimeEntrySerializer(many=True)


class BilledTimeEntryBulkView(TimeEntryBulkView):
    @extend_schema(
        request=BulkCreateSerializer,
        responses={201: BilledBulkResultSerializer, 400: BulkErrorSerializer},
        operation_id="time_entries_bulk_create",
    )
    def post(self, request):
        return super().post(request)

    def entries_data(self, entries):
        return _entries_with_money([dict(item) for item in super().entries_data(entries)], entries, self.request.user)


# timetracking's plain API views, with money (config.api hands them to timetracking.api.api_urlpatterns).
TIMETRACKING_VIEWS = {
    "bulk_view": BilledTimeEntryBulkView,
    "timer_view": BilledTimerView,
    "timer_start_view": BilledTimerStartView,
    "timer_stop_view": BilledTimerStopView,
}
