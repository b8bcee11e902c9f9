"""CSV and XLSX writers for time entries, summaries and leave. Reads only.

Entries are read with `values_list(...).iterator(chunk_size=...)` (a server-side cursor on
PostgreSQL) and written row by row, so memory stays flat however many rows there are. The
tags of each chunk come from one extra query (no query per row).
"""

import csv
from itertools import islice

from django.utils import timezone

from leave.models import LeaveRequest
from reports.summary import TIME_DIMENSIONS, entries_in_scope, hours, summarize
from timetracking.models import TimeEntry

CHUNK_SIZE = 2000
# Our own CSV layout; `imports.NATIVE_COLUMNS` reads exactly these columns back.
ENTRY_COLUMNS = [
    "User",
    "Email",
    "Client",
    "Project",
    "Task",
    "Description",
    "Billable",
    "Start",
    "End",
    "Hours",
    "Tags",
]
LEAVE_COLUMNS = [
    "User",
    "Email",
    "Leave type",
    "Unit",
    "Start date",
    "End date",
    "Start part",
    "End part",
    "Hours",
    "Amount",
    "Status",
    "Reason",
    "Decided by",
    "Decided at",
]
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Defuse spreadsheet formulas in text cells (CSV injection): '=1+1' is written as "'=1+1"."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write() returns the line: csv.writer then produces strings to stream."""

    def write(self, value):
        return value


def entries_queryset(filters):
    return (
        entries_in_scope(filters)
        .order_by("started_at", "id")
        .values_list(
            "id",
            "user_id",
            "user__username",
            "user__email",
            "project__client__name",
            "project__name",
            "task__name",
            "description",
            "billable",
            "started_at",
            "ended_at",
        )
    )


def entry_rows(filters, *, chunk_size=CHUNK_SIZE):
    """Yield one list per entry (ENTRY_COLUMNS), times in the owner's zone with their offset."""
    zones = {user.pk: user.tzinfo for user in filters.users}
    rows = entries_queryset(filters).iterator(chunk_size=chunk_size)
    while True:
        chunk = list(islice(rows, chunk_size))
        if not chunk:
            return
        tags = {}
        for entry_id, name in (
            TimeEntry.tags.through.objects.filter(timeentry_id__in=[row[0] for row in chunk])
            .order_by("tag__name")
            .values_list("timeentry_id", "tag__name")
        ):
            tags.setdefault(entry_id, []).append(name)
        for entry_id, user_id, username, email, client, project, task, description, billable, start, end in chunk:
            tzinfo = zones[user_id]
            seconds = int((end - start).total_seconds())
            yield [
                username,
                email,
                client or "",
                project or "",
                task or "",
                description,
                "Yes" if billable else "No",
                timezone.localtime(start, tzinfo).isoformat(),
                timezone.localtime(end, tzinfo).isoformat(),
                hours(seconds),
                ", ".join(tags.get(entry_id, [])),
            ]


def summary_columns(report):
    columns = []
    for dimension in report["group_by"]:
        name = dimension.capitalize()
        columns += [name] if dimension in TIME_DIMENSIONS else [f"{name} id", name]
    return [*columns, "Hours", "Billable hours", "Entries"]


def summary_rows(report):
    for row in report["rows"]:
        values = []
        for dimension in report["group_by"]:
            value = row[dimension]
            values.append(value.isoformat() if hasattr(value, "isoformat") else ("" if value is None else value))
            if dimension not in TIME_DIMENSIONS:
                values.append(row[f"{dimension}_name"])
        yield [*values, row["hours"], row["billable_hours"], row["entries"]]
    total = report["total"]
    blanks = [""] * (len(summary_columns(report)) - 3)
    if blanks:
        blanks[0] = "Total"
    yield [*blanks, total["hours"], total["billable_hours"], total["entries"]]


def leave_queryset(*, start=None, end=None, status=None):
    queryset = LeaveRequest.objects.all()
    if start and end:
        queryset = queryset.overlapping(start, end)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("start_date", "id").values_list(
        "user__username",
        "user__email",
        "leave_type__name",
        "leave_type__unit",
        "start_date",
        "end_date",
        "start_part",
        "end_part",
        "hours",
        "amount",
        "status",
        "reason",
        "decided_by__username",
        "decided_at",
    )


def leave_rows(queryset, *, chunk_size=CHUNK_SIZE):
    for row in queryset.iterator(chunk_size=chunk_size):
        row = list(row)
        row[4], row[5] = row[4].isoformat(), row[5].isoformat()
        row[8] = "" if row[8] is None else row[8]
        row[12] = row[12] or ""
        row[13] = row[13].isoformat() if row[13] else ""
        yield row


def csv_lines(header, rows):
    """Yield CSV text lines (header first) for a StreamingHttpResponse or a file."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)  # the BOM makes Excel read UTF-8
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def write_xlsx(target, header, rows, *, title="Time entries", progress=None):
    """Write rows to `target` (a path or binary file) with openpyxl's write-only workbook."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title)
    sheet.append(header)
    for count, row in enumerate(rows, start=1):
        sheet.append([safe_cell(value) for value in row])
        if progress is not None and count % CHUNK_SIZE == 0:
            progress(count)
    workbook.save(target)


# --- HTTP responses (shared by the API and the pages) ---------------------------------------

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_response(filename, header, rows):
    """A StreamingHttpResponse: lines are produced while the client downloads."""
    from django.http import StreamingHttpResponse

    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(filename, header, rows, *, title):
    import tempfile

    from django.http import FileResponse

    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when the download ends
    write_xlsx(handle, header, rows, title=title)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def export_now(filters, *, kind, export_format, group_by):
    """The response for a small export (entries or summary, CSV or XLSX)."""
    stamp = f"{filters.start.isoformat()}_{filters.end.isoformat()}"
    if kind == "summary":
        report = summarize(filters, group_by)
        header, rows, name, title = summary_columns(report), summary_rows(report), f"summary_{stamp}", "Summary"
    else:
        header, rows, name, title = ENTRY_COLUMNS, entry_rows(filters), f"time-entries_{stamp}", "Time entries"
    if export_format == "xlsx":
        return xlsx_response(f"{name}.xlsx", header, rows, title=title)
    return csv_response(f"{name}.csv", header, rows)
