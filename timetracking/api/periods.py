"""The weekly period close: submit, approve, reject, reopen (timetracking.services)."""

import django_filters
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.filters import DayField, DayFilter, IdFilter, keyword_fields, ordered_day_range, read_in_filter_queryset
from core.serializers import ModelSerializer
from timetracking import services
from timetracking.models import TimesheetPeriod


class PeriodSerializer(ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    week_end = serializers.DateField(read_only=True)
    is_locked = serializers.BooleanField(read_only=True)

    class Meta:
        model = TimesheetPeriod
        fields = [
            "id",
            "user",
            "username",
            "week_start",
            "week_end",
            "status",
            "is_locked",
            "submitted_at",
            "decided_by",
            "decided_at",
            "note",
            "reopen_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PeriodSubmitSerializer(serializers.Serializer):
    week = DayField(help_text=gettext_lazy("Any day of the ISO week to submit (your local calendar)."))


class PeriodRejectSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=services.PERIOD_TEXT_MAX_LENGTH, help_text=gettext_lazy("What to fix."))


class PeriodReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=services.PERIOD_TEXT_MAX_LENGTH, help_text=gettext_lazy("Why the week is reopened.")
    )


@keyword_fields
class PeriodFilter(django_filters.FilterSet):
    from_ = DayFilter(method=read_in_filter_queryset, label=gettext_lazy("Weeks meeting this day or later"))
    to = DayFilter(method=read_in_filter_queryset, label=gettext_lazy("Weeks meeting this day or earlier"))
    user = IdFilter(field_name="user_id")
    status = django_filters.ChoiceFilter(choices=TimesheetPeriod.Status.choices)

    class Meta:
        model = TimesheetPeriod
        fields: list[str] = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset.in_range(*ordered_day_range(self.form.cleaned_data))


class PeriodViewSet(viewsets.ReadOnlyModelViewSet):
    """Weekly timesheets: submitted by their owner, approved (locked) or rejected by the owner's manager
    or HR, reopened with a reason. Nobody decides their own week (403). Someone else's is 404.
    A week without a row is a draft."""

    serializer_class = PeriodSerializer
    filterset_class = PeriodFilter
    ordering_fields = ["week_start", "submitted_at", "decided_at", "id"]
    ordering = ["-week_start", "user_id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TimesheetPeriod.objects.none()
        # select_related: `username` would be one query per row.
        return TimesheetPeriod.objects.visible_to(self.request.user).select_related("user")

    def _respond(self, period, status_code=status.HTTP_200_OK):
        period = TimesheetPeriod.objects.select_related("user").get(pk=period.pk)
        return Response(PeriodSerializer(period).data, status=status_code)

    @extend_schema(
        request=PeriodSubmitSerializer,
        responses={200: PeriodSerializer},
    )
    @action(detail=False, methods=["post"])
    def submit(self, request):
        """Submit your own week (the one containing `week`) to your manager."""
        serializer = PeriodSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._respond(services.period_submit(user=request.user, day=serializer.validated_data["week"]))

    @extend_schema(request=None, responses={200: PeriodSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a submitted week: it is locked (no entry changes) until reopened."""
        return self._respond(services.period_approve(actor=request.user, period=self.get_object()))

    @extend_schema(
        request=PeriodRejectSerializer,
        responses={200: PeriodSerializer},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Send a submitted week back to its owner (draft) with a note."""
        period = self.get_object()
        serializer = PeriodRejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._respond(services.period_reject(actor=request.user, period=period, **serializer.validated_data))

    @extend_schema(
        request=PeriodReopenSerializer,
        responses={200: PeriodSerializer},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Unlock an approved week, with a reason."""
        period = self.get_object()
        serializer = PeriodReopenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._respond(services.period_reopen(actor=request.user, period=period, **serializer.validated_data))
