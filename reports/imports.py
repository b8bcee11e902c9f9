"""Parsing of the import files: Toggl Track and Clockify detailed reports, and our own export.

Each parser turns a CSV file into `ParsedRow`s in one shape (times are aware datetimes in the
target user's time zone unless the file carries an offset). Shape errors (a bad date, a
missing column) are collected per row with its line number; the rules (overlap, archived
project ...) are applied later by `services.entries_import`.
"""

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import tzinfo as TimeZone

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from core.durations import DurationSyntaxError, duration_from_text, hours_from_seconds
from reports.models import ImportFormat

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
MAX_NAME_LENGTH = 200
MAX_TAG_LENGTH = 50
MAX_DESCRIPTION_LENGTH = 1000

TOGGL_COLUMNS = ["User", "Email", "Client", "Project", "Task", "Description", "Billable", "Start date", "Start time",
                 "End date", "End time", "Duration", "Tags"]  # fmt: skip
CLOCKIFY_COLUMNS = ["Project", "Client", "Description", "Task", "User", "Email", "Tags", "Billable", "Start Date",
                    "Start Time", "End Date", "End Time"]  # fmt: skip
NATIVE_COLUMNS = ["User", "Email", "Client", "Project", "Task", "Description", "Billable", "Start", "End", "Tags"]
REQUIRED_COLUMNS = {
    ImportFormat.TOGGL: TOGGL_COLUMNS,
    ImportFormat.CLOCKIFY: CLOCKIFY_COLUMNS,
    ImportFormat.NATIVE: NATIVE_COLUMNS,
}
# A row without an end ends its duration after its start: the duration column, read with the one
# duration grammar (core.durations: "02:30:00" as Toggl and Clockify write it, "2.5h", "150m", ...).
# A row with an end keeps it, whatever its duration column says (the end is exact; the column is
# not always: Clockify rounds it). Our own layout has no duration column; a "Duration" one is read.
DURATION_COLUMNS = {
    ImportFormat.TOGGL: "Duration",
    ImportFormat.CLOCKIFY: "Duration (h)",
    ImportFormat.NATIVE: "Duration",
}
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y"]
TIME_FORMATS = ["%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p"]


class FileError(Exception):
    """The file as a whole cannot be read (encoding, columns, size)."""


@dataclass
class ParsedRow:
    line: int
    started_at: datetime | None = None
    ended_at: datetime | None = None
    client: str = ""
    project: str = ""
    task: str = ""
    description: str = ""
    billable: bool | None = None
    tags: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)

    def error(self, name, message):
        self.errors.setdefault(name, []).append(message)

    @property
    def key(self):
        """Stable identity of the row: the same row in a re-imported file gets the same key."""
        parts = [
            self.started_at.astimezone(UTC).isoformat() if self.started_at else "",
            self.ended_at.astimezone(UTC).isoformat() if self.ended_at else "",
            self.client.lower(),
            self.project.lower(),
            self.task.lower(),
            self.description,
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    @property
    def hours(self):
        if self.started_at and self.ended_at:
            return hours_from_seconds(int((self.ended_at - self.started_at).total_seconds()))
        return None


def read_text(data):
    """Bytes -> text: UTF-8 (with or without BOM), else Windows-1252 as older Excel writes."""
    if len(data) > MAX_FILE_BYTES:
        raise FileError(gettext("The file is larger than {value} MB.").format(value=MAX_FILE_BYTES // (1024 * 1024)))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _clean(value, limit, row, name):
    value = " ".join((value or "").split()) if name != "description" else (value or "").strip()
    if "\x00" in value:
        row.error(name, "Contains a NUL character.")
        return value.replace("\x00", "")
    if len(value) > limit:
        row.error(name, f"At most {limit} characters.")
        return value[:limit]
    return value


def _parse_bool(value, row):
    text = (value or "").strip().lower()
    if text in ("yes", "true", "1", "billable"):
        return True
    if text in ("no", "false", "0", "non-billable", ""):
        return False if text else None
    row.error("billable", f"Billable is Yes or No, not {value[:20]!r}.")
    return None


def _parse_local(day_text, time_text, tzinfo, row, name):
    day_text, time_text = (day_text or "").strip(), (time_text or "").strip().upper()
    day = moment = None
    for pattern in DATE_FORMATS:
        try:
            day = datetime.strptime(day_text, pattern).date()
            break
        except ValueError:
            continue
    for pattern in TIME_FORMATS:
        try:
            moment = datetime.strptime(time_text, pattern).time()
            break
        except ValueError:
            continue
    if day is None:
        row.error(name, f"Unreadable date {day_text[:20]!r} (use YYYY-MM-DD or MM/DD/YYYY).")
        return None
    if moment is None:
        row.error(name, f"Unreadable time {time_text[:20]!r} (use HH:MM:SS).")
        return None
    return datetime.combine(day, moment, tzinfo=tzinfo)


def _parse_iso(text, tzinfo, row, name):
    text = (text or "").strip()
    try:
        if len(text) > 40:
            raise ValueError
        value = datetime.fromisoformat(text)
    except ValueError:
        row.error(name, f"Unreadable date and time {text[:40]!r} (use ISO 8601, e.g. 2026-03-02T09:00:00+01:00).")
        return None
    return value if value.tzinfo else value.replace(tzinfo=tzinfo)


def _end_after(started_at, text, row):
    """The end of a row given by its start and a duration text (core.durations' grammar)."""
    try:
        duration = duration_from_text(text)
    except DurationSyntaxError as error:
        row.error("duration", f"Unreadable duration {text[:20]!r}. {error.message}")
        return None
    if started_at is None:
        return None
    # In UTC: a wall-clock sum would be an hour off across a daylight-saving change.
    return (started_at.astimezone(UTC) + duration).astimezone(started_at.tzinfo)


def _split_tags(text, row):
    tags = []
    for part in (text or "").split(","):
        name = " ".join(part.split())
        if not name:
            continue
        if "\x00" in name:
            row.error("tags", "A tag contains a NUL character.")
            continue
        if len(name) > MAX_TAG_LENGTH:
            row.error("tags", f"A tag has at most {MAX_TAG_LENGTH} characters.")
            continue
        if name.lower() not in (tag.lower() for tag in tags):
            tags.append(name)
    return tags


def _unescape(value):
    """Our export prefixes formula-like text with an apostrophe; undo it on the way back."""
    if value and value.startswith("'") and value[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return value[1:]
    return value


def native_header(header: list[str]) -> list[str]:
    """Our export's header read back in English, whichever of the product's languages it was
    written in (reports.exports.translated_header)."""
    english: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for name in NATIVE_COLUMNS:
                english.setdefault(gettext(name), name)
    return [english.get(name, name) for name in header]


def parse(data: bytes, file_format: str, tzinfo: TimeZone) -> list[ParsedRow]:
    """Bytes of a CSV file -> list of ParsedRow (raises FileError for the file as a whole)."""
    if file_format not in ImportFormat.values:
        raise FileError(gettext("Unknown format {value}.").format(value=repr(str(file_format)[:20])))
    text = read_text(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    if file_format == ImportFormat.NATIVE:
        header = native_header(header)
    reader.fieldnames = header
    missing = [name for name in REQUIRED_COLUMNS[ImportFormat(file_format)] if name not in header]
    if missing:
        raise FileError(
            gettext("This is not a {label} file: missing column(s) {join}.").format(
                label=ImportFormat(file_format).label, join=", ".join(missing)
            )
        )
    rows: list[ParsedRow] = []
    try:
        for record in reader:
            if len(rows) >= MAX_ROWS:
                raise FileError(gettext("At most {MAX_ROWS} rows per file.").format(MAX_ROWS=MAX_ROWS))
            if not any((value or "").strip() for value in record.values() if isinstance(value, str)):
                continue  # blank line
            rows.append(_parse_record(record, file_format, tzinfo, reader.line_num))
    except csv.Error as error:
        raise FileError(
            gettext("The CSV file is malformed near line {line_num}: {error}").format(
                line_num=reader.line_num, error=error
            )
        ) from error
    return rows


def _parse_record(record, file_format, tzinfo, line):
    row = ParsedRow(line=line)
    get = lambda name: _unescape(record.get(name) or "")  # noqa: E731
    row.client = _clean(get("Client"), MAX_NAME_LENGTH, row, "client")
    row.project = _clean(get("Project"), MAX_NAME_LENGTH, row, "project")
    row.task = _clean(get("Task"), MAX_NAME_LENGTH, row, "task")
    row.description = _clean(get("Description"), MAX_DESCRIPTION_LENGTH, row, "description")
    row.billable = _parse_bool(get("Billable"), row)
    row.tags = _split_tags(get("Tags"), row)
    duration = get(DURATION_COLUMNS[ImportFormat(file_format)]).strip()
    if file_format == ImportFormat.TOGGL:
        row.started_at = _parse_local(get("Start date"), get("Start time"), tzinfo, row, "started_at")
        if duration and not (get("End date").strip() or get("End time").strip()):
            row.ended_at = _end_after(row.started_at, duration, row)
        else:
            row.ended_at = _parse_local(get("End date"), get("End time"), tzinfo, row, "ended_at")
    elif file_format == ImportFormat.CLOCKIFY:
        row.started_at = _parse_local(get("Start Date"), get("Start Time"), tzinfo, row, "started_at")
        if duration and not (get("End Date").strip() or get("End Time").strip()):
            row.ended_at = _end_after(row.started_at, duration, row)
        else:
            row.ended_at = _parse_local(get("End Date"), get("End Time"), tzinfo, row, "ended_at")
    else:
        row.started_at = _parse_iso(get("Start"), tzinfo, row, "started_at")
        if duration and not get("End").strip():
            row.ended_at = _end_after(row.started_at, duration, row)
        else:
            row.ended_at = _parse_iso(get("End"), tzinfo, row, "ended_at")
    if row.started_at and row.ended_at and row.ended_at <= row.started_at:
        row.error("ended_at", "The end must be after the start.")
    return row
