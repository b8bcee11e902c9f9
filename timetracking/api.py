"""Time tracking under /api/v1/: clients, projects, tasks, tags, time entries, bulk, the timer,
working-time compliance violations and the weekly period close (submit/approve/reject/reopen).

Thin adapters: serializers parse and validate the shape of the input, `services` applies
the rules. Clients/projects/tasks/tags are read by everyone and written by HR and managers
(anyone may create a tag, as they can through an entry).
"""

from datetime import timedelta
from decimal import Decimal

import django_filters
from django.db import IntegrityError
from django.db.models import Q
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.errors import INVALID
from core.filters import DayField, DayFilter, MomentField
from core.serializers import ModelSerializer
from timetracking import compliance, services
from timetracking.models import Client, Project, Tag, Task, TimeEntry, TimesheetPeriod

# --- Permissions ------------------------------------------------------------------------------


class CatalogPermission(permissions.IsAuthenticated):
    """Everyone reads; HR and managers write. `allow_create_by_anyone` for tags."""

    message = "Only HR and managers can change clients, projects, tasks and tags."

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if request.method == "POST" and getattr(view, "allow_create_by_anyone", False):
            return True
        return services.can_manage_catalog(request.user)


# --- Catalog serializers ----------------------------------------------------------------------


def _unique_ci(queryset, instance, message, **lookups):
    if instance is not None:
        queryset = queryset.exclude(pk=instance.pk)
    if queryset.filter(**lookups).exists():
        raise serializers.ValidationError(message)


class ClientSerializer(ModelSerializer):
    class Meta:
        model = Client
        fields = ["id", "name", "created_at"]
        read_only_fields = ["created_at"]

    def validate_name(self, value):
        value = value.strip()
        _unique_ci(Client.objects.all(), self.instance, "A client with this name exists.", name__iexact=value)
        return value


class ProjectSerializer(ModelSerializer):
    client_name = serializers.CharField(source="client.name", read_only=True, allow_null=True)
    members = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=User.objects.filter(is_active=True),
        help_text="When not empty, only these users (and HR) may log time to the project.",
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "client",
            "client_name",
            "name",
            "code",
            "color",
            "active",
            "billable",
            "budget_hours",
            "members",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def validate(self, attrs):
        name = attrs.get("name", getattr(self.instance, "name", "")).strip()
        client = attrs["client"] if "client" in attrs else getattr(self.instance, "client", None)
        others = Project.objects.exclude(pk=self.instance.pk) if self.instance else Project.objects.all()
        if others.filter(name__iexact=name, client=client).exists():
            raise serializers.ValidationError({"name": "This client already has a project with this name."})
        code = attrs.get("code", "")
        if code and others.filter(code=code).exists():
            raise serializers.ValidationError({"code": "Another project uses this code."})
        return attrs


class TaskSerializer(ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "project", "name", "active"]

    def validate(self, attrs):
        name = attrs.get("name", getattr(self.instance, "name", "")).strip()
        project = attrs.get("project", getattr(self.instance, "project", None))
        others = Task.objects.exclude(pk=self.instance.pk) if self.instance else Task.objects.all()
        if others.filter(project=project, name__iexact=name).exists():
            raise serializers.ValidationError({"name": "This project already has a task with this name."})
        return attrs


class TagSerializer(ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]

    def validate_name(self, value):
        value = " ".join(value.split())
        if not value:
            raise serializers.ValidationError("A tag name cannot be empty.")
        _unique_ci(Tag.objects.all(), self.instance, "A tag with this name exists.", name__iexact=value)
        return value


# --- Catalog viewsets -------------------------------------------------------------------------


class CatalogViewSet(viewsets.ModelViewSet):
    permission_classes = [CatalogPermission]

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer)

    def _save(self, serializer):
        try:
            serializer.save()
        except IntegrityError as error:
            # Two requests creating the same name at once: the unique index refuses the second.
            raise services.TimeTrackingConflict("This name is already taken.", code="duplicate") from error

    def perform_destroy(self, instance):
        services.catalog_delete(instance=instance)


class ClientFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)

    class Meta:
        model = Client
        fields = []


class ClientViewSet(CatalogViewSet):
    """Clients. Everyone reads; HR and managers write. A client with projects cannot be deleted (409)."""

    serializer_class = ClientSerializer
    filterset_class = ClientFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return Client.objects.all()


class ProjectFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=200)
    loggable = django_filters.BooleanFilter(method="filter_loggable", label="Only projects I may log time to")

    class Meta:
        model = Project
        fields = ["client", "active", "billable"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value) | Q(client__name__icontains=value))

    def filter_loggable(self, queryset, name, value):
        loggable = Project.objects.loggable_by(self.request.user).values("pk")
        return queryset.filter(pk__in=loggable) if value else queryset.exclude(pk__in=loggable)


class ProjectViewSet(CatalogViewSet):
    """Projects. Everyone reads; HR and managers write. Archive (`active: false`) instead of deleting
    a project with time entries (409)."""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["name", "code", "id", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        # select_related/prefetch: client_name and members would be one query per project.
        return Project.objects.select_related("client").prefetch_related("members")


class TaskFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)

    class Meta:
        model = Task
        fields = ["project", "active"]


class TaskViewSet(CatalogViewSet):
    """Tasks of projects. Everyone reads; HR and managers write."""

    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    ordering_fields = ["name", "id", "project"]
    ordering = ["project", "name"]

    def get_queryset(self):
        return Task.objects.all()


class TagFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=50)

    class Meta:
        model = Tag
        fields = []


class TagViewSet(CatalogViewSet):
    """Tags. Everyone reads and creates (entries create unknown tag names too); HR and managers
    rename and delete."""

    serializer_class = TagSerializer
    filterset_class = TagFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]
    allow_create_by_anyone = True

    def get_queryset(self):
        return Tag.objects.all()


# --- Time entry serializers -------------------------------------------------------------------


class LocalDateTimeField(MomentField):
    """An ISO datetime within the supported days; one without an offset is read in the caller's own time zone."""

    def default_timezone(self):
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            return request.user.tzinfo
        return super().default_timezone()


_TAG_NAME = serializers.CharField(
    max_length=services.TAG_NAME_MAX_LENGTH,
    error_messages={
        "blank": "A tag name cannot be empty.",
        "max_length": f"A tag name has at most {services.TAG_NAME_MAX_LENGTH} characters.",
    },
)


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string", "maxLength": services.TAG_NAME_MAX_LENGTH}]})
class TagReferenceField(serializers.Field):
    """A tag id (integer) or a tag name (string; an unknown name creates the tag)."""

    default_error_messages = {"invalid": "A tag is an id (integer) or a name (string)."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, str):
            # A name is a CharField's value: NUL characters and lone surrogates are refused here,
            # as in every other string, before the name reaches a query.
            data = _TAG_NAME.run_validation(" ".join(data.split()))
        return data

    def to_representation(self, value):
        return value


def _tags_field():
    return serializers.ListField(
        child=TagReferenceField(),
        required=False,
        max_length=services.MAX_TAGS_PER_ENTRY,
        help_text='Tag ids or names, e.g. [3, "review"]; an unknown name creates the tag.',
    )


class TagBriefSerializer(ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class TimeEntrySerializer(ModelSerializer):
    """An entry as read. `ended_at`, `duration_seconds` and `hours` are null while the timer runs."""

    project_name = serializers.CharField(source="project.name", read_only=True, allow_null=True)
    task_name = serializers.CharField(source="task.name", read_only=True, allow_null=True)
    tags = TagBriefSerializer(many=True, read_only=True)
    duration_seconds = serializers.SerializerMethodField()
    hours = serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True, allow_null=True)
    is_running = serializers.BooleanField(read_only=True)

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "user",
            "project",
            "project_name",
            "task",
            "task_name",
            "tags",
            "description",
            "started_at",
            "ended_at",
            "duration_seconds",
            "hours",
            "is_running",
            "billable",
            "source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_duration_seconds(self, entry) -> int | None:
        return int(entry.duration.total_seconds()) if entry.ended_at else None


# The list endpoint's lean reader: `values()` rows turned into exactly what TimeEntrySerializer
# gives (a test compares the two field by field), without a model instance, a related object or a
# serializer field per value. make bench (b): the serializer was most of a 100-row page's time.
LEAN_ENTRY_FIELDS = (
    "id",
    "user_id",
    "project_id",
    "project__name",
    "task_id",
    "task__name",
    "description",
    "started_at",
    "ended_at",
    "billable",
    "source",
    "created_at",
    "updated_at",
)
_HOUR = Decimal(3600)
_CENTS = Decimal("0.01")


def _iso(moment, tzinfo):
    """DRF's DateTimeField output: ISO 8601 in the current time zone, UTC as `Z`."""
    text = moment.astimezone(tzinfo).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _lean_entry(row, tags, tzinfo):
    started_at, ended_at = row["started_at"], row["ended_at"]
    if ended_at is None:
        seconds = hours = None
    else:
        seconds = int((ended_at - started_at).total_seconds())
        hours = f"{(Decimal(seconds) / _HOUR).quantize(_CENTS):f}"
    return {
        "id": row["id"],
        "user": row["user_id"],
        "project": row["project_id"],
        "project_name": row["project__name"],
        "task": row["task_id"],
        "task_name": row["task__name"],
        "tags": tags,
        "description": row["description"],
        "started_at": _iso(started_at, tzinfo),
        "ended_at": None if ended_at is None else _iso(ended_at, tzinfo),
        "duration_seconds": seconds,
        "hours": hours,
        "is_running": ended_at is None,
        "billable": row["billable"],
        "source": row["source"],
        "created_at": _iso(row["created_at"], tzinfo),
        "updated_at": _iso(row["updated_at"], tzinfo),
    }


def lean_entries(rows):
    """TimeEntrySerializer's representation of `values(*LEAN_ENTRY_FIELDS)` rows, with one tag query."""
    rows = list(rows)
    tags = {}
    through = TimeEntry.tags.through.objects.filter(timeentry_id__in=[row["id"] for row in rows])
    for entry_id, tag_id, name in through.order_by("tag__name", "tag_id").values_list(
        "timeentry_id", "tag_id", "tag__name"
    ):
        tags.setdefault(entry_id, []).append({"id": tag_id, "name": name})
    tzinfo = timezone.get_current_timezone()
    return [_lean_entry(row, tags.get(row["id"], []), tzinfo) for row in rows]


def written_entry(entry):
    """TimeEntrySerializer's representation of an entry a service just wrote, from the instance it
    returned (its project, task and `saved_tags`): no re-read after the write (make bench (c), (d))."""
    tags = getattr(entry, "saved_tags", None)
    if tags is None:
        tags = entry.tags.order_by("name", "pk")
    row = {field: getattr(entry, field) for field in LEAN_ENTRY_FIELDS if "__" not in field}
    row["project__name"] = entry.project.name if entry.project_id else None
    row["task__name"] = entry.task.name if entry.task_id else None
    tag_data = [{"id": tag.pk, "name": tag.name} for tag in tags]
    return _lean_entry(row, tag_data, timezone.get_current_timezone())


class ViolationSerializer(serializers.Serializer):
    """One breach of a working-time rule: who, which local days, the figures (actual vs limit)."""

    rule = serializers.ChoiceField(choices=compliance.Rule.choices)
    rule_label = serializers.CharField()
    user = serializers.IntegerField(source="user_id")
    period_start = serializers.DateField(help_text="First local day concerned.")
    period_end = serializers.DateField(help_text="Last local day concerned.")
    actual = serializers.DecimalField(max_digits=8, decimal_places=2, help_text="What was tracked, in `unit`.")
    limit = serializers.DecimalField(max_digits=8, decimal_places=2, help_text="The rule's limit, in `unit`.")
    unit = serializers.ChoiceField(choices=["hours", "minutes"])
    message = serializers.CharField()
    starts_at = serializers.DateTimeField(allow_null=True, help_text="Start of the rest concerned (rest rules).")
    ends_at = serializers.DateTimeField(allow_null=True, help_text="End of the rest concerned (rest rules).")


class TimeEntryWithWarningsSerializer(TimeEntrySerializer):
    """An entry as saved, with the working-time violations the write created (empty when none)."""

    warnings = ViolationSerializer(many=True, read_only=True)

    class Meta(TimeEntrySerializer.Meta):
        fields = [*TimeEntrySerializer.Meta.fields, "warnings"]
        read_only_fields = fields


class _EntryFieldsMixin(serializers.Serializer):
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all(), required=False, allow_null=True)
    task = serializers.PrimaryKeyRelatedField(
        queryset=Task.objects.select_related("project"),
        required=False,
        allow_null=True,
        help_text="Must belong to the project; alone, it implies its project.",
    )
    tags = _tags_field()
    description = serializers.CharField(
        max_length=services.DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True, trim_whitespace=True
    )
    billable = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Defaults to the project's setting."
    )


class EntryOwnerField(serializers.PrimaryKeyRelatedField):
    """Whose entry. Only HR may name someone else: anyone else gets one answer for every id but
    their own, whether it exists or not, so the field tells nothing about which user ids exist."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None or request.user.is_hr:
            return User.objects.all()
        return User.objects.filter(pk=request.user.pk)

    def fail(self, key, **kwargs):
        request = self.context.get("request")
        if key == "does_not_exist" and request is not None and not request.user.is_hr:
            raise serializers.ValidationError("You can only log your own time.", code="not_allowed")
        super().fail(key, **kwargs)


class TimeEntryCreateSerializer(_EntryFieldsMixin):
    """Create from start + end, start + duration, end + duration, or a duration alone that ends now."""

    user = EntryOwnerField(
        queryset=User.objects.all(),  # narrowed per caller by get_queryset; named here for the schema
        required=False,
        help_text="Whose entry; defaults to you. Only HR may log time for someone else.",
    )
    started_at = LocalDateTimeField(required=False, allow_null=True, default=None)
    ended_at = LocalDateTimeField(required=False, allow_null=True, default=None)
    duration = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text='HH:MM ("01:30") or decimal hours ("1.5").',
    )


class TimeEntryUpdateSerializer(_EntryFieldsMixin):
    started_at = LocalDateTimeField(required=False)
    ended_at = LocalDateTimeField(required=False, allow_null=True)
    duration = serializers.CharField(
        max_length=10, required=False, allow_blank=True, help_text="Sets the end to start + duration."
    )


class BulkCreateSerializer(serializers.Serializer):
    entries = TimeEntryCreateSerializer(many=True, min_length=1, max_length=services.BULK_MAX_ROWS)


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    entries = TimeEntrySerializer(many=True)
    warnings = ViolationSerializer(many=True, help_text="Working-time violations the new entries created.")


class BulkRowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the row in `entries`, from 0.")
    status = serializers.IntegerField(help_text="400 for a refused value, 409 for an overlap.")
    errors = serializers.JSONField(
        help_text="Field errors of that row, or detail + code (a list for a row that is not an object)."
    )


class BulkErrorSerializer(serializers.Serializer):
    # Not required: a malformed body (e.g. no `entries`) is answered with plain field errors.
    detail = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    errors = BulkRowErrorSerializer(many=True, required=False)


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(
        help_text="overlap, timer_running, no_timer, in_use, duplicate, period_locked, compliance_violation, "
        "already_submitted, already_decided"
    )
    violations = ViolationSerializer(
        many=True, required=False, help_text="With `compliance_violation` (WORKING_TIME_BLOCK_ON_VIOLATION on)."
    )


class TimerStartSerializer(_EntryFieldsMixin):
    started_at = LocalDateTimeField(required=False, allow_null=True, default=None, help_text="Defaults to now.")
    switch = serializers.BooleanField(
        default=False, help_text="If a timer runs, stop it at the same instant instead of answering 409."
    )


class TimerStopSerializer(serializers.Serializer):
    ended_at = LocalDateTimeField(
        required=False, allow_null=True, default=None, help_text="Defaults to now (e.g. earlier for a forgotten timer)."
    )


class TimerUpdateSerializer(_EntryFieldsMixin):
    started_at = LocalDateTimeField(required=False)


# --- Time entries ---------------------------------------------------------------------------


class TimeEntryFilter(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project_id")
    task = django_filters.NumberFilter(field_name="task_id")
    tag = django_filters.NumberFilter(field_name="tags", label="Tag id")
    user = django_filters.NumberFilter(field_name="user_id", label="User id (managers: their reports; HR: anyone)")
    billable = django_filters.BooleanFilter()
    running = django_filters.BooleanFilter(field_name="ended_at", lookup_expr="isnull")
    search = django_filters.CharFilter(method="filter_search", max_length=200, label="Full-text search")

    class Meta:
        model = TimeEntry
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.search(value) if value.strip() else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        first, last = self.form.cleaned_data.get("from"), self.form.cleaned_data.get("to")
        if first and last and first > last:
            raise ValidationError({"to": ["`to` must not be before `from`."]})
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


def _ignore(queryset, name, value):
    return queryset


# `from` is a Python keyword, so these two are added after the class body.
TimeEntryFilter.base_filters["from"] = DayFilter(
    method=_ignore, label="First local day (YYYY-MM-DD), in the time zone of `user` or yours"
)
TimeEntryFilter.base_filters["to"] = DayFilter(method=_ignore, label="Last local day (YYYY-MM-DD)")


def _with_warnings(entry, context=None):
    """The saved entry as read, plus the `warnings` its write produced (TimeEntryWithWarningsSerializer)."""
    data = written_entry(entry)
    data["warnings"] = ViolationSerializer(getattr(entry, "compliance_warnings", []), many=True).data
    return data


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
            raise PermissionDenied("You can read your reports' entries but not change them.")
        return entry

    def _read(self, entry, status_code=status.HTTP_200_OK):
        return Response(_with_warnings(entry, self.get_serializer_context()), status=status_code)

    @extend_schema(
        request=TimeEntryCreateSerializer, responses={201: TimeEntryWithWarningsSerializer, 409: ConflictSerializer}
    )
    def create(self, request, *args, **kwargs):
        serializer = TimeEntryCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        user = data.pop("user", None) or request.user
        entry = services.entry_create(user=user, actor=request.user, **data)
        return self._read(entry, status.HTTP_201_CREATED)

    @extend_schema(
        request=TimeEntryUpdateSerializer, responses={200: TimeEntryWithWarningsSerializer, 409: ConflictSerializer}
    )
    def update(self, request, *args, **kwargs):
        entry = self._writable_object()
        serializer = TimeEntryUpdateSerializer(
            data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        entry = services.entry_update(entry=entry, actor=request.user, **serializer.validated_data)
        return self._read(entry)

    @extend_schema(
        request=TimeEntryUpdateSerializer, responses={200: TimeEntryWithWarningsSerializer, 409: ConflictSerializer}
    )
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(responses={204: None, 409: ConflictSerializer})
    def destroy(self, request, *args, **kwargs):
        services.entry_delete(entry=self._writable_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TimeEntryBulkView(APIView):
    """Create up to 500 entries in one request, all or nothing. A refused row refuses the whole
    request (400) with the errors of every refused row, by index."""

    @extend_schema(
        request=BulkCreateSerializer,
        responses={201: BulkResultSerializer, 400: BulkErrorSerializer, 409: ConflictSerializer},
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
            "entries": TimeEntrySerializer(entries, many=True).data,
            "warnings": ViolationSerializer(_unique_warnings(created), many=True).data,
        }
        return Response(data, status=status.HTTP_201_CREATED)


# --- Timer -----------------------------------------------------------------------------------


class TimerView(APIView):
    """The caller's running timer."""

    @extend_schema(
        responses={200: TimeEntrySerializer, 204: OpenApiResponse(description="No timer is running.")},
        operation_id="timer_retrieve",
    )
    def get(self, request):
        entry = services.timer_current(user=request.user)
        if entry is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(TimeEntrySerializer(entry).data)

    @extend_schema(
        request=TimerUpdateSerializer,
        responses={200: TimeEntrySerializer, 409: ConflictSerializer},
        operation_id="timer_partial_update",
    )
    def patch(self, request):
        """Edit the running timer (project, task, tags, description, billable, start); 409 if none runs."""
        serializer = TimerUpdateSerializer(data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        entry = services.timer_update(user=request.user, **serializer.validated_data)
        return Response(written_entry(entry))


class TimerStartView(APIView):
    @extend_schema(
        request=TimerStartSerializer,
        responses={201: TimeEntryWithWarningsSerializer, 409: ConflictSerializer},
        operation_id="timer_start",
    )
    def post(self, request):
        """Start a timer; 409 `timer_running` if one runs, unless `switch` is true."""
        serializer = TimerStartSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        entry = services.timer_start(user=request.user, **serializer.validated_data)
        return Response(_with_warnings(entry), status=status.HTTP_201_CREATED)


class TimerStopView(APIView):
    @extend_schema(
        request=TimerStopSerializer,
        responses={200: TimeEntryWithWarningsSerializer, 409: ConflictSerializer},
        operation_id="timer_stop",
    )
    def post(self, request):
        """Stop the running timer; 409 `no_timer` if none runs."""
        serializer = TimerStopSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        entry = services.timer_stop(user=request.user, **serializer.validated_data)
        return Response(_with_warnings(entry))


# --- Compliance ------------------------------------------------------------------------------

VIOLATIONS_MAX_DAYS = 366


class ViolationQuerySerializer(serializers.Serializer):
    to = DayField(required=False, help_text="Last local day (YYYY-MM-DD); default today.")
    user = serializers.IntegerField(
        required=False, min_value=1, help_text="Only this user (yourself, a report, or anyone for HR)."
    )
    rule = serializers.ChoiceField(choices=compliance.Rule.choices, required=False)


# `from` is a Python keyword: declared after the class body.
ViolationQuerySerializer._declared_fields["from"] = DayField(
    required=False, help_text="First local day (YYYY-MM-DD); default 4 weeks before `to`."
)


class ViolationListView(generics.ListAPIView):
    """Working-time violations on the local days [from, to] (at most 366 days), each user assessed in
    their own time zone. Employees get their own; managers theirs and their reports'; HR everyone's.
    A `user` the caller may not see is 404."""

    serializer_class = ViolationSerializer
    filter_backends = []

    @extend_schema(parameters=[ViolationQuerySerializer], operation_id="compliance_violations_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return []
        query = ViolationQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        viewer = self.request.user
        last_day = params.get("to") or timezone.localdate(timezone=viewer.tzinfo)
        first_day = params.get("from") or last_day - timedelta(days=27)
        if first_day > last_day:
            raise ValidationError({"to": ["`to` must not be before `from`."]})
        if (last_day - first_day).days >= VIOLATIONS_MAX_DAYS:
            raise ValidationError({"from": [f"At most {VIOLATIONS_MAX_DAYS} days at once."]})
        users = User.objects.visible_to(viewer).filter(is_active=True).order_by("pk")
        if "user" in params:
            users = User.objects.visible_to(viewer).filter(pk=params["user"])
            if not users:
                raise NotFound("No such user.")
        rules = [params["rule"]] if params.get("rule") else None
        return compliance.violations_for(users, first_day, last_day, rules=rules)


# --- Period close -----------------------------------------------------------------------------


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
    week = DayField(help_text="Any day of the ISO week to submit (your local calendar).")


class PeriodRejectSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=services.PERIOD_TEXT_MAX_LENGTH, help_text="What to fix.")


class PeriodReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.PERIOD_TEXT_MAX_LENGTH, help_text="Why the week is reopened.")


class PeriodFilter(django_filters.FilterSet):
    user = django_filters.NumberFilter(field_name="user_id")
    status = django_filters.ChoiceFilter(choices=TimesheetPeriod.Status.choices)

    class Meta:
        model = TimesheetPeriod
        fields = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        first, last = self.form.cleaned_data.get("from"), self.form.cleaned_data.get("to")
        if first and last and first > last:
            raise ValidationError({"to": ["`to` must not be before `from`."]})
        return queryset.in_range(first, last)


PeriodFilter.base_filters["from"] = DayFilter(method=_ignore, label="Weeks meeting this day or later")
PeriodFilter.base_filters["to"] = DayFilter(method=_ignore, label="Weeks meeting this day or earlier")


class PeriodErrorSerializer(serializers.Serializer):
    # Not required: invalid input is answered with plain field errors.
    detail = serializers.CharField(required=False)
    code = serializers.CharField(required=False)


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
        responses={200: PeriodSerializer, 400: PeriodErrorSerializer, 409: ConflictSerializer},
    )
    @action(detail=False, methods=["post"])
    def submit(self, request):
        """Submit your own week (the one containing `week`) to your manager."""
        serializer = PeriodSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._respond(services.period_submit(user=request.user, day=serializer.validated_data["week"]))

    @extend_schema(request=None, responses={200: PeriodSerializer, 403: PeriodErrorSerializer, 409: ConflictSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve a submitted week: it is locked (no entry changes) until reopened."""
        return self._respond(services.period_approve(actor=request.user, period=self.get_object()))

    @extend_schema(
        request=PeriodRejectSerializer,
        responses={200: PeriodSerializer, 403: PeriodErrorSerializer, 409: ConflictSerializer},
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
        responses={200: PeriodSerializer, 403: PeriodErrorSerializer, 409: ConflictSerializer},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Unlock an approved week, with a reason."""
        period = self.get_object()
        serializer = PeriodReopenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._respond(services.period_reopen(actor=request.user, period=period, **serializer.validated_data))


def register(router):
    """Add this app's viewsets to the /api/v1/ router."""
    router.register("clients", ClientViewSet, basename="client")
    router.register("projects", ProjectViewSet, basename="project")
    router.register("tasks", TaskViewSet, basename="task")
    router.register("tags", TagViewSet, basename="tag")
    router.register("time-entries", TimeEntryViewSet, basename="time-entry")
    router.register("periods", PeriodViewSet, basename="period")


urlpatterns = [
    path("time-entries/bulk/", TimeEntryBulkView.as_view(), name="time-entry-bulk"),
    path("timer/", TimerView.as_view(), name="timer"),
    path("timer/start/", TimerStartView.as_view(), name="timer-start"),
    path("timer/stop/", TimerStopView.as_view(), name="timer-stop"),
    path("compliance/violations/", ViolationListView.as_view(), name="compliance-violations"),
]
