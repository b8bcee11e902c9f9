"""Two deciders at once: exactly one decision wins, the other gets 409 (row lock). With real
concurrent connections, so PostgreSQL only."""

import threading
from datetime import date

import pytest
from django.db import connection

from leave import services
from leave.models import EntryKind, LeaveRequest, LeaveStatus, LedgerEntry
from leave.tests.factories import give_allowance

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def run_at_once(*calls):
    """Run each call in its own thread and connection, released together; return outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", call())
        except services.LeaveError as error:
            outcomes[index] = (type(error).__name__, error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_deciders_at_once_exactly_one_wins(employee, manager, hr, vacation):
    give_allowance(employee, vacation, year=2030)
    request = services.leave_request_submit(
        user=employee, leave_type=vacation, start_date=date(2030, 7, 1), end_date=date(2030, 7, 5)
    )
    outcomes = run_at_once(
        lambda: services.leave_request_approve(leave_request_id=request.pk, actor=manager),
        lambda: services.leave_request_reject(leave_request_id=request.pk, actor=hr, note="No"),
    )
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["LeaveConflict", "ok"], outcomes
    request.refresh_from_db()
    assert request.status in (LeaveStatus.APPROVED, LeaveStatus.REJECTED)
    booked = LedgerEntry.objects.filter(request=request, kind=EntryKind.USAGE).count()
    assert booked == (1 if request.status == LeaveStatus.APPROVED else 0)


def test_two_approvers_of_the_same_request_book_once(employee, manager, hr, vacation):
    give_allowance(employee, vacation, year=2030)
    request = services.leave_request_submit(
        user=employee, leave_type=vacation, start_date=date(2030, 7, 1), end_date=date(2030, 7, 5)
    )
    outcomes = run_at_once(
        lambda: services.leave_request_approve(leave_request_id=request.pk, actor=manager),
        lambda: services.leave_request_approve(leave_request_id=request.pk, actor=hr),
    )
    assert sorted(kind for kind, _ in outcomes) == ["LeaveConflict", "ok"], outcomes
    assert LedgerEntry.objects.filter(request=request, kind=EntryKind.USAGE).count() == 1


def test_two_overlapping_submissions_at_once_one_is_refused(employee, vacation):
    give_allowance(employee, vacation, year=2030)

    def submit():
        return services.leave_request_submit(
            user=employee, leave_type=vacation, start_date=date(2030, 7, 1), end_date=date(2030, 7, 5)
        )

    outcomes = run_at_once(submit, submit)
    assert sorted(kind for kind, _ in outcomes) == ["LeaveConflict", "ok"], outcomes
    assert LeaveRequest.objects.count() == 1


def test_the_database_refuses_overlapping_rows(employee, vacation):
    from django.db import IntegrityError

    from leave.tests.factories import LeaveRequestFactory

    LeaveRequestFactory(user=employee, leave_type=vacation, start_date=date(2030, 7, 1), end_date=date(2030, 7, 5))
    with pytest.raises(IntegrityError):
        LeaveRequestFactory(user=employee, leave_type=vacation, start_date=date(2030, 7, 5), end_date=date(2030, 7, 8))
