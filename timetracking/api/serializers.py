"""The time entry serializers (full, lean list reader, create/update, bulk, timer) and the error bodies."""

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from core.durations import DURATION_GRAMMAR_HELP, hours_text
from core.filters import MomentField
from core.serializers import ModelSerializer
from timetracking import compliance, services
from timetracking.models import TIME_ENTRY_FIELDS, Project, Tag, Task, TimeEntry

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
        "blank": gettext_lazy("A tag name cannot be empty."),
        "max_length": format_lazy(
            gettext_lazy("A tag name has at most {TAG_NAME_MAX_LENGTH} characters."),
            TAG_NAME_MAX_LENGTH=services.TAG_NAME_MAX_LENGTH,
        ),
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
            data = _TAG_NAME.run_validation(services.tag_name_collapsed(data))
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
        fields = ["id", *TIME_ENTRY_FIELDS, "project_name", "task_name", "duration_seconds", "hours", "is_running"]
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
        hours = hours_text(seconds)
    return {
        "id": row["id"],
        "user": row["user_id"],
        "project": row["project_id"],
        "task": row["task_id"],
        "tags": tags,
        "description": row["description"],
        "started_at": _iso(started_at, tzinfo),
        "ended_at": None if ended_at is None else _iso(ended_at, tzinfo),
        "billable": row["billable"],
        "source": row["source"],
        "created_at": _iso(row["created_at"], tzinfo),
        "updated_at": _iso(row["updated_at"], tzinfo),
        "project_name": row["project__name"],
        "task_name": row["task__name"],
        "duration_seconds": seconds,
        "hours": hours,
        "is_running": ended_at is None,
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
            raise serializers.ValidationError(gettext("You can only log your own time."), code="not_allowed")
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
        help_text=DURATION_GRAMMAR_HELP,
    )


class TimeEntryUpdateSerializer(_EntryFieldsMixin):
    started_at = LocalDateTimeField(required=False)
    ended_at = LocalDateTimeField(required=False, allow_null=True)
    duration = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        help_text=f"Sets the end to start + duration. {DURATION_GRAMMAR_HELP}",
    )


class BulkCreateSerializer(serializers.Serializer):
    # many=True hands min_length/max_length to the ListSerializer; the stubs' __init__ does not list them.
    entries = TimeEntryCreateSerializer(  # type: ignore[call-arg]
        many=True, min_length=1, max_length=services.BULK_MAX_ROWS
    )


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    entries = TimeEntrySerializer(many=True)
    warnings = ViolationSerializer(many=True, help_text="Working-time violations the new entries created.")


class BulkRowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the row in `entries`, from 0.")
    status = serializers.IntegerField(help_text="400 for a refused value, 409 for an overlap.")
    # A declared field: DRF's metaclass moves it into _declared_fields, it never shadows Serializer.errors.
    errors = serializers.JSONField(  # type: ignore[assignment]
        help_text="Field errors of that row, or detail + code (a list for a row that is not an object)."
    )


class BulkErrorSerializer(serializers.Serializer):
    # Not required: a malformed body (e.g. no `entries`) is answered with plain field errors.
    detail = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    errors = BulkRowErrorSerializer(many=True, required=False)  # type: ignore[assignment]  # a declared field (above)


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


def _with_warnings(entry):
    """The saved entry as read, plus the `warnings` its write produced (TimeEntryWithWarningsSerializer)."""
    data = written_entry(entry)
    data["warnings"] = ViolationSerializer(getattr(entry, "compliance_warnings", []), many=True).data
    return data
