"""Races on PostgreSQL with real concurrent connections (threads), not mocks."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection

from accounts.tests.factories import UserFactory
from timetracking import services
from timetracking.models import TimeEntry
from timetracking.tests.factories import utc

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def run_at_once(*calls):
    """Run each call in its own thread and connection, released together; return results/exceptions."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread raised
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def outcome(results):
    return sorted(type(result).__name__ for result in results)


def test_two_simultaneous_timer_starts_leave_exactly_one_running(transactional_db):
    user = UserFactory()
    for _ in range(3):  # a race can go either way: repeat it
        TimeEntry.objects.all().delete()
        results = run_at_once(
            lambda: services.timer_start(user=user, description="a"),
            lambda: services.timer_start(user=user, description="b"),
        )
        assert outcome(results) == ["TimeEntry", "TimeTrackingConflict"]
        conflict = next(result for result in results if isinstance(result, Exception))
        assert conflict.code == "timer_running"
        assert TimeEntry.objects.filter(user=user).running().count() == 1


def test_two_simultaneous_overlapping_creates_exactly_one_succeeds(transactional_db):
    user = UserFactory()
    start = utc(2026, 3, 9, 8)
    results = run_at_once(
        lambda: services.entry_create(user=user, started_at=start, duration="2:00"),
        lambda: services.entry_create(user=user, started_at=start + timedelta(hours=1), duration="2:00"),
    )
    assert outcome(results) == ["TimeEntry", "TimeTrackingConflict"]
    assert TimeEntry.objects.filter(user=user).count() == 1


def test_the_exclusion_constraint_alone_refuses_concurrent_overlaps(transactional_db):
    """Without the service's lock and checks: the database itself lets one insert through."""
    user = UserFactory()
    start = utc(2026, 3, 9, 8)

    def insert(offset):
        return TimeEntry.objects.create(
            user=user, started_at=start + offset, ended_at=start + offset + timedelta(hours=2)
        )

    results = run_at_once(lambda: insert(timedelta(0)), lambda: insert(timedelta(hours=1)))
    # The loser gets the exclusion violation, or, when both inserts reach the constraint check at
    # the same moment, PostgreSQL's deadlock detector aborts one of them (exclusion constraints
    # can deadlock where unique indexes cannot; the services avoid this by locking the user row).
    loser, winner = outcome(results)
    assert winner == "TimeEntry"
    assert loser in ("IntegrityError", "OperationalError"), results
    if loser == "OperationalError":
        assert "deadlock" in str(next(r for r in results if not isinstance(r, TimeEntry)))
    assert TimeEntry.objects.filter(user=user).count() == 1


def test_a_constraint_violation_past_the_checks_becomes_a_409(transactional_db):
    user = UserFactory()
    TimeEntry.objects.create(user=user, started_at=utc(2026, 3, 9, 8), ended_at=utc(2026, 3, 9, 10))
    with pytest.raises(services.TimeTrackingConflict) as excinfo:
        services._save(TimeEntry(user=user, started_at=utc(2026, 3, 9, 9), ended_at=utc(2026, 3, 9, 11)))
    assert excinfo.value.code == "overlap"
    TimeEntry.objects.create(user=user, started_at=utc(2026, 3, 9, 12))
    with pytest.raises(services.TimeTrackingConflict) as excinfo:
        services._save(TimeEntry(user=user, started_at=utc(2026, 3, 8, 12)))  # a second running timer
    assert excinfo.value.code in {"timer_running", "overlap"}
    with pytest.raises(IntegrityError):
        TimeEntry.objects.create(user=user, started_at=utc(2026, 3, 1, 12), ended_at=utc(2026, 3, 1, 14))
        TimeEntry.objects.create(user=user, started_at=utc(2026, 3, 1, 13), ended_at=utc(2026, 3, 1, 15))


def test_two_simultaneous_approvals_exactly_one_wins(transactional_db):
    from datetime import date

    from accounts.models import AuditEvent
    from accounts.tests.factories import HRFactory
    from timetracking.models import TimesheetPeriod
    from webhooks.models import OutboxEvent

    manager = UserFactory()
    hr = HRFactory()
    employee = UserFactory(manager=manager)
    for attempt in range(3):  # a race can go either way: repeat it
        period = services.period_submit(user=employee, day=date(2026, 1, 5) + timedelta(weeks=attempt))
        results = run_at_once(
            lambda period=period: services.period_approve(actor=manager, period=period),
            lambda period=period: services.period_approve(actor=hr, period=period),
        )
        assert outcome(results) == ["TimeTrackingConflict", "TimesheetPeriod"]
        conflict = next(result for result in results if isinstance(result, Exception))
        assert conflict.code == "already_decided"
        period.refresh_from_db()
        assert period.status == TimesheetPeriod.Status.APPROVED
        assert AuditEvent.objects.filter(action="period.approved", object_id=str(period.pk)).count() == 1
    assert OutboxEvent.objects.filter(event_type="period.locked").count() == 3


def test_an_entry_write_and_an_approval_at_once_never_leave_an_entry_changed_in_a_locked_week(transactional_db):
    from datetime import date

    from timetracking.models import TimesheetPeriod

    manager = UserFactory()
    employee = UserFactory(manager=manager)
    for attempt in range(3):
        monday = date(2026, 1, 5) + timedelta(weeks=attempt)
        period = services.period_submit(user=employee, day=monday)
        start = utc(monday.year, monday.month, monday.day + 1, 8)
        results = run_at_once(
            lambda period=period: services.period_approve(actor=manager, period=period),
            lambda start=start: services.entry_create(user=employee, started_at=start, duration="1h"),
        )
        period.refresh_from_db()
        assert period.status == TimesheetPeriod.Status.APPROVED
        created = [result for result in results if isinstance(result, TimeEntry)]
        refused = [result for result in results if isinstance(result, services.PeriodLocked)]
        # Either the entry came first (then the week was approved with it) or it was refused.
        assert len(created) + len(refused) == 1
        assert TimeEntry.objects.filter(user=employee, started_at=start).count() == len(created)
