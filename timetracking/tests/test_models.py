"""Database constraints and the shared reads (QuerySet methods)."""

from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from timetracking.models import Project, Tag, TimeEntry, local_day_bounds
from timetracking.tests.factories import ProjectFactory, TaskFactory, TimeEntryFactory, utc

pytestmark = pytest.mark.django_db


def refused(**kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeEntry.objects.create(**kwargs)


def test_database_refuses_an_end_not_after_the_start(employee):
    refused(user=employee, started_at=utc(2026, 3, 9, 9), ended_at=utc(2026, 3, 9, 9))
    refused(user=employee, started_at=utc(2026, 3, 9, 9), ended_at=utc(2026, 3, 9, 8))


def test_database_allows_one_running_timer_per_user(employee, colleague):
    TimeEntry.objects.create(user=employee, started_at=utc(2026, 3, 9, 9))
    refused(user=employee, started_at=utc(2026, 3, 1, 9))
    TimeEntry.objects.create(user=colleague, started_at=utc(2026, 3, 9, 9))


def test_database_refuses_a_task_without_project(employee):
    refused(user=employee, task=TaskFactory(), started_at=utc(2026, 3, 9, 9), ended_at=utc(2026, 3, 9, 10))


def test_tag_names_are_unique_case_insensitively(db):
    Tag.objects.create(name="Review")
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(name="review")


@pytest.mark.postgresql
def test_postgresql_refuses_overlaps_but_allows_touching(employee):
    TimeEntry.objects.create(user=employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 10))
    refused(user=employee, started_at=utc(2026, 3, 9, 9), ended_at=utc(2026, 3, 9, 11))
    refused(user=employee, started_at=utc(2026, 3, 9, 7))  # a running timer reaches to infinity
    TimeEntry.objects.create(user=employee, started_at=utc(2026, 3, 9, 10), ended_at=utc(2026, 3, 9, 11))


@pytest.mark.postgresql
def test_postgresql_has_the_full_text_gin_index(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'timetracking_timeentry' "
            "AND indexname = 'timeentry_description_fts'"
        )
        (definition,) = cursor.fetchone()
    assert "gin" in definition.lower() and "to_tsvector" in definition


@pytest.mark.postgresql
def test_search_uses_the_gin_index(employee):
    for n in range(50):
        TimeEntryFactory(user=employee, description=f"entry number {n}")
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = TimeEntry.objects.search("number").explain()
        cursor.execute("SET enable_seqscan = on")
    assert "timeentry_description_fts" in plan


def test_local_day_bounds_follow_dst():
    berlin = ZoneInfo("Europe/Berlin")
    start, end = local_day_bounds(date(2026, 3, 29), date(2026, 3, 29), berlin)  # spring forward: 23 hours
    assert (start, end.astimezone(UTC) - start.astimezone(UTC)) == (utc(2026, 3, 28, 23), timedelta(hours=23))
    start, end = local_day_bounds(date(2026, 10, 25), date(2026, 10, 25), berlin)  # fall back: 25 hours
    assert (start, end.astimezone(UTC) - start.astimezone(UTC)) == (utc(2026, 10, 24, 22), timedelta(hours=25))


def test_loggable_by(employee, colleague, hr):
    open_project = ProjectFactory()
    members_only = ProjectFactory(members=[colleague])
    ProjectFactory(active=False)
    assert set(Project.objects.loggable_by(employee)) == {open_project}
    assert set(Project.objects.loggable_by(colleague)) == {open_project, members_only}
    assert set(Project.objects.loggable_by(hr)) == {open_project, members_only}


def test_overlapping_query(employee):
    entry = TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9))
    entries = TimeEntry.objects.for_user(employee)
    assert list(entries.overlapping(utc(2026, 3, 9, 8, 59), utc(2026, 3, 9, 10))) == [entry]
    assert list(entries.overlapping(utc(2026, 3, 9, 9), utc(2026, 3, 9, 10))) == []
    assert list(entries.overlapping(utc(2026, 3, 9, 7), None)) == [entry]


def test_hours_are_decimal(employee):
    entry = TimeEntryFactory(user=employee, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 9, 20))
    assert str(entry.hours) == "1.33"
    assert TimeEntry(user=employee, started_at=utc(2026, 3, 9, 8)).hours is None


def test_intervals_read_exact_aware_utc_times(employee):
    """`intervals` reads times as epoch seconds on PostgreSQL: to the microsecond, in UTC."""
    moments = [utc(2026, 3, 9, 8, 0, 0, 1), utc(2026, 3, 10, 23, 59, 59, 999999), utc(2099, 12, 30, 1, 2, 3, 456789)]
    for moment in moments:
        TimeEntryFactory(user=employee, started_at=moment, ended_at=moment + timedelta(hours=1, microseconds=7))
    rows = list(TimeEntry.objects.for_user(employee).intervals(utc(2026, 1, 1), utc(2100, 1, 1)))
    assert [(start, end) for _, _, start, end in rows] == [
        (moment, moment + timedelta(hours=1, microseconds=7)) for moment in moments
    ]
    assert all(start.tzinfo == UTC and end.tzinfo == UTC for _, _, start, end in rows)
