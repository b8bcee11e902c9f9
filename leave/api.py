"""This app's part of /api/v1/: serializers and viewsets, registered by config/api.py.

Thin adapters: every write goes through `leave.services`; every read is a QuerySet method.
"""

import re
from datetime import date

import django_filters
import holidays as holidays_package
from django.http import FileResponse, Http404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.days import YEAR_OUT_OF_RANGE, year_in_range
from core.filters import DayField, DayFilter, IdFilter, keyword_fields, refuse_unknown_parameters
from core.parsers import JSONParser
from core.serializers import ModelSerializer
from leave import calendars, services
from leave.models import EndPart, LeaveRequest, LeaveStatus, LeaveType, StartPart

# --- Serializers ----------------------------------------------------------------------------------


class LeaveTypeSerializer(ModelSerializer):
    class Meta:
        model = LeaveType
        fields = [
            "id",
            "name",
            "code",
            "color",
            "paid",
            "deducts_allowance",
            "requires_approval",
            "unit",
            "attachment_required_after_days",
            "allow_negative",
        ]
        read_only_fields = fields


class LeaveRequestSerializer(ModelSerializer):
    user_name = serializers.CharField(source="user.__str__", read_only=True)
    leave_type_name = serializers.CharField(source="leave_type.name", read_only=True)
    unit = serializers.CharField(source="leave_type.unit", read_only=True)
    has_attachment = serializers.SerializerMethodField()
    substitutes = serializers.SerializerMethodField(help_text="Ids of the colleagues who cover, in the order named.")
    substitute_names = serializers.SerializerMethodField()

    class Meta:
        model = LeaveRequest
        fields = [
            "id",
            "user",
            "user_name",
            "leave_type",
            "leave_type_name",
            "unit",
            "start_date",
            "end_date",
            "start_part",
            "end_part",
            "hours",
            "amount",
            "reason",
            "status",
            "decided_by",
            "decided_at",
            "decision_note",
            "has_attachment",
            "attachment_name",
            "substitutes",
            "substitute_names",
            "created_at",
        ]
        read_only_fields = fields

    def get_has_attachment(self, obj) -> bool:
        return bool(obj.attachment)

    def get_substitutes(self, obj) -> list[int]:
        return [substitute.pk for substitute in _substitutes_of(obj)]

    def get_substitute_names(self, obj) -> list[str]:
        return [str(substitute) for substitute in _substitutes_of(obj)]


def _substitutes_of(leave_request):
    # Prefetched (LeaveRequestQuerySet.with_substitutes: one query for a page of requests), in the order named.
    return [link.user for link in leave_request.substitute_links.all()]


class SubstitutesField(serializers.ListField):
    """Colleagues' ids. An id that is not an active member of the requester's team is refused with
    the same message whether or not it exists (no probing for user ids)."""

    child = serializers.IntegerField(min_value=1)

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", list)
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "help_text",
            f"Ids of colleagues from your team who cover while you are away (at most {services.MAX_SUBSTITUTES}).",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        ids = super().to_internal_value(data)
        found = {user.pk: user for user in User.objects.filter(pk__in=ids)}
        if any(pk not in found for pk in ids):
            raise serializers.ValidationError(services.SUBSTITUTE_NOT_IN_TEAM, code="substitute_not_in_team")
        return [found[pk] for pk in ids]


class DraftSerializer(serializers.Serializer):
    leave_type = serializers.PrimaryKeyRelatedField(queryset=LeaveType.objects.active())
    start_date = DayField()
    end_date = DayField()
    start_part = serializers.ChoiceField(choices=StartPart.choices, default=StartPart.FULL)
    end_part = serializers.ChoiceField(choices=EndPart.choices, default=EndPart.FULL)
    hours = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, allow_null=True, default=None)
    substitutes = SubstitutesField()


class LeaveRequestCreateSerializer(DraftSerializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class LeaveRequestCreateWithAttachmentSerializer(LeaveRequestCreateSerializer):
    """The same as a multipart form, with the document (a leave type may require one after some days)."""

    attachment = serializers.FileField(required=False, allow_null=True, default=None, max_length=255)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AttachmentUploadSerializer(serializers.Serializer):
    attachment = serializers.FileField(max_length=255)


class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=4, decimal_places=2)
    note = serializers.CharField()


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)
    blocking = serializers.BooleanField(
        help_text="True: submitting would be refused for this reason. False: worth knowing, not a refusal "
        "(`substitute_away`: a substitute is away too)."
    )


class BalanceSerializer(serializers.Serializer):
    leave_type = serializers.IntegerField(source="leave_type.pk")
    leave_type_name = serializers.CharField(source="leave_type.name")
    unit = serializers.CharField()
    year = serializers.IntegerField()
    entitled = serializers.DecimalField(max_digits=7, decimal_places=2)
    projected = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        help_text="A year not booked yet (next year, before its 1 January): what the allowance policy will "
        "book for it, which requests for that year draw on. 0 once the year is booked.",
    )
    carried = serializers.DecimalField(max_digits=7, decimal_places=2)
    used = serializers.DecimalField(max_digits=7, decimal_places=2)
    pending = serializers.DecimalField(max_digits=7, decimal_places=2)
    balance = serializers.DecimalField(max_digits=7, decimal_places=2)
    available = serializers.DecimalField(max_digits=7, decimal_places=2)


class PreviewSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=6, decimal_places=2)
    unit = serializers.CharField()
    days = DaySerializer(many=True)
    warnings = WarningSerializer(many=True)
    balance = BalanceSerializer(allow_null=True)


class HolidaySerializer(serializers.Serializer):
    date = serializers.DateField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["public_holiday", "closure"])
    half_day = serializers.BooleanField()


class CalendarMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    country = serializers.CharField()
    subdivision = serializers.CharField()
    holidays = HolidaySerializer(many=True)


class CalendarAbsenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    start_part = serializers.CharField()
    end_part = serializers.CharField()
    status = serializers.CharField()
    # A declared field: DRF's metaclass moves it into _declared_fields, it never shadows Field.label.
    label = serializers.CharField(  # type: ignore[assignment]
        help_text="The leave type, or 'Away' for people whose details you may not see."
    )
    color = serializers.CharField()
    substitutes = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of who covers.")
    substitute_names = serializers.ListField(child=serializers.CharField(), help_text="Who covers, by name.")


class CalendarSerializer(serializers.Serializer):
    month = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    members = CalendarMemberSerializer(many=True)
    absences = CalendarAbsenceSerializer(many=True)


# --- Views ----------------------------------------------------------------------------------------


class LeaveTypeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The active leave types anyone can request."""

    serializer_class = LeaveTypeSerializer
    ordering_fields = ["name", "code"]
    ordering = ["name"]

    def get_queryset(self):
        return LeaveType.objects.active()


@keyword_fields
class LeaveRequestFilter(django_filters.FilterSet):
    from_ = DayFilter(field_name="end_date", lookup_expr="gte", label="Ends on or after")
    to = DayFilter(field_name="start_date", lookup_expr="lte", label="Starts on or before")
    status = django_filters.MultipleChoiceFilter(choices=LeaveStatus.choices)
    user = IdFilter(field_name="user_id")
    leave_type = IdFilter(field_name="leave_type_id")
    to_decide = django_filters.BooleanFilter(method="filter_to_decide", label="Only pending requests I may decide")

    class Meta:
        model = LeaveRequest
        fields = ["status", "user", "leave_type"]

    def filter_to_decide(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.pending().decidable_by(self.request.user)


def _warning(error, *, blocking=True):
    return {"code": error.code, "message": error.message, "field": error.field, "blocking": blocking}


class LeaveRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Leave requests: own, a manager's reports' and (HR) everyone's. Others' are 404."""

    filterset_class = LeaveRequestFilter
    ordering_fields = ["start_date", "end_date", "created_at", "status", "id"]
    ordering = ["-start_date", "-id"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return LeaveRequest.objects.none()
        # with_related: user, leave type and decider would cost three queries per row.
        return LeaveRequest.objects.visible_to(self.request.user).with_related().with_substitutes()

    def get_serializer_class(self):
        return {
            "create": LeaveRequestCreateWithAttachmentSerializer,
            "preview": DraftSerializer,
            "approve": DecisionSerializer,
            "reject": DecisionSerializer,
            "attachment": AttachmentUploadSerializer,
        }.get(self.action, LeaveRequestSerializer)

    @extend_schema(
        request={
            "application/json": LeaveRequestCreateSerializer,
            "multipart/form-data": LeaveRequestCreateWithAttachmentSerializer,
        },
        responses={201: LeaveRequestSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Submit a request (JSON, or multipart with an `attachment`). Types without approval are approved at once."""
        _one_file_at_most(request)
        serializer = LeaveRequestCreateWithAttachmentSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        leave_request = services.leave_request_submit(user=request.user, **serializer.validated_data)
        return Response(LeaveRequestSerializer(leave_request).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DraftSerializer, responses={200: PreviewSerializer})
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """The amount a draft would cost, what submitting it would refuse and what is worth knowing; writes nothing."""
        serializer = DraftSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        draft = services.leave_request_preview(user=request.user, **serializer.validated_data)
        data = {
            "amount": draft.amount,
            "unit": draft.unit,
            "days": [{"date": d.date, "amount": d.amount, "note": d.note} for d in draft.days],
            "warnings": [_warning(problem) for problem in draft.problems]
            + [_warning(warning, blocking=False) for warning in draft.warnings],
            "balance": draft.balance,
        }
        return Response(PreviewSerializer(data).data)

    def _decide(self, request, approve):
        leave_request = self.get_object()  # 404 for requests the caller may not see
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decide = services.leave_request_approve if approve else services.leave_request_reject
        decided = decide(leave_request_id=leave_request.pk, actor=request.user, note=serializer.validated_data["note"])
        return Response(LeaveRequestSerializer(decided).data)

    @extend_schema(request=DecisionSerializer, responses={200: LeaveRequestSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve (the requester's manager or HR; never one's own). Already decided: 409."""
        return self._decide(request, approve=True)

    @extend_schema(request=DecisionSerializer, responses={200: LeaveRequestSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject with a note (the requester's manager or HR). Already decided: 409."""
        return self._decide(request, approve=False)

    @extend_schema(request=None, responses={200: LeaveRequestSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a pending request, or an approved one that has not started (HR: any open request)."""
        leave_request = self.get_object()
        cancelled = services.leave_request_cancel(leave_request_id=leave_request.pk, actor=request.user)
        return Response(LeaveRequestSerializer(cancelled).data)

    @extend_schema(
        methods=["GET"],
        request=None,
        # The file's own type (checked by content when uploaded); octet-stream for an older file of another kind.
        responses={
            (200, media_type): OpenApiTypes.BINARY
            for media_type in ("application/octet-stream", "application/pdf", "image/png", "image/jpeg")
        },
        description="Download the document (requester, their manager and HR; others 404).",
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={200: LeaveRequestSerializer},
        description="Attach or replace the document: PDF, PNG or JPEG (checked by content), at most 5 MB.",
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        responses={204: None},
        description="Delete the document of a pending request (the requester only; 404 when there is none, "
        "409 `not_pending` once decided). The stored file is removed.",
    )
    @action(detail=True, methods=["get", "post", "delete"], parser_classes=[MultiPartParser, FormParser])
    def attachment(self, request, pk=None):
        leave_request = self.get_object()
        if request.method == "DELETE":
            services.leave_request_attachment_delete(leave_request=leave_request, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        if request.method == "POST":
            _one_file_at_most(request)
            serializer = AttachmentUploadSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            updated = services.leave_request_attach(
                leave_request=leave_request, actor=request.user, upload=serializer.validated_data["attachment"]
            )
            return Response(LeaveRequestSerializer(updated).data)
        return attachment_response(leave_request)


def _one_file_at_most(request):
    """One document per request: a second file in the same upload is refused, not silently dropped."""
    files = getattr(request, "FILES", None)
    count = sum(len(files.getlist(name)) for name in files) if files else 0
    if count > 1:
        raise serializers.ValidationError(
            {"attachment": [gettext("Send one file: a request keeps one document (replace it to change it).")]},
            code="too_many_files",
        )


def attachment_response(leave_request):
    if not leave_request.attachment:
        raise Http404(gettext("This request has no attachment."))
    extension = leave_request.attachment.name.rsplit(".", 1)[-1]
    content_type = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg"}.get(
        extension, "application/octet-stream"
    )
    response = FileResponse(
        leave_request.attachment.open("rb"),
        as_attachment=True,
        filename=f"leave-{leave_request.pk}.{extension}",
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _year_param(request):
    raw = request.query_params.get("year")
    if raw in (None, ""):
        return timezone.localdate().year
    if not re.fullmatch(r"\d{4}", raw) or not year_in_range(int(raw)):
        raise serializers.ValidationError({"year": [YEAR_OUT_OF_RANGE]})
    return int(raw)


class LeaveBalanceView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description="Default: this year."),
            OpenApiParameter("user", int, description="Someone you may see (a report; HR: anyone). Default: you."),
        ],
        responses=BalanceSerializer(many=True),
    )
    def get(self, request):
        """Per leave type for one year: entitled, carried, used, pending, balance and available."""

        refuse_unknown_parameters(request, {"year", "user"}, what="endpoint")
        year = _year_param(request)
        user = request.user
        raw_user = request.query_params.get("user")
        if raw_user:
            if not raw_user.isdigit():
                raise serializers.ValidationError({"user": [gettext("A user id.")]})
            user = User.objects.visible_to(request.user).filter(pk=int(raw_user)).first()
            if user is None:
                raise Http404
        return Response(BalanceSerializer(services.balances_for(user=user, year=year), many=True).data)


class HolidayView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description="Default: this year."),
            OpenApiParameter("country", str, description="ISO 3166 code. Default: yours."),
            OpenApiParameter("subdivision", str, description="E.g. BY, ENG, CA. Default: yours (with your country)."),
        ],
        responses=HolidaySerializer(many=True),
    )
    def get(self, request):
        """Public holidays of a country/subdivision and the company closures that apply there."""
        refuse_unknown_parameters(request, {"year", "country", "subdivision"}, what="endpoint")
        year = _year_param(request)
        country = (request.query_params.get("country") or request.user.country or "").upper()[:2]
        default_subdivision = request.user.subdivision if country == request.user.country else ""
        subdivision = (request.query_params.get("subdivision", default_subdivision) or "").upper()[:10]
        supported = holidays_package.list_supported_countries()
        if country not in supported:
            raise serializers.ValidationError(
                {"country": [gettext("{country} is not a supported country code.").format(country=repr(country))]}
            )
        if subdivision and subdivision not in supported[country]:
            raise serializers.ValidationError(
                {
                    "subdivision": [
                        gettext("{subdivision} is not a subdivision of {country}.").format(
                            subdivision=repr(subdivision), country=country
                        )
                    ]
                }
            )
        rows = calendars.holidays_list(country, subdivision, date(year, 1, 1), date(year, 12, 31))
        return Response(HolidaySerializer(rows, many=True).data)


class LeaveCalendarView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("month", str, description="YYYY-MM. Default: this month.")],
        responses=CalendarSerializer,
    )
    def get(self, request):
        """Who in your team is off during a month, with each member's public holidays and closures."""
        refuse_unknown_parameters(request, {"month"}, what="endpoint")
        try:
            start, end = calendars.month_bounds(request.query_params.get("month"))
        except ValueError as error:
            raise serializers.ValidationError({"month": [str(error)]}) from error
        members, absences = calendars.team_calendar(request.user, start, end)
        data = {"month": f"{start:%Y-%m}", "start": start, "end": end, "members": members, "absences": absences}
        return Response(CalendarSerializer(data).data)


def register(router):
    """Add this app's viewsets to the /api/v1/ router."""
    router.register("leave-types", LeaveTypeViewSet, basename="leave-type")
    router.register("leave-requests", LeaveRequestViewSet, basename="leave-request")


urlpatterns = [
    path("leave-balances/", LeaveBalanceView.as_view(), name="leave-balances"),
    path("holidays/", HolidayView.as_view(), name="holidays"),
    path("leave-calendar/", LeaveCalendarView.as_view(), name="leave-calendar"),
]
