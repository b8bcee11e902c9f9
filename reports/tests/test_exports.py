"""The entries export: the fast CSV writer gives exactly the bytes of the plain one, on every backend.

`_reference_csv` is the export as it was written before it was made fast (ORM objects, prefetched
tags, Decimal hours, `timezone.localtime`, `safe_cell` on every value, a csv.writer line per entry):
the streamed answer and the export job file must be byte-identical to it.
"""

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Prefetch, Value
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.durations import hours_from_seconds as hours
from reports import exports
from reports.models import ExportJob
from reports.money import MoneyView
from reports.summary import ReportFilters, entries_in_scope
from reports.tests.factories import ProjectFactory, TagFactory, TaskFactory, TimeEntryFactory, UserFactory, utc
from timetracking.models import Client, Tag, TimeEntry

pytestmark = pytest.mark.django_db
EXPORT = reverse("api:report-export")
RANGE = {"from": "2026-03-01", "to": "2026-04-30"}


def _reference_csv(filters):
    zones = {user.pk: user.tzinfo for user in filters.users}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(exports.ENTRY_COLUMNS)
    entries = (
        entries_in_scope(filters)
        .select_related("user", "project__client", "task")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .order_by("started_at", "id")
    )
    for entry in entries:
        zone = zones[entry.user_id]
        project = entry.project
        row = [
            entry.user.username,
            entry.user.email,
            project.client.name if project and project.client else "",
            project.name if project else "",
            entry.task.name if entry.task else "",
            entry.description,
            "Yes" if entry.billable else "No",
            timezone.localtime(entry.started_at, zone).isoformat(),
            timezone.localtime(entry.ended_at, zone).isoformat(),
            hours(int((entry.ended_at - entry.started_at).total_seconds())),
            ", ".join(tag.name for tag in entry.tags.all()),
        ]
        writer.writerow([exports.safe_cell(value) for value in row])
    return buffer.getvalue()


@pytest.fixture
def people(employee):
    """Owners in zones with DST, a half-hour offset and a half-hour DST shift."""
    return [
        employee,  # Europe/Berlin
        UserFactory(username="=cmd", email="+new@example.com", timezone="America/New_York"),
        UserFactory(username="kolkata", timezone="Asia/Kolkata"),
        UserFactory(username="lord-howe", timezone="Australia/Lord_Howe"),
    ]


@pytest.fixture
def tricky_entries(people):
    """Entries whose every cell has an edge: formulas, quotes, commas, line breaks, unicode,
    microseconds, DST changes, rounding ties, no project, several tags stored out of name order."""
    acme = Client.objects.create(name='Acme, "the" Corp')
    with_client = ProjectFactory(name="-minus project", client=acme)
    without_client = ProjectFactory(name="Plain", client=None)
    task = TaskFactory(project=with_client, name="@task")
    tags = [TagFactory(name=name) for name in ("zeta", "Alpha", "=sum(A1)", "b,c", 'quo"te', "ünïcode")]
    descriptions = [
        "=1+1",
        "+2",
        "-3",
        "@SUM(A1)",
        "\ttab",
        "\rreturn",
        'say "hi", then\nleave',
        "Grüße 😀, ok",
        "",
        "plain",
    ]
    # Each user's entries never overlap: one a day (and an hour) from before the European DST change.
    start = utc(2026, 3, 27, 20, 0, 0, 123456)
    durations = [18, 17, 5399, 5400, 3600 * 10 + 59 * 60 + 42, 1, 35999, 54, 86399, 7201]
    made = []
    for index in range(40):
        owner = people[index % len(people)]
        started = start + timedelta(hours=25 * (index // len(people)), microseconds=index % 3)
        made.append(
            TimeEntryFactory(
                user=owner,
                project=(with_client, without_client, None)[index % 3] if index % 7 else None,
                task=task if index % 3 == 0 and index % 7 else None,
                description=descriptions[index % len(descriptions)],
                billable=index % 2 == 0,
                started_at=started,
                ended_at=started + timedelta(seconds=durations[index % len(durations)], microseconds=index),
                tags=[tags[(index + offset) % len(tags)] for offset in range(index % 4)][::-1],
            )
        )
    return made


def _text(chunks):
    """The export's text: PostgreSQL's COPY gives bytes, Python's writer text."""
    return "".join(chunk.decode() if isinstance(chunk, bytes) else chunk for chunk in chunks)


def _filters(people):
    return ReportFilters(start=date(2026, 3, 1), end=date(2026, 4, 30), users=people)


def test_fast_csv_is_byte_identical_to_the_plain_writer(people, tricky_entries):
    expected = _reference_csv(_filters(people))
    assert expected.count("\r\n") > 40  # every entry is there (and some cells hold line breaks)

    assert _text(exports.entry_csv_chunks(_filters(people))) == expected


def test_streamed_answer_and_job_file_are_byte_identical_to_the_plain_writer(
    client_for, hr, people, tricky_entries, settings, tmp_path, django_capture_on_commit_callbacks
):
    """HR's export is the plain layout with billing's money columns after it (HR sees the money:
    billing/tests/test_exports_money.py); it is the plain writer's with those cells added."""
    money_view = MoneyView(amounts=True, costs=True)
    plain = _reference_csv(_filters(people))
    expected = _text(exports.entry_csv_chunks(_filters(people), money=money_view)).encode()
    parsed = list(csv.reader(io.StringIO(expected.decode("utf-8-sig"))))
    assert [row[: len(exports.ENTRY_COLUMNS)] for row in parsed] == list(
        csv.reader(io.StringIO(plain.removeprefix("\ufeff")))
    )
    assert parsed[0][len(exports.ENTRY_COLUMNS) :] == ["Billed hours", "Amount", "Cost", "Currency"]
    params = {**RANGE, "format": "csv", "user": ",".join(str(person.pk) for person in people)}

    response = client_for(hr).get(EXPORT, params)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == expected

    settings.REPORTS_ASYNC_EXPORT_THRESHOLD = 3
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(hr).get(EXPORT, params)
    assert response.status_code == 202
    job = ExportJob.objects.get(pk=response.json()["id"])
    assert job.processed_rows == len(tricky_entries)
    with job.file.open("rb") as handle:
        assert handle.read() == expected


def test_rows_merge_the_tags_of_an_entry_across_fetched_chunks(people, tricky_entries):
    # One row per entry and tag comes from the database; an entry's rows may straddle two fetches.
    one_by_one = list(exports.entry_rows(_filters(people), chunk_size=1))
    assert one_by_one == list(exports.entry_rows(_filters(people)))
    assert len(one_by_one) == len(tricky_entries)


def test_csv_chunks_hold_many_rows_each(people, tricky_entries, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 7)
    chunks = list(exports.entry_csv_chunks(_filters(people)))
    assert len(chunks) == 6  # 40 rows, 7 per chunk; the header rides with the first
    assert _text(chunks) == _reference_csv(_filters(people))


def test_an_empty_export_is_the_header_alone(people):
    (chunk,) = exports.entry_csv_chunks(_filters(people))
    assert _text([chunk]) == "\ufeff" + ",".join(exports.ENTRY_COLUMNS) + "\r\n"


def test_an_export_of_nobody_is_the_header_alone():
    filters = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31), users=[])
    header = "\ufeff" + ",".join(exports.ENTRY_COLUMNS) + "\r\n"
    assert _text(exports.entry_csv_chunks(filters)) == header
    reported = []
    assert _text(exports.entry_csv_chunks(filters, progress=reported.append)) == header
    assert reported[-1] == 0


def test_xlsx_rows_keep_decimal_hours(people, tricky_entries):
    (row, *_rest) = exports.entry_rows(_filters(people))
    assert row[9] == hours(18)


# Any text a user may type (no NUL: PostgreSQL text cannot hold it), and zones with odd offsets.
TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=12)
ZONES = ["Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham", "Australia/Lord_Howe", "America/Sao_Paulo", "UTC"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    zone=st.sampled_from(ZONES),
    email=TEXT,
    names=st.tuples(TEXT, TEXT.filter(bool), TEXT),  # client, project, task
    entries=st.lists(
        st.tuples(TEXT, st.sets(TEXT.filter(bool), max_size=3), st.integers(0, 80_000), st.integers(0, 999_999)),
        min_size=1,
        max_size=4,
    ),
)
def test_any_text_and_zone_export_exactly_as_the_plain_writer(zone, email, names, entries):
    """On PostgreSQL the database writes the CSV (COPY): its quoting, defusing, times, offsets and
    hours must be csv.writer's exactly, as a single COPY and as an export job's monthly ones."""
    with transaction.atomic():
        owner = UserFactory(username="owner", email=email, timezone=zone)
        client = Client.objects.create(name=names[0])
        project = ProjectFactory(name=names[1], client=client)
        task = TaskFactory(project=project, name=names[2]) if names[2] else None
        tags = {}
        for index, (description, tag_names, seconds, microseconds) in enumerate(entries):
            started = utc(2026, 3, 30, 12) + timedelta(days=index, microseconds=microseconds)
            for name in tag_names - tags.keys():
                # Tag names are unique by the database's lower(): "a" and "A" are one tag.
                same = Tag.objects.annotate(key=Lower("name")).filter(key=Lower(Value(name)))
                tags[name] = same.first() or TagFactory(name=name)
            TimeEntryFactory(
                user=owner,
                project=project,
                task=task,
                description=description,
                started_at=started,
                ended_at=started + timedelta(seconds=seconds + 1, microseconds=index),
                tags=[tags[name] for name in tag_names],
            )
        filters = ReportFilters(start=date(2026, 3, 1), end=date(2026, 4, 30), users=[owner])
        expected = _reference_csv(filters)
        assert expected.count("\r\n") > len(entries)
        assert _text(exports.entry_csv_chunks(filters)) == expected
        assert _text(exports.entry_csv_chunks(filters, progress=lambda count: None)) == expected
        transaction.set_rollback(True)


def test_the_csv_export_is_one_query_however_many_rows(employee, django_assert_num_queries):
    for count in (1, 30):
        TimeEntry.objects.filter(user=employee).delete()
        for day in range(count):
            TimeEntryFactory(user=employee, started_at=utc(2026, 3, 1, 8) + timedelta(days=day))
        filters = ReportFilters(start=date(2026, 3, 1), end=date(2026, 4, 30), users=[employee])
        with django_assert_num_queries(1):
            assert _text(exports.entry_csv_chunks(filters)).count("\r\n") == count + 1


def test_an_export_job_reports_progress_month_by_month(employee, monkeypatch):
    """A job's progress (and heartbeat) cannot be written while a COPY streams: on PostgreSQL the
    job reads one month at a time and reports after each; elsewhere after each chunk."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 5)
    for day in range(40):
        TimeEntryFactory(user=employee, started_at=utc(2026, 2, 10, 8) + timedelta(days=day))
    filters = ReportFilters(start=date(2026, 2, 1), end=date(2026, 3, 31), users=[employee])
    reported = []
    text = _text(exports.entry_csv_chunks(filters, progress=reported.append))
    assert text == _reference_csv(filters)
    assert reported[-1] == 40 and reported == sorted(reported)
    if connection.vendor == "postgresql":  # Feb (19 entries) then Mar (21), plus the day around each end
        assert reported == [0, 19, 40, 40]
    else:
        assert reported == list(range(5, 45, 5))


def test_a_download_cut_short_leaves_the_connection_usable(people, tricky_entries, monkeypatch):
    """The client goes away mid-stream: the generator is closed inside the COPY, which is
    cancelled; the next query on the same connection works."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 3)
    chunks = exports.entry_csv_chunks(_filters(people))
    first = next(chunks)
    assert _text([first]).count("\r\n") == 4  # the header and three rows
    chunks.close()
    assert TimeEntry.objects.count() == len(tricky_entries)
    assert _text(exports.entry_csv_chunks(_filters(people))) == _reference_csv(_filters(people))
