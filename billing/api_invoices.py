"""`invoices/` under /api/v1/: drafts from a client's billable time, their lines, issuing (the next
number of the year's gap-free sequence), cancelling by a credit note, the PDF and the lines as CSV
or XLSX. HR and the billing group only: anyone else gets 404 for an invoice and 403 on create."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from billing.api import MoneyField
from billing.currencies import round_money
from billing.documents import invoice_export, invoice_pdf
from billing.models import Invoice, InvoiceGrouping, InvoiceKind, InvoiceLine, InvoiceStatus
from billing.services import invoices as services
from core.filters import DayField, IdFilter
from timetracking.models import Client


def _actor(request: Request) -> User:
    return cast(User, request.user)  # InvoicePermission: an authenticated user


class InvoicePermission(permissions.IsAuthenticated):
    message = "Only HR and the billing group work with invoices."

    def has_permission(self, request, view):
        # Reads of others see an empty list / 404; only creating says 403.
        if not super().has_permission(request, view):
            return False
        return view.action != "create" or services.can_invoice(request.user)


class InvoiceMoneyField(MoneyField):
    """An amount of the invoice (or of its line), written in the invoice's currency's minor unit."""

    def get_attribute(self, instance: Any) -> Any:
        value = super().get_attribute(instance)
        invoice = instance if isinstance(instance, Invoice) else instance.invoice
        return None if value is None else round_money(value, invoice.currency)


class InvoiceLineSerializer(serializers.ModelSerializer):
    amount = InvoiceMoneyField(help_text="Quantity × unit price (a time line: the sum of its entries' amounts).")

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "position",
            "kind",
            "description",
            "project",
            "task",
            "quantity",
            "unit_price",
            "amount",
            "tracked_seconds",
            "billed_seconds",
        ]
        read_only_fields = fields


class InvoiceLineWriteSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=500)
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=4, help_text="Hours or units; negative: a discount."
    )
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=0)


class InvoiceLinePatchSerializer(InvoiceLineWriteSerializer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class InvoiceSerializer(serializers.ModelSerializer):
    from_ = serializers.DateField(source="period_from", read_only=True)
    to = serializers.DateField(source="period_to", read_only=True)
    net = InvoiceMoneyField(help_text="The sum of the lines' amounts.")
    tax = InvoiceMoneyField(help_text="Net × tax rate, rounded.")
    gross = InvoiceMoneyField(help_text="Net + tax.")
    credit_note = serializers.IntegerField(
        source="credit_note_id", read_only=True, allow_null=True, help_text="The credit note cancelling it, if any."
    )
    is_cancelled = serializers.SerializerMethodField()
    lines = InvoiceLineSerializer(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "kind",
            "status",
            "number",
            "client",
            "from_",
            "to",
            "grouping",
            "currency",
            "tax_rate",
            "net",
            "tax",
            "gross",
            "note",
            "issued_on",
            "issued_at",
            "credited_invoice",
            "credit_note",
            "is_cancelled",
            "lines",
            "created_at",
        ]
        read_only_fields = fields

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def get_is_cancelled(self, invoice: Invoice) -> bool:
        return getattr(invoice, "credit_note_id", None) is not None


class InvoiceCreateSerializer(serializers.Serializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all())
    from_ = DayField(help_text="The first local day of the entries.")
    to = DayField(help_text="The last local day of the entries.")
    grouping = serializers.ChoiceField(choices=InvoiceGrouping.choices, default=InvoiceGrouping.PROJECT)
    tax_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, help_text="Per cent."
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class InvoiceUpdateSerializer(serializers.Serializer):
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class InvoiceCancelSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class InvoiceFilter(django_filters.FilterSet):
    client = IdFilter(field_name="client_id")
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices)
    kind = django_filters.ChoiceFilter(choices=InvoiceKind.choices)
    year = django_filters.NumberFilter(field_name="year", min_value=1900, max_value=9999)

    class Meta:
        model = Invoice
        fields = ["client", "status", "kind", "year"]


EXPORT_FORMAT = OpenApiParameter("format", str, enum=["csv", "xlsx"], description="Default csv.")
FILE_RESPONSE = OpenApiResponse(OpenApiTypes.BINARY, description="The file.")


@extend_schema_view(
    list=extend_schema(summary="Invoices and credit notes (HR and the billing group)"),
    retrieve=extend_schema(summary="An invoice with its lines"),
    create=extend_schema(
        summary="Draft an invoice of a client's uninvoiced billable time",
        request=InvoiceCreateSerializer,
        responses={201: InvoiceSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a draft's tax rate or note", request=InvoiceUpdateSerializer, responses=InvoiceSerializer
    ),
    destroy=extend_schema(summary="Delete a draft (its entries are released)"),
)
class InvoiceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = InvoiceSerializer
    permission_classes = [InvoicePermission]
    filterset_class = InvoiceFilter
    ordering_fields = ["created_at", "issued_on", "number", "gross"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_content_negotiation(self, request, force=False):
        # `export/?format=csv|xlsx` names the file type, not a DRF renderer (as reports' downloads).
        if self.action == "export":
            renderer = JSONRenderer()
            return renderer, renderer.media_type
        return super().perform_content_negotiation(request, force=force)

    def get_queryset(self):
        credit = Invoice.objects.filter(credited_invoice=OuterRef("pk")).values("pk")[:1]
        return (
            services.invoices_visible_to(self.request.user)
            .annotate(credit_note_id=Subquery(credit))
            .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "pk")))
        )

    def _answer(self, invoice: Invoice, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=invoice.pk)
        return Response(InvoiceSerializer(fresh, context=self.get_serializer_context()).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = InvoiceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        invoice = services.invoice_draft_create(
            actor=_actor(request),
            client=data["client"],
            period_from=data["from"],
            period_to=data["to"],
            grouping=data["grouping"],
            tax_rate=data.get("tax_rate"),
            note=data.get("note", ""),
        )
        return self._answer(invoice, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        invoice = self.get_object()
        serializer = InvoiceUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.invoice_update(actor=_actor(request), invoice=invoice, data=serializer.validated_data)
        return self._answer(invoice)

    def destroy(self, request, *args, **kwargs):
        services.invoice_draft_delete(actor=_actor(request), invoice=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Add a fixed line to a draft", request=InvoiceLineWriteSerializer, responses={201: InvoiceSerializer}
    )
    @action(detail=True, methods=["post"], url_path="lines")
    def add_line(self, request: Request, pk: str | None = None) -> Response:
        invoice = self.get_object()
        serializer = InvoiceLineWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.invoice_line_add(actor=_actor(request), invoice=invoice, data=serializer.validated_data)
        return self._answer(invoice, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["PATCH"],
        summary="Edit a draft's line",
        request=InvoiceLinePatchSerializer,
        responses=InvoiceSerializer,
    )
    @extend_schema(
        methods=["DELETE"], summary="Remove a draft's line (its entries are released)", responses=InvoiceSerializer
    )
    @action(detail=True, methods=["patch", "delete"], url_path=r"lines/(?P<line_id>\d+)")
    def line(self, request: Request, pk: str | None = None, line_id: str | None = None) -> Response:
        invoice = self.get_object()
        if request.method == "DELETE":
            services.invoice_line_delete(actor=_actor(request), invoice=invoice, line_id=line_id)
            return self._answer(invoice)
        serializer = InvoiceLinePatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.invoice_line_update(
            actor=_actor(request), invoice=invoice, line_id=line_id, data=serializer.validated_data
        )
        return self._answer(invoice)

    @extend_schema(summary="Issue a draft (the next number; entries locked)", request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk: str | None = None) -> Response:
        invoice = services.invoice_issue(actor=_actor(request), invoice=self.get_object())
        return self._answer(invoice)

    @extend_schema(
        summary="Cancel an issued invoice by a credit note",
        request=InvoiceCancelSerializer,
        responses={201: InvoiceSerializer},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        serializer = InvoiceCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        credit = services.invoice_cancel(
            actor=_actor(request), invoice=self.get_object(), note=serializer.validated_data.get("note", "")
        )
        return self._answer(credit, status.HTTP_201_CREATED)

    # application/pdf, also declared as octet-stream: a generated client reads that as bytes (it has no
    # PDF type), as for a leave request's document.
    @extend_schema(
        summary="The invoice as PDF",
        responses={(200, media_type): FILE_RESPONSE for media_type in ("application/octet-stream", "application/pdf")},
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        return invoice_pdf(self.get_object())

    @extend_schema(
        summary="The invoice's lines as CSV or XLSX",
        parameters=[EXPORT_FORMAT],
        responses={
            (200, "text/csv"): FILE_RESPONSE,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): FILE_RESPONSE,
        },
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str | None = None) -> HttpResponse:
        return invoice_export(self.get_object(), request.query_params.get("format", "csv"))


def register(router):
    router.register("invoices", InvoiceViewSet, basename="invoice")
