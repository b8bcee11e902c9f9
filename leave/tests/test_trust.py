"""Leave transitions leave an audit event and a webhook outbox event, in the same
transaction; and the issue's races at scale: 20 deciders on one request, 20 one-day
requests against a 5-day balance (PostgreSQL, real threads and connections)."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import AuditEvent
from leave import services
from leave.models import EntryKind, LeaveStatus, LedgerEntry
from leave.tests.factories import give_allowance
from webhooks.models import OutboxEvent


def events_for(request):
    audit = list(
        AuditEvent.objects.filter(object_type="leave.leaverequest", object_id=str(request.pk)).values_list(
            "action", flat=True
        )
    )
    outbox = list(OutboxEvent.objects.filter(payload__id=request.pk).values_list("event_type", flat=True))
    return sorted(audit), sorted(outbox)


@pytest.mark.django_db
class TestAuditAndOutbox:
    def submit(self, employee, vacation):
        give_allowance(employee, vacation, year=2030)
        return services.leave_request_submit(
            user=employee, leave_type=vacation, start_date=date(2030, 7, 1), end_date=date(2030, 7, 2)
        )

    def test_submit_and_approve(self, employee, manager, vacation):
        request = self.submit(employee, vacation)
        services.leave_request_approve(leave_request_id=request.pk, actor=manager)
        audit, outbox = events_for(request)
        assert audit == ["leave_request.approved", "leave_request.submitted"]
        assert outbox == audit
        approved = AuditEvent.objects.get(action="leave_request.approved")
        assert approved.actor == manager
        assert approved.changes == {"status": ["pending", "approved"]}

    def test_reject_and_cancel(self, employee, manager, vacation):
        request = self.submit(employee, vacation)
        services.leave_request_reject(leave_request_id=request.pk, actor=manager, note="Busy week")
        assert events_for(request)[0] == ["leave_request.rejected", "leave_request.submitted"]
        other = services.leave_request_submit(
            user=employee, leave_type=vacation, start_date=date(2030, 8, 1), end_date=date(2030, 8, 1)
        )
        services.leave_request_cancel(leave_request_id=other.pk, actor=employee)
        assert events_for(other)[1] == ["leave_request.cancelled", "leave_request.submitted"]

    def test_a_refused_decision_writes_no_event(self, employee, manager, vacation):
        request = self.submit(employee, vacation)
        with pytest.raises(services.LeaveError):
            services.leave_request_approve(leave_request_id=request.pk, actor=employee)  # own request
        assert events_for(request) == (["leave_request.submitted"], ["leave_request.submitted"])

    def test_ledger_adjustment_is_audited(self, employee, hr, vacation):
        services.ledger_adjust(
            user=employee, leave_type=vacation, year=2030, amount=Decimal("2"), reason="Bonus", actor=hr
        )
        event = AuditEvent.objects.get(action="leave_ledger.adjusted")
        assert event.actor == hr and event.changes["reason"] == [None, "Bonus"]


def run_at_once(calls):
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = ("ok", call())
        except services.LeaveError as error:
            outcomes[index] = (type(error).__name__, str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_decisions_exactly_one_success_and_one_audit_row(employee, manager, hr, vacation):
    give_allowance(employee, vacation, year=2030)
    request = services.leave_request_submit(
        user=employee, leave_type=vacation, start_date=date(2030, 7, 1), end_date=date(2030, 7, 3)
    )
    deciders = [manager, hr] * 10
    outcomes = run_at_once(
        [
            lambda actor=actor: services.leave_request_approve(leave_request_id=request.pk, actor=actor)
            for actor in deciders
        ]
    )
    kinds = [kind for kind, _ in outcomes]
    assert kinds.count("ok") == 1
    assert kinds.count("LeaveConflict") == 19, outcomes
    assert AuditEvent.objects.filter(action="leave_request.approved", object_id=str(request.pk)).count() == 1
    assert LedgerEntry.objects.filter(request=request, kind=EntryKind.USAGE).count() == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_five_day_balance_and_twenty_concurrent_one_day_approvals(employee, manager, vacation):
    # Twenty one-day requests on twenty working days are submitted while the balance is
    # 20 (submission checks the *available* balance), then an adjustment leaves 5.
    give_allowance(employee, vacation, amount="20", year=2030)
    requests, day = [], date(2030, 3, 4)
    while len(requests) < 20:
        if day.isoweekday() <= 5:
            requests.append(
                services.leave_request_submit(user=employee, leave_type=vacation, start_date=day, end_date=day)
            )
        day = date.fromordinal(day.toordinal() + 1)
    services.ledger_adjust(user=employee, leave_type=vacation, year=2030, amount=Decimal("-15"), reason="Test: 5 left")
    outcomes = run_at_once(
        [lambda r=r: services.leave_request_approve(leave_request_id=r.pk, actor=manager) for r in requests]
    )
    assert [kind for kind, _ in outcomes].count("ok") == 5, outcomes
    balance = services.balances_for(user=employee, year=2030, leave_types=[vacation])[0]
    assert balance.balance == 0
    assert LeaveStatus.APPROVED in {r.status for r in type(requests[0]).objects.filter(pk__in=[r.pk for r in requests])}
