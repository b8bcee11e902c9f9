"""Imports read a row's duration column with the one duration grammar (core.durations) when the row
has no end; a row with an end keeps it."""

import csv
import io
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.durations import DURATION_SYNTAX_MESSAGE
from reports import imports, services
from reports.tests.factories import utc
from timetracking.models import TimeEntry

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")

TOGGL_HEADER = ",".join(imports.TOGGL_COLUMNS) + "\n"
CLOCKIFY_HEADER = ",".join([*imports.CLOCKIFY_COLUMNS, "Duration (h)", "Duration (decimal)"]) + "\n"
NATIVE_HEADER = ",".join([*imports.NATIVE_COLUMNS, "Duration"]) + "\n"


def toggl(start_time, end_time, duration, start_date="2026-03-02", end_date=None):
    end_date = (start_date if end_time else "") if end_date is None else end_date
    cells = ["Erika", "erika@example.com", "", "", "", "Work", "No", start_date, start_time, end_date, end_time]
    out = io.StringIO()
    csv.writer(out).writerow([*cells, duration, ""])  # quoted: "2,5 h" is one cell
    return (TOGGL_HEADER + out.getvalue()).encode()


def parse_one(data, file_format):
    rows = imports.parse(data, file_format, BERLIN)
    assert len(rows) == 1
    return rows[0]


@pytest.mark.parametrize(
    ("duration", "minutes"),
    [("02:30:00", 150), ("2:30", 150), ("2.5", 150), ("2,5 h", 150), ("2h30m", 150), ("150m", 150), ("90", 90)],
)
def test_a_toggl_row_without_an_end_ends_after_its_duration(duration, minutes):
    row = parse_one(toggl("09:00:00", "", duration), "toggl")
    assert row.errors == {}
    assert row.started_at == utc(2026, 3, 2, 8)  # 09:00 in Berlin
    assert row.ended_at - row.started_at == timedelta(minutes=minutes)


def test_a_row_with_an_end_keeps_it_whatever_its_duration_says():
    row = parse_one(toggl("09:00:00", "10:00:00", "05:00:00"), "toggl")
    assert (row.errors, row.ended_at) == ({}, utc(2026, 3, 2, 9))
    row = parse_one(toggl("09:00:00", "10:00:00", "not a duration"), "toggl")  # as before: not read
    assert (row.errors, row.ended_at) == ({}, utc(2026, 3, 2, 9))


@pytest.mark.parametrize("duration", ["abc", "1.5.5", "-1:00", "1:75", "２:３０", "9" * 30])
def test_an_unreadable_duration_is_a_row_error_naming_the_accepted_forms(duration):
    row = parse_one(toggl("09:00:00", "", duration), "toggl")
    assert list(row.errors) == ["duration"]
    assert DURATION_SYNTAX_MESSAGE in row.errors["duration"][0]
    assert row.ended_at is None


def test_no_end_and_no_duration_is_the_end_error_as_before():
    row = parse_one(toggl("09:00:00", "", ""), "toggl")
    assert list(row.errors) == ["ended_at"]


def test_a_zero_duration_is_an_end_before_the_start():
    row = parse_one(toggl("09:00:00", "", "0:00"), "toggl")
    assert list(row.errors) == ["ended_at"]


def test_the_duration_is_counted_in_real_time_across_a_clock_change():
    # Berlin's clocks go forward at 02:00 on 2026-03-29: 01:00 + 2 hours is 04:00 local time.
    row = parse_one(toggl("01:00:00", "", "2h", start_date="2026-03-29"), "toggl")
    assert row.ended_at.astimezone(UTC) - row.started_at.astimezone(UTC) == timedelta(hours=2)
    assert row.ended_at.astimezone(BERLIN).hour == 4


def test_a_clockify_row_reads_duration_h():
    line = "Internal,,Workshop,,Erika,erika@example.com,,No,03/05/2026,01:00:00 PM,,,02:15:00,2.25\n"
    row = parse_one((CLOCKIFY_HEADER + line).encode(), "clockify")
    assert row.errors == {}
    assert (row.started_at, row.ended_at) == (utc(2026, 3, 5, 12), utc(2026, 3, 5, 14, 15))


def test_our_own_layout_reads_an_optional_duration_column():
    line = ",,,,,Work,No,2026-03-02T09:00:00+01:00,,,1h 30m\n"
    row = parse_one((NATIVE_HEADER + line).encode(), "native")
    assert row.errors == {}
    assert (row.started_at, row.ended_at) == (utc(2026, 3, 2, 8), utc(2026, 3, 2, 9, 30))


def test_an_imported_row_over_the_entry_limit_is_refused_by_the_service(employee):
    rows = services.parse_upload(data=toggl("09:00:00", "", "17:00"), file_format="toggl", user=employee)
    with pytest.raises(services.ImportRefused) as excinfo:
        services.entries_import(actor=employee, user=employee, rows=rows)
    assert excinfo.value.errors[0]["row"] == 2
    assert not TimeEntry.objects.exists()


def test_an_import_with_durations_creates_the_entries(employee):
    rows = services.parse_upload(data=toggl("09:00:00", "", "1,5h"), file_format="toggl", user=employee)
    result = services.entries_import(actor=employee, user=employee, rows=rows)
    assert (result["created"], result["errors"]) == (1, [])
    entry = TimeEntry.objects.get()
    assert (entry.started_at, entry.ended_at) == (utc(2026, 3, 2, 8), utc(2026, 3, 2, 9, 30))
