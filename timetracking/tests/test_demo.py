"""`manage.py seed_demo`, the time tracking part: a month of entries for every demo user written
through the services, the three deliberate violations on the days planned, alice's timer and the
weeks, and nothing twice. (accounts/tests/test_seed_demo.py checks the whole picture on several days.)"""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AuditEvent, User
from timetracking import compliance, services
from timetracking.demo import DELIBERATE, TIMER_MINUTES_AGO
from timetracking.models import Client, Project, Tag, Task, TimeEntry, TimesheetPeriod
from timetracking.tests.conftest import NOW
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db

CATALOG = (Client, Project, Task, Tag, TimeEntry, TimesheetPeriod)


def test_seed_demo_is_realistic_and_idempotent(frozen):
    call_command("seed_demo", stdout=StringIO())
    counts = [model.objects.count() for model in CATALOG]
    for username in ("alice", "bob", "carol", "manager", "hr"):
        user = User.objects.get(username=username)
        entries = TimeEntry.objects.for_user(user)
        assert entries.finished().count() >= 60, username
        assert entries.filter(project__isnull=False, task__isnull=False).count() == entries.count()
        assert entries.running().exists() == (username == "alice")
    # carol is not a member of the member-only project
    carol = User.objects.get(username="carol")
    assert not TimeEntry.objects.for_user(carol).filter(project__code="GLX-APP").exists()
    # nothing logged on archived projects, nothing in the future
    assert not TimeEntry.objects.filter(project__active=False).exists()
    assert not TimeEntry.objects.filter(ended_at__gt=NOW).exists()
    assert not TimeEntry.objects.filter(started_at__gt=NOW).exists()

    output = StringIO()
    call_command("seed_demo", stdout=output)
    assert [model.objects.count() for model in CATALOG] == counts
    assert "entries alice    0 created on 0 days" in output.getvalue()
    assert "timer   alice    running since 12:20" in output.getvalue()  # 13:00 in Berlin, less 40 minutes
    # The others' timers are free for a first try.
    assert services.timer_start(user=User.objects.get(username="bob")).is_running


def test_every_entry_went_through_the_services(frozen):
    call_command("seed_demo", stdout=StringIO())
    entries = TimeEntry.objects.count()
    # Each entry has its audit event and its webhook event, as a person's own would.
    assert AuditEvent.objects.filter(action="time_entry.created").count() == entries
    assert OutboxEvent.objects.filter(event_type="time_entry.created").count() == entries
    assert AuditEvent.objects.filter(action="period.approved").count() == 1
    assert AuditEvent.objects.filter(action="period.submitted").count() == 3


def test_seed_demo_shows_three_deliberate_violations_a_locked_and_two_submitted_weeks(frozen):
    output = StringIO()
    call_command("seed_demo", stdout=output)
    users = {user.username: user for user in User.objects.all()}
    found = {
        (violation.rule, users_by_pk.username, violation.period_start, violation.period_end)
        for users_by_pk in users.values()
        for violation in compliance.violations_for([users_by_pk], date(2026, 1, 1), date(2026, 3, 10))
    }
    assert found == {
        ("breaks", "alice", date(2026, 3, 4), date(2026, 3, 4)),  # last Wednesday's workshop
        ("daily_hours", "bob", date(2026, 3, 5), date(2026, 3, 5)),  # last Thursday's release
        # carol's latest two working days before her Tuesday (05:00 in Los Angeles): Thursday and Friday
        ("daily_rest", "carol", date(2026, 3, 5), date(2026, 3, 6)),
    }
    text = output.getvalue()
    for violation in DELIBERATE:
        assert f"violation {violation.username:<8} {violation.rule} on " in text
    assert "bob      daily_hours on Thu 05 Mar created (on purpose)" in text

    alice_timer = TimeEntry.objects.running().get()
    assert alice_timer.user == users["alice"]
    assert alice_timer.started_at == NOW - timedelta(minutes=TIMER_MINUTES_AGO)
    assert alice_timer.source == TimeEntry.Source.TIMER

    approved = TimesheetPeriod.objects.get(status="approved")
    assert (approved.user.username, approved.week_start, approved.decided_by.username) == (
        "alice",
        date(2026, 2, 16),
        "manager",
    )
    submitted = TimesheetPeriod.objects.filter(status="submitted").order_by("user__username")
    assert [(period.user.username, period.week_start) for period in submitted] == [
        ("bob", date(2026, 3, 2)),
        ("carol", date(2026, 3, 2)),
    ]
    # The locked week is locked: not even the demo writes into it on a second run.
    with pytest.raises(services.PeriodLocked):
        services.entry_create(
            user=users["alice"],
            started_at=timezone.make_aware(timezone.datetime(2026, 2, 21, 10, 0)),
            duration="1:00",
        )
    counts = (TimeEntry.objects.count(), TimesheetPeriod.objects.count(), AuditEvent.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (TimeEntry.objects.count(), TimesheetPeriod.objects.count(), AuditEvent.objects.count()) == counts


def test_the_deliberate_violations_are_recorded_even_when_violations_block(frozen, settings):
    settings.WORKING_TIME_BLOCK_ON_VIOLATION = True
    call_command("seed_demo", stdout=StringIO())
    for violation in DELIBERATE:
        assert TimeEntry.objects.filter(user__username=violation.username, description=violation.marker).exists()
    # The rest complies, so the blocking review of each person's history let it through.
    assert TimeEntry.objects.filter(user__username="hr").count() >= 60
