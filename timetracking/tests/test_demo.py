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
