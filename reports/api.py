"""Reports under /api/v1/: summaries, overtime, exports (with jobs), leave export, imports.

Thin adapters: parameters are parsed by `summary.parse_filters`, the numbers come from
`summary` and `overtime`, and writes (jobs, imports) go through `services`.
"""

from datetime import date
from decimal import Decimal

from django.http import FileResponse, HttpResponseBase
from django.urls import path, reverse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from billing.api import MoneyField
from billing.pricing import sees_amounts, sees_costs
from core.filters import keyword_fields
from core.serializers import ModelSerializer
from reports import exports, money, overtime, services, statements, summary
from reports.models import ExportFormat, ExportJob, ExportKind, ImportFormat, ImportJob, JobStatus

# --- Serializers ------------------------------------------------------------------------------


class SummaryTotalSerializer(serializers.Serializer):
    seconds = serializers.IntegerField()
    hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    billable_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    entries = serializers.IntegerField()
    # billing's money of the group: the sum of its entries' (billing.pricing); null where the caller
    # may not see it, and amount and cost null for a group of entries in several currencies.
    billed_seconds = serializers.IntegerField(
        allow_null=True, help_text="Billable seconds as billed: rounded by each project's rounding."
    )
    amount = MoneyField(help_text="The billed amount, in `currency` (HR, managers; employees with the setting).")
    cost = MoneyField(help_text="The internal cost, in `currency` (HR and managers).")
    currency = serializers.CharField(allow_null=True, help_text="ISO 4217; null when the group mixes currencies.")


class SummaryRowSerializer(SummaryTotalSerializer):
    """One group. Only the keys of the chosen dimensions are present; ids are null for
    "no project/task/tag"."""

    day = serializers.DateField(required=False)
    week = serializers.DateField(required=False, help_text="Monday of the ISO week.")
    month = serializers.DateField(required=False, help_text="First day of the month.")
    project = serializers.IntegerField(required=False, allow_null=True)
    project_name = serializers.CharField(required=False)
    project_color = serializers.CharField(required=False)
    task = serializers.IntegerField(required=False, allow_null=True)
    task_name = serializers.CharField(required=False)
    tag = serializers.IntegerField(required=False, allow_null=True)
    tag_name = serializers.CharField(required=False)
    user = serializers.IntegerField(required=False)
    user_name = serializers.CharField(required=False)

    def to_representation(self, instance):
        # Only the chosen dimensions: a nullable key absent from the row is left out, not null.
        data = super().to_representation(instance)
        return {key: value for key, value in data.items() if key in instance}


# The keys the schema declares (a serializer's public `fields`, read once).
SUMMARY_ROW_KEYS = frozenset(SummaryRowSerializer().fields)
SUMMARY_TOTAL_KEYS = tuple(SummaryTotalSerializer().fields)
CENTS = Decimal("0.01")


@keyword_fields
class SummarySerializer(serializers.Serializer):
    to = serializers.DateField()
    group_by = serializers.ListField(child=serializers.CharField())
    users = serializers.ListField(child=serializers.IntegerField())
    total = SummaryTotalSerializer()
    rows = SummaryRowSerializer(many=True)
    from_ = serializers.DateField(help_text="First local day.")


class OvertimeRowSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="The day, the Monday of the week, or the first of the month.")
    expected_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    actual_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    overtime_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    balance_hours = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Running overtime balance at the end of the period."
    )


@keyword_fields
class OvertimeSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    to = serializers.DateField()
    group_by = serializers.CharField()
    balance_start = serializers.DateField()
    opening_balance_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    closing_balance_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    expected_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    actual_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    overtime_hours = serializers.DecimalField(max_digits=12, decimal_places=2)
    rows = OvertimeRowSerializer(many=True)
    from_ = serializers.DateField(help_text="First local day.")


def _plain(value, key=""):
    """DRF's representation of a report value: dates ISO, Decimals as fixed-point strings (money as
    rounded to its currency: JPY has no cents)."""
    if key in money.MONEY_KEYS:
        return str(value) if isinstance(value, Decimal) else value
    if isinstance(value, Decimal):
        return f"{value.quantize(CENTS):f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def summary_data(report):
    """SummarySerializer's output for a `summary.summarize` report, built directly (a test compares
    the two): the serializer cost more than the database for a company's month (make bench (f))."""
    return {
        "to": report["to"].isoformat(),
        "group_by": list(report["group_by"]),
        "users": list(report["users"]),
        "total": {key: _plain(report["total"][key], key) for key in SUMMARY_TOTAL_KEYS},
        "rows": [
            {key: _plain(value, key) for key, value in row.items() if key in SUMMARY_ROW_KEYS} for row in report["rows"]
        ],
        "from": report["from"].isoformat(),
    }


class ExportJobSerializer(ModelSerializer):
    # Plain strings, not enums: other apps' `status`/`format` enums would collide by name.
    format = serializers.CharField(read_only=True, help_text="csv or xlsx.")
    status = serializers.CharField(read_only=True, help_text="pending, running, done or failed.")
    kind = serializers.CharField(read_only=True, help_text="entries or summary.")
    progress = serializers.IntegerField(read_only=True, help_text="0-100.")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "kind",
            "format",
            "status",
            "total_rows",
            "processed_rows",
            "progress",
            "error",
            "created_at",
            "finished_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, job) -> str | None:

        if job.status != JobStatus.DONE:
            return None
        return reverse("api:report-export-job-download", args=[job.pk])


class ImportJobSerializer(ModelSerializer):
    format = serializers.CharField(read_only=True, help_text="toggl, clockify or native.")
    status = serializers.CharField(read_only=True, help_text="pending, running, done or failed.")
    processed_rows = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "user",
            "format",
            "file_name",
            "create_missing",
            "status",
            "total_rows",
            "processed_rows",
            "created_count",
            "skipped_count",
            "errors",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_processed_rows(self, job) -> int:
        return services.import_job_progress(job)


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(max_length=255, help_text="A CSV file (at most 20 MB).")
    format = serializers.ChoiceField(choices=ImportFormat.choices)
    user = serializers.IntegerField(required=False, help_text="Whose time (HR only; default: you).")
    create_missing = serializers.BooleanField(
        default=False, help_text="Create projects, tasks and tags that do not exist (projects: HR and managers)."
    )
    dry_run = serializers.BooleanField(default=False, help_text="Check every row and save nothing.")


class ImportPreviewRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Line number in the file (the header is line 1).")
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    hours = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    project = serializers.CharField()
    task = serializers.CharField()
    description = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    outcome = serializers.ChoiceField(choices=["created", "duplicate", "error"])


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField(help_text='{"field": ["message"]} or {"detail": "message"}')  # type: ignore[assignment]  # a declared field, not Serializer.errors


class ImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Rows imported before (duplicates).")
    errors = ImportRowErrorSerializer(many=True)  # type: ignore[assignment]  # a declared field, not Serializer.errors
    dry_run = serializers.BooleanField()
    preview = ImportPreviewRowSerializer(many=True)


class ImportRefusedSerializer(serializers.Serializer):
    """A refused import: `errors` lists every refused row. Other 400s name the field at fault."""

    detail = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    errors = ImportRowErrorSerializer(many=True, required=False)  # type: ignore[assignment]  # a declared field, not Serializer.errors


# A CSV download is text (UTF-8): declared as a plain string, a generated client hands back the text
# (a `binary` text/csv made openapi-python-client wrap the text in a bytes buffer and fail); XLSX is bytes.
CSV_TEXT = OpenApiResponse(OpenApiTypes.STR, description="The file, UTF-8 CSV with a header row.")

# --- Parameters -------------------------------------------------------------------------------

FILTER_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First local day (default: 30 days before `to`)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last local day, inclusive (default: today)."),
    OpenApiParameter(
        "user",
        OpenApiTypes.STR,
        description="User id(s), comma-separated or repeated, or `all` (managers: themself and their reports; "
        "HR: everyone). Default: you. A user you cannot see is 404.",
    ),
    OpenApiParameter("project", OpenApiTypes.STR, description="Project id(s)."),
    OpenApiParameter("task", OpenApiTypes.STR, description="Task id(s)."),
    OpenApiParameter("tag", OpenApiTypes.STR, description="Tag id(s): entries with any of them."),
    OpenApiParameter("billable", OpenApiTypes.BOOL),
]
GROUP_BY = OpenApiParameter(
    "group_by",
    OpenApiTypes.STR,
    description="One or two of day, week, month, project, task, tag, user, comma-separated (default: day). "
    "An entry with two tags counts in both tag rows; the total counts it once.",
)


class ReportSummaryView(APIView):
    """Hours grouped by one or two dimensions, each user's days in their own time zone, with each
    group's billed seconds, amount and cost (billing) for those who may see them."""

    @extend_schema(parameters=[*FILTER_PARAMETERS, GROUP_BY], responses={200: SummarySerializer})
    def get(self, request):
        filters = summary.parse_filters(request.user, request.query_params)
        group_by = summary.parse_group_by(request.query_params.get("group_by"))
        view = money.MoneyView(amounts=sees_amounts(request.user), costs=sees_costs(request.user))
        return Response(summary_data(summary.summarize(filters, group_by, money=view)))


class ReportOvertimeView(APIView):
    """Expected vs actual hours, overtime and the running overtime balance of one user."""

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("user", OpenApiTypes.INT, description="Default: you. Someone you cannot see is 404."),
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(overtime.PERIODS), description="Default: week."),
        ],
        responses={200: OvertimeSerializer},
    )
    def get(self, request):
        raw_user = request.query_params.get("user")
        if raw_user and raw_user.strip() == "all":
            raise services.ReportError(gettext("Overtime is per person: give one user id."), field="user")
        query = request.query_params.copy()
        filters = summary.parse_filters(request.user, query)
        if len(filters.users) != 1:
            raise services.ReportError(gettext("Overtime is per person: give one user id."), field="user")
        report = overtime.overtime_report(
            filters.single_user(), filters.start, filters.end, period=request.query_params.get("group_by") or "week"
        )
        return Response(OvertimeSerializer(report).data)


class _DownloadView(APIView):
    """Downloads answer with a file: `?format=csv|xlsx` names the file type, not a DRF renderer,
    so content negotiation always picks JSON (used for errors and job answers)."""

    def perform_content_negotiation(self, request, force=False):
        renderer = JSONRenderer()
        return renderer, renderer.media_type


class ReportExportView(_DownloadView):
    """Time entries (or a summary) as CSV (streamed) or XLSX. Larger than
    REPORTS_ASYNC_EXPORT_THRESHOLD rows: 202 with an export job to poll."""

    @extend_schema(
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, enum=ExportFormat.values, description="Default: csv."),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=ExportKind.values, description="Default: entries."),
            *FILTER_PARAMETERS,
            GROUP_BY,
        ],
        responses={
            (200, "text/csv"): CSV_TEXT,
            (200, exports.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            202: ExportJobSerializer,
        },
    )
    def get(self, request):
        params = request.query_params
        filters = summary.parse_filters(request.user, params)
        kind = params.get("kind") or ExportKind.ENTRIES
        group_by = summary.parse_group_by(params.get("group_by")) if kind == ExportKind.SUMMARY else None
        result = services.export_start(
            requested_by=request.user,
            filters=filters,
            export_format=(params.get("format") or ExportFormat.CSV)[:10],
            kind=kind[:10],
            group_by=group_by,
        )
        if isinstance(result, HttpResponseBase):
            return result
        return Response(ExportJobSerializer(result).data, status=status.HTTP_202_ACCEPTED)


class LeaveExportView(_DownloadView):
    """Leave requests as CSV (streamed), for HR."""

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="Requests overlapping [from, to]."),
            OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("status", OpenApiTypes.STR, enum=["pending", "approved", "rejected", "cancelled"]),
        ],
        responses={(200, "text/csv"): CSV_TEXT},
    )
    def get(self, request):
        if not request.user.is_hr:
            raise PermissionDenied(gettext("Only HR can export everyone's leave."))
        start = summary.parse_date(request.query_params.get("from"), "from", None)
        end = summary.parse_date(request.query_params.get("to"), "to", None)
        if (start is None) != (end is None) or (start and end and start > end):
            raise services.ReportError(gettext("Give both `from` and `to`, `to` not before `from`."), field="to")
        status_value = request.query_params.get("status") or None
        if status_value and status_value not in ("pending", "approved", "rejected", "cancelled"):
            raise services.ReportError(gettext("Unknown status."), field="status")
        queryset = exports.leave_queryset(start=start, end=end, status=status_value)
        return exports.csv_response("leave.csv", exports.LEAVE_COLUMNS, exports.leave_rows(queryset))


class ReportImportView(APIView):
    """Import time entries from Toggl, Clockify or our own CSV export. All or nothing: a refused
    row refuses the file (400, every refused row with its line number). Re-imported rows are
    skipped. Files with more than REPORTS_ASYNC_IMPORT_THRESHOLD rows: 202 with a job to poll."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            200: OpenApiResponse(ImportResultSerializer, description="dry_run: what would happen."),
            201: ImportResultSerializer,
            202: ImportJobSerializer,
            400: ImportRefusedSerializer,
        },
    )
    def post(self, request):
        serializer = ImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        outcome = services.import_upload(
            actor=request.user,
            user=services.import_target(actor=request.user, user_id=data.get("user")),
            uploaded=data["file"],
            file_format=data["format"],
            create_missing=data["create_missing"],
            dry_run=data["dry_run"],
        )
        if outcome.job is not None:
            return Response(ImportJobSerializer(outcome.job).data, status=status.HTTP_202_ACCEPTED)
        answer = status.HTTP_200_OK if data["dry_run"] else status.HTTP_201_CREATED
        return Response(ImportResultSerializer(outcome.result).data, status=answer)


class ExportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your export jobs (someone else's is 404). Poll one until `status` is done, then download."""

    serializer_class = ExportJobSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExportJob.objects.none()
        return ExportJob.objects.for_user(self.request.user)

    def perform_content_negotiation(self, request, force=False):
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    @extend_schema(
        responses={
            (200, "text/csv"): CSV_TEXT,
            (200, exports.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
        }
    )
    @action(detail=True, methods=["get"], url_path="download", url_name="download")
    def download(self, request, pk=None):
        job = self.get_object()
        if job.status != JobStatus.DONE:
            raise NotFound(gettext("This export is not ready yet."))
        return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file_name)


class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your import jobs (someone else's is 404), with progress while they run."""

    serializer_class = ImportJobSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ImportJob.objects.none()
        return ImportJob.objects.for_user(self.request.user)


class FinalStatementView(_DownloadView):
    """HR: a leaver's final statement as CSV: each leave type's balance and the overtime balance
    as of their last day (default: today in their time zone)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("user", OpenApiTypes.INT, required=True, description="The user (an id)."),
            OpenApiParameter("last_day", OpenApiTypes.DATE, description="Default: the user's today."),
        ],
        responses={(200, "text/csv"): CSV_TEXT},
    )
    def get(self, request):
        if not request.user.is_hr:
            raise PermissionDenied(gettext("Only HR can read a final statement."))
        raw = request.query_params.get("user", "")
        if not raw.isdigit() or len(raw) > 18:
            raise services.ReportError(gettext("Give the user as an id."), field="user")
        user = User.objects.filter(pk=int(raw)).first()
        if user is None:
            raise NotFound(gettext("No such user."))
        last_day = summary.parse_date(request.query_params.get("last_day"), "last_day", overtime.today_for(user))
        rows = statements.final_statement_rows(user=user, last_day=last_day)
        return exports.csv_response(f"final-statement-{user.username}.csv", statements.COLUMNS, rows)


def register(router):
    """Add this app's viewsets to the /api/v1/ router."""
    router.register("reports/export-jobs", ExportJobViewSet, basename="report-export-job")
    router.register("reports/import-jobs", ImportJobViewSet, basename="report-import-job")


urlpatterns = [
    path("reports/summary/", ReportSummaryView.as_view(), name="report-summary"),
    path("reports/overtime/", ReportOvertimeView.as_view(), name="report-overtime"),
    path("reports/export/", ReportExportView.as_view(), name="report-export"),
    path("reports/leave-export/", LeaveExportView.as_view(), name="report-leave-export"),
    path("reports/import/", ReportImportView.as_view(), name="report-import"),
    path("reports/final-statement/", FinalStatementView.as_view(), name="report-final-statement"),
]
