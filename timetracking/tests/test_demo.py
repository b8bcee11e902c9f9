"""`manage.py seed_demo`: a few weeks of entries for every demo user, and nothing twice."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from timetracking import services
from timetracking.models import Client, Project, Tag, Task, TimeEntry
from timetracking.tests.conftest import NOW

pytestmark = pytest.mark.django_db


def test_seed_demo_is_realistic_and_idempotent(frozen):
    call_command("seed_demo", stdout=StringIO())
    counts = [model.objects.count() for model in (Client, Project, Task, Tag, TimeEntry)]
    for username in ("alice", "bob", "carol", "manager", "hr"):
        user = User.objects.get(username=username)
        entries = TimeEntry.objects.for_user(user)
        assert entries.count() >= 40, username
        assert entries.filter(project__isnull=False).count() == entries.count()
        assert not entries.running().exists()
    # carol is not a member of the member-only project
    carol = User.objects.get(username="carol")
    assert not TimeEntry.objects.for_user(carol).filter(project__code="GLX-APP").exists()
    # nothing logged on archived projects, nothing in the future
    assert not TimeEntry.objects.filter(project__active=False).exists()
    assert not TimeEntry.objects.filter(ended_at__gt=NOW).exists()

    output = StringIO()
    call_command("seed_demo", stdout=output)
    assert [model.objects.count() for model in (Client, Project, Task, Tag, TimeEntry)] == counts
    assert "0 created" in output.getvalue()
    # The demo leaves the timer free for a first run.
    alice = User.objects.get(username="alice")
    assert services.timer_start(user=alice).is_running


def test_seed_demo_shows_a_violation_a_submitted_and_an_approved_week(frozen):
    from datetime import date

    from timetracking import compliance
    from timetracking.models import TimesheetPeriod

    call_command("seed_demo", stdout=StringIO())
    alice, bob = User.objects.get(username="alice"), User.objects.get(username="bob")
    violations = compliance.violations_for([alice], date(2026, 3, 2), date(2026, 3, 8))
    # The long Saturday (other apps' demo data may add more work around it).
    assert (compliance.Rule.DAILY_HOURS, date(2026, 3, 7)) in {(v.rule, v.period_start) for v in violations}
    submitted = TimesheetPeriod.objects.get(user=alice)
    assert (submitted.status, submitted.week_start) == ("submitted", date(2026, 3, 2))
    approved = TimesheetPeriod.objects.get(user=bob)
    assert (approved.status, approved.week_start) == ("approved", date(2026, 2, 23))
    assert approved.decided_by.username == "manager"
    counts = (TimeEntry.objects.count(), TimesheetPeriod.objects.count())
    output = StringIO()
    call_command("seed_demo", stdout=output)
    assert (TimeEntry.objects.count(), TimesheetPeriod.objects.count()) == counts
    assert "long Saturday exists" in output.getvalue()
