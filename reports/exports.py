"""CSV and XLSX writers for time entries, summaries and leave. Reads only.

Entries are read by ONE query, tags included (joined: a row per tag), with `values_list(...).iterator(
chunk_size=...)`: a server-side cursor on PostgreSQL, so memory stays flat however many rows
there are, and the query count does not grow with them. CSV is produced `CHUNK_SIZE` rows per
string: streamed, each string is one socket write (a write per line cost more than the rows).
"""

import csv
import io
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from datetime import UTC, datetime, time, timedelta
from itertools import islice
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Func, TextField
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext, gettext_noop
from openpyxl import Workbook  # type: ignore[import-untyped]  # no types-openpyxl in requirements-dev.txt

from core.durations import hours_from_seconds, hours_text
from core.spreadsheets import FORMULA_PREFIXES, safe_cell
from leave.models import LeaveRequest
from reports.money import money_cells, money_columns, with_entry_money
from reports.summary import TIME_DIMENSIONS, ReportFilters, entries_in_scope, summarize
from timetracking.models import Tag, TimeEntry

CHUNK_SIZE = 2000
# The entries export's text columns: header, the entry's field (an ORM path), and whether the column
# has few distinct values (people, clients, projects: defused once per value, not per row). The Python
# writer (`entry_rows`, for XLSX and the text lines) and the COPY SQL both read this table, so a new
# text column is one line here; the computed columns after them are the same in both paths.
# The headers are English here and written in the reader's language (`translated_header`); the importer
# reads a header in any of the product's languages back (reports.imports.native_header).
_TEXT_COLUMNS = (
    (gettext_noop("User"), "user__username", True),
    (gettext_noop("Email"), "user__email", True),
    (gettext_noop("Client"), "project__client__name", True),
    (gettext_noop("Project"), "project__name", True),
    (gettext_noop("Task"), "task__name", True),
    (gettext_noop("Description"), "description", False),
)
_COMPUTED_COLUMNS = (
    gettext_noop("Billable"),
    gettext_noop("Start"),
    gettext_noop("End"),
    gettext_noop("Hours"),
    gettext_noop("Tags"),
)
# Our own CSV layout; `imports.NATIVE_COLUMNS` reads exactly these columns back.
ENTRY_COLUMNS = [*(header for header, _path, _repeated in _TEXT_COLUMNS), *_COMPUTED_COLUMNS]
LEAVE_COLUMNS = [
    gettext_noop("User"),
    gettext_noop("Email"),
    gettext_noop("Leave type"),
    gettext_noop("Unit"),
    gettext_noop("Start date"),
    gettext_noop("End date"),
    gettext_noop("Start part"),
    gettext_noop("End part"),
    gettext_noop("Hours"),
    gettext_noop("Amount"),
    gettext_noop("Status"),
    gettext_noop("Reason"),
    gettext_noop("Decided by"),
    gettext_noop("Decided at"),
]


class UtcText(Func):
    """A datetime column as ISO 8601 text with its UTC offset, read with `datetime.fromisoformat`:
    psycopg's timestamp loader as Django registers it parses in Python and cost more than all the
    rest of an export row. PostgreSQL writes the session's zone (UTC, set by Django); SQLite
    stores naive UTC text."""

    output_field = TextField()
    template = "CAST(%(expressions)s AS text)"

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="%(expressions)s || '+00:00'", **extra_context)


def entries_queryset(filters):
    """One row per entry and tag (an entry without tags: one row, tag None), tags sorted by name.
    A join, not a subquery per entry: the subquery cost the database more than the rest of the row."""
    return (
        entries_in_scope(filters)
        .annotate(start_text=UtcText("started_at"), end_text=UtcText("ended_at"))
        .order_by("started_at", "id", "tags__name")
        .values_list(
            "id",
            "user_id",
            *(path for _header, path, _repeated in _TEXT_COLUMNS),
            "billable",
            "tags__name",
            "start_text",
            "end_text",
        )
    )


def entry_rows(filters, *, chunk_size=CHUNK_SIZE, hours_format=hours_from_seconds):
    """Yield one list per entry (ENTRY_COLUMNS), times in the owner's zone with their offset, text
    cells already defused (`safe_cell`). `hours_format` formats the seconds: a Decimal (XLSX writes a
    number) or `hours_text` (CSV)."""
    zones = {user.pk: user.tzinfo for user in filters.users}
    parse = datetime.fromisoformat
    cells = _DefusedCells()
    defuse = [cells.__getitem__ if repeated else _safe_or_empty for _header, _path, repeated in _TEXT_COLUMNS]
    row, row_id = None, None
    for entry_id, user_id, *texts, billable, tag, start, end in entries_queryset(filters).iterator(
        chunk_size=chunk_size
    ):
        if entry_id == row_id:
            # The same entry's next tag (by name). Only the first character decides `safe_cell`,
            # so defusing the first tag defuses the joined names.
            row[-1] += ", " + tag
            continue
        if row is not None:
            yield row
        tzinfo = zones[user_id]
        start, end = parse(start), parse(end)
        row_id = entry_id
        row = [
            *(cell(text) for cell, text in zip(defuse, texts, strict=True)),
            "Yes" if billable else "No",
            start.astimezone(tzinfo).isoformat(),
            end.astimezone(tzinfo).isoformat(),
            hours_format(int((end - start).total_seconds())),
            "" if tag is None else safe_cell(tag),
        ]
    if row is not None:
        yield row


def summary_columns(report):
    columns = []
    for dimension in report["group_by"]:
        name = dimension.capitalize()
        columns += [name] if dimension in TIME_DIMENSIONS else [f"{name} id", name]
    return [
        *columns,
        gettext_noop("Hours"),
        gettext_noop("Billable hours"),
        gettext_noop("Entries"),
        *money_columns(report.get("money")),
    ]


# The summary's dimension headers, for the catalog (summary_columns builds them from the dimension).
_SUMMARY_HEADERS = [
    gettext_noop(name)
    for name in ("Day", "Week", "Month", "Year", "User", "User id", "Client", "Client id", "Project", "Project id")
] + [gettext_noop(name) for name in ("Task", "Task id", "Tag", "Tag id", "Time entries", "Summary", "Total")]


def translated_header(header):
    """The header row in the reader's language (the names are English in the code, for the tests and the importer)."""
    return [gettext(str(name)) if name else name for name in header]


def summary_rows(report):
    view = report.get("money")
    for row in report["rows"]:
        values = []
        for dimension in report["group_by"]:
            value = row[dimension]
            values.append(value.isoformat() if hasattr(value, "isoformat") else ("" if value is None else value))
            if dimension not in TIME_DIMENSIONS:
                values.append(row[f"{dimension}_name"])
        yield [*values, row["hours"], row["billable_hours"], row["entries"], *money_cells(view, row)]
    total = report["total"]
    blanks = [""] * (len(summary_columns(report)) - 3 - len(money_columns(view)))
    if blanks:
        blanks[0] = gettext("Total")
    yield [*blanks, total["hours"], total["billable_hours"], total["entries"], *money_cells(view, total)]


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


def csv_chunks(header, rows, *, text_cells=False, progress=None):
    """Yield CSV text, header first, `CHUNK_SIZE` rows per string, for a StreamingHttpResponse or
    a file. `text_cells`: every cell is a str already defused by `safe_cell` (entry rows), written
    by `_text_lines`. `progress(count)` is called with the number of rows written after each chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # the BOM makes Excel read UTF-8
    writer.writerow(translated_header(header))
    if not text_cells:
        rows = ([safe_cell(value) for value in row] for row in rows)
    count = 0
    while chunk := list(islice(rows, CHUNK_SIZE)):
        if text_cells:
            buffer.write(_text_lines(chunk))
        else:
            writer.writerows(chunk)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        count += len(chunk)
        if progress is not None:
            progress(count)
    if not count:
        yield buffer.getvalue()  # the header alone
        if progress is not None:
            progress(count)


class _Echo:
    """A file-like object whose write() returns the line: csv.writer then produces strings."""

    def write(self, value):
        return value


_LINE_WRITER = csv.writer(_Echo())


def _text_lines(rows):
    """csv.writer's lines for rows of str cells, three times faster: csv.writer (QUOTE_MINIMAL)
    quotes exactly the cells holding a comma, a quote or a line break (checked over every
    character), so a row whose joined line holds none of them but its separators is that line;
    the others go through csv.writer."""
    separators = len(rows[0]) - 1
    lines = []
    for row in rows:
        line = ",".join(row)
        if line.count(",") != separators or '"' in line or "\n" in line or "\r" in line:
            line = _LINE_WRITER.writerow(row)[:-2]
        lines.append(line)
    lines.append("")
    return "\r\n".join(lines)


def _safe_or_empty(value):
    return safe_cell(value or "")


class _DefusedCells(dict):
    """`safe_cell(value or "")` by value, computed once per distinct value: for the columns with
    few distinct values (people, clients, projects, tasks), read once per row."""

    def __missing__(self, value):
        cell = self[value] = safe_cell(value or "")
        return cell


def entry_columns(money=None):
    """The entries export's columns, with the money ones `money` (a reports.money.MoneyView) sees."""
    return [*ENTRY_COLUMNS, *money_columns(money)]


def entry_money_rows(filters, money=None, *, hours_format=hours_from_seconds):
    """`entry_rows`, with the money cells `money` sees after each row (none: exactly entry_rows)."""
    rows = entry_rows(filters, hours_format=hours_format)
    if money is None or not money.any:
        return rows
    return with_entry_money(rows, filters, money, entries_in_scope)


def entry_csv_chunks(filters, *, progress=None, money=None):
    """The entries export as CSV (the streamed answer and export jobs write the same): on
    PostgreSQL the database writes it (`_copy_csv_chunks`, bytes), elsewhere Python (text). The
    two are byte for byte the same (a test compares them over awkward values). With money columns
    (`money`, a reports.money.MoneyView that sees some), Python writes it on every database: the
    amounts are billing's, priced in Python."""
    if money is not None and money.any:
        rows = entry_money_rows(filters, money, hours_format=hours_text)
        return csv_chunks(entry_columns(money), rows, progress=progress)
    if connection.vendor == "postgresql":
        return _copy_csv_chunks(filters, progress=progress)
    return csv_chunks(ENTRY_COLUMNS, entry_rows(filters, hours_format=hours_text), text_cells=True, progress=progress)


def _sql_text(value):
    return "'" + value.replace("'", "''") + "'"


def _sql_safe_cell(expression):
    """`safe_cell(value or "")` in SQL, as NULL for an empty cell: COPY writes NULL as an empty
    field and a non-NULL empty string as `""`, where csv.writer writes nothing."""
    prefixes = ", ".join(_sql_text(prefix) for prefix in FORMULA_PREFIXES)
    defused = f"CASE WHEN left({expression}, 1) IN ({prefixes}) THEN '''' || {expression} ELSE {expression} END"
    return f"NULLIF({defused}, '')"


def _sql_local_iso(column):
    """`moment.astimezone(owner's zone).isoformat()` in SQL: microseconds only when not zero,
    then the zone's offset at that moment as +HH:MM."""
    local = f"({column} AT TIME ZONE q.zone)"
    offset = f"EXTRACT(EPOCH FROM {local} - ({column} AT TIME ZONE 'UTC'))::int"
    return (
        f"""to_char({local}, 'YYYY-MM-DD"T"HH24:MI:SS')"""
        f" || CASE WHEN EXTRACT(MICROSECONDS FROM {local})::int %% 1000000 = 0 THEN '' ELSE to_char({local}, '.US') END"
        f" || CASE WHEN {offset} < 0 THEN '-' ELSE '+' END"
        f" || to_char(make_interval(secs => abs({offset})), 'HH24:MI')"
    )


# `hours_text` in SQL: hundredths of an hour of the whole seconds, rounded half up.
_SQL_HUNDREDTHS = "((FLOOR(EXTRACT(EPOCH FROM q.ended_at - q.started_at))::bigint * 100 + 1800) / 3600)"
_SQL_HOURS = f"({_SQL_HUNDREDTHS} / 100)::text || '.' || lpad(({_SQL_HUNDREDTHS} %% 100)::text, 2, '0')"


_COPY_COLUMNS = (
    "id", "user__timezone", *(path for _header, path, _repeated in _TEXT_COLUMNS), "billable", "started_at", "ended_at"
)  # fmt: skip
_COPY_TEXTS = [f"text{number}" for number in range(len(_TEXT_COLUMNS))]
_COPY_NAMES = ", ".join(["id", "zone", *_COPY_TEXTS, "billable", "started_at", "ended_at"])
_COPY_CELLS = ", ".join(
    [
        *(_sql_safe_cell(f"q.{name}") for name in _COPY_TEXTS),
        "CASE WHEN q.billable THEN 'Yes' ELSE 'No' END",
        _sql_local_iso("q.started_at"),
        _sql_local_iso("q.ended_at"),
        _SQL_HOURS,
        _sql_safe_cell("tags.names"),
    ]
)


def _copy_sql(queryset):
    """The COPY statement and its parameters for `queryset` (entries, one row each), or None when
    it matches nothing. Built of constants and Django's compiled query only; every value is a
    bound parameter (so the constants' % operators are written %%)."""
    try:
        inner, params = queryset.order_by("started_at", "id").values_list(*_COPY_COLUMNS).query.sql_with_params()
    except EmptyResultSet:
        return None, None
    through, tag_table = TimeEntry.tags.through._meta.db_table, Tag._meta.db_table
    # A bare nosec: bandit warns about `nosec B608` on any f-string (PyCQA/bandit#1204).
    sql = (
        f"COPY (SELECT {_COPY_CELLS} FROM ({inner}) "  # noqa: S608  # nosec
        f"AS q({_COPY_NAMES}) "
        "LEFT JOIN LATERAL (SELECT string_agg(t.name, ', ' ORDER BY t.name) AS names "
        f"FROM {through} m JOIN {tag_table} t ON t.id = m.tag_id WHERE m.timeentry_id = q.id) AS tags ON true "
        "ORDER BY q.started_at, q.id) TO STDOUT (FORMAT csv)"
    )
    return sql, tuple(params)


def _month_slices(filters):
    """UTC months covering every zone's days of the range (no zone is more than a day off UTC)."""
    lower = datetime.combine(filters.start - timedelta(days=1), time(), tzinfo=UTC)
    last = datetime.combine(filters.end + timedelta(days=2), time(), tzinfo=UTC)
    while lower < last:
        upper = min(last, (lower.replace(day=1) + timedelta(days=32)).replace(day=1))
        yield lower, upper
        lower = upper


def _copy_csv_chunks(filters, *, progress=None):
    """`entry_csv_chunks` written by PostgreSQL: `COPY (...) TO STDOUT` formats every cell (local
    times, hours, tags joined by name, formulas defused) and quotes like csv.writer; Python only
    turns each row's LF into CRLF (COPY sends exactly one row per message) and joins `CHUNK_SIZE`
    rows per write. One COPY, so one query; but while a COPY streams its connection runs nothing
    else, so with `progress` (an export job, which records its progress and heartbeat) there is
    one COPY per month of the range and `progress` is called after each."""
    head = next(csv_chunks(ENTRY_COLUMNS, iter(()))).encode()  # the BOM and the header, sent with the first rows
    scope = entries_in_scope(filters)
    parts = (
        [scope]
        if progress is None
        else [scope.filter(started_at__gte=a, started_at__lt=b) for a, b in _month_slices(filters)]
    )
    count = 0
    for part in parts:
        sql, params = _copy_sql(part)
        if sql is not None:
            with connection.cursor() as cursor, _logged(cursor, sql, params), cursor.cursor.copy(sql, params) as copy:
                read = copy.read
                while True:
                    rows = []
                    for _ in range(CHUNK_SIZE):
                        row = read()
                        if not row:
                            break
                        rows.append(bytes(row)[:-1])  # each message is one row ending in LF
                    if not rows:
                        break
                    count += len(rows)
                    rows.append(b"")
                    yield head + b"\r\n".join(rows)
                    head = b""
        if progress is not None:
            progress(count)
    if head:
        yield head


def _logged(cursor, sql, params):
    """Count the COPY like any query (debug logging, `assertNumQueries`, the benchmark's counts)."""
    return cursor.debug_sql(sql, params) if hasattr(cursor, "debug_sql") else nullcontext()


def write_xlsx(target, header, rows, *, title="Time entries", progress=None):
    """Write rows to `target` (a path or binary file) with openpyxl's write-only workbook."""

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=gettext(title))
    sheet.append(translated_header(header))
    for count, row in enumerate(rows, start=1):
        sheet.append([safe_cell(value) for value in row])
        if progress is not None and count % CHUNK_SIZE == 0:
            progress(count)
    workbook.save(target)


# --- HTTP responses (shared by the API and the pages) ---------------------------------------

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_response(filename, header, rows):
    return csv_stream_response(filename, csv_chunks(header, rows))


def csv_stream_response(filename: str, chunks: Iterable[bytes | str]) -> StreamingHttpResponse:
    """A StreamingHttpResponse of `csv_chunks`: rows are read while the client downloads."""

    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str) -> FileResponse:

    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when the download ends
    write_xlsx(handle, header, rows, title=title)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def export_now(
    filters: ReportFilters, *, kind: str, export_format: str, group_by: list[str], money: Any = None
) -> FileResponse | StreamingHttpResponse:
    """The response for a small export (entries or summary, CSV or XLSX). `money` (a
    reports.money.MoneyView): the money columns the requester sees."""
    stamp = f"{filters.start.isoformat()}_{filters.end.isoformat()}"
    # Generators: nothing is read until the response is written.
    if kind == "summary":
        report = summarize(filters, group_by, money=money)
        header, rows, name, title = summary_columns(report), summary_rows(report), f"summary_{stamp}", "Summary"
        chunks = csv_chunks(header, rows)
    else:
        header, name, title = entry_columns(money), f"time-entries_{stamp}", "Time entries"
        rows = entry_money_rows(filters, money)
        chunks = entry_csv_chunks(filters, money=money)
    if export_format == "xlsx":
        return xlsx_response(f"{name}.xlsx", header, rows, title=title)
    return csv_stream_response(f"{name}.csv", chunks)
