"""Time entries: the list with its filters, create/update/delete through the services, and bulk create."""

import django_filters
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.errors import INVALID
from core.filters import DayFilter, IdFilter, keyword_fields, ordered_day_range, read_in_filter_queryset
from timetracking import services
from timetracking.api.serializers import (
    LEAN_ENTRY_FIELDS,
    BulkCreateSerializer,
    BulkErrorSerializer,
    BulkResultSerializer,
    TimeEntryCreateSerializer,
    TimeEntrySerializer,
    TimeEntryUpdateSerializer,
    TimeEntryWithWarningsSerializer,
    ViolationSerializer,
    _with_warnings,
    lean_entries,
)
from timetracking.models import TimeEntry


@keyword_fields
class TimeEntryFilter(django_filters.FilterSet):
    from_ = DayFilter(
        method=read_in_filter_queryset,
        label=gettext_lazy("First local day (YYYY-MM-DD), in the time zone of `user` or yours"),
    )
    to = DayFilter(method=read_in_filter_queryset, label=gettext_lazy("Last local day (YYYY-MM-DD)"))
    project = IdFilter(field_name="project_id")
    task = IdFilter(field_name="task_id")
    tag = IdFilter(field_name="tags", label=gettext_lazy("Tag id"))
    user = IdFilter(field_name="user_id", label=gettext_lazy("User id (managers: their reports; HR: anyone)"))
    billable = django_filters.BooleanFilter()
    running = django_filters.BooleanFilter(field_name="ended_at", lookup_expr="isnull")
    search = django_filters.CharFilter(method="filter_search", max_length=200, label=gettext_lazy("Full-text search"))

    class Meta:
        model = TimeEntry
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        return queryset.search(value) if value.strip() else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        first, last = ordered_day_range(self.form.cleaned_data)
        if first or last:
            queryset = queryset.on_local_days(first, last, self._timezone())
        return queryset

    def _timezone(self):
        """Local days of the `user` filtered on, if visible; otherwise of the caller."""
        user_id = self.form.cleaned_data.get("user")
        if user_id:
            owner = User.objects.visible_to(self.request.user).filter(pk=user_id).first()
            if owner is not None:
                return owner.tzinfo
        return self.request.user.tzinfo


def _unique_warnings(entries):
    seen, warnings = set(), []
    for entry in entries:
        for violation in getattr(entry, "compliance_warnings", []):
            if violation.key not in seen:
                seen.add(violation.key)
                warnings.append(violation)
    return warnings


class TimeEntryViewSet(viewsets.ModelViewSet):
    """Time entries. Employees see their own; managers also their reports' (read-only); HR everyone's.
    Someone else's entry is 404. `from`/`to` are local calendar days."""

    serializer_class = TimeEntrySerializer
    filterset_class = TimeEntryFilter
    ordering_fields = ["started_at", "ended_at", "created_at", "updated_at"]
    ordering = ["-started_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return TimeEntry.objects.none()
        # with_details: user, project, task and tags would otherwise be queried per row.
        return TimeEntry.objects.visible_to(self.request.user).with_details()

    def list(self, request, *args, **kwargs):
        # Same filters, ordering and pagination as the stock list; rows read lean (lean_entries).
        queryset = self.filter_queryset(TimeEntry.objects.visible_to(request.user))
        page = self.paginate_queryset(queryset.values(*LEAN_ENTRY_FIELDS))
        return self.get_paginated_response(lean_entries(page))

    def _writable_object(self):
        entry = self.get_object()  # 404 when not visible
        if not TimeEntry.objects.writable_by(self.request.user).filter(pk=entry.pk).exists():
            raise PermissionDenied(gettext("You can read your reports' entries but not change them."))
        return entry

    def _read(self, entry, status_code=status.HTTP_200_OK):
        return Response(_with_warnings(entry), status=status_code)

    @extend_schema(request=TimeEntryCreateSerializer, responses={201: TimeEntryWithWarningsSerializer})
    def create(self, request, *args, **kwargs):
        serializer = TimeEntryCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        user = data.pop("user", None) or request.user
        entry = services.entry_create(user=user, actor=request.user, **data)
        return self._read(entry, status.HTTP_201_CREATED)

    @extend_schema(request=TimeEntryUpdateSerializer, responses={200: TimeEntryWithWarningsSerializer})
    def update(self, request, *args, **kwargs):
        entry = self._writable_object()
        serializer = TimeEntryUpdateSerializer(
            data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        entry = services.entry_update(entry=entry, actor=request.user, **serializer.validated_data)
        return self._read(entry)

    @extend_schema(request=TimeEntryUpdateSerializer, responses={200: TimeEntryWithWarningsSerializer})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        services.entry_delete(entry=self._writable_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TimeEntryBulkView(APIView):
    """Create up to 500 entries in one request, all or nothing. A refused row refuses the whole
    request (400) with the errors of every refused row, by index."""

    @extend_schema(
        request=BulkCreateSerializer,
        responses={201: BulkResultSerializer, 400: BulkErrorSerializer},
        operation_id="time_entries_bulk_create",
    )
    def post(self, request):
        serializer = BulkCreateSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            rows = serializer.errors.get("entries")
            # Per-row errors come as a list (one dict per row) or a dict keyed by row index.
            if isinstance(rows, list) and rows and isinstance(rows[0], dict):
                rows = dict(enumerate(rows))
            if isinstance(rows, dict) and rows and all(str(key).isdigit() for key in rows):
                errors = [
                    {"index": int(index), "kind": INVALID, "errors": row_errors}
                    for index, row_errors in sorted(rows.items(), key=lambda item: int(item[0]))
                    if row_errors
                ]
                raise services.BulkError(errors)
            raise ValidationError(serializer.errors)
        rows = []
        for row in serializer.validated_data["entries"]:
            row = dict(row)
            row["user"] = row.get("user") or request.user
            rows.append(row)
        created = services.entries_bulk_create(actor=request.user, rows=rows)
        entries = TimeEntry.objects.filter(pk__in=[entry.pk for entry in created]).with_details().order_by("started_at")
        data = {
            "created": len(created),
            "entries": self.entries_data(list(entries)),
            "warnings": ViolationSerializer(_unique_warnings(created), many=True).data,
        }
        return Response(data, status=status.HTTP_201_CREATED)

    def entries_data(self, entries):
        """The created entries as read; an app above this one (billing: their money) extends it."""
        return TimeEntrySerializer(entries, many=True).data
