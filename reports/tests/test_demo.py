import io

import pytest
from django.core.management import call_command

from reports import overtime
from reports.demo import DESCRIPTION
from timetracking.models import TimeEntry


@pytest.mark.django_db
def test_seed_demo_twice_creates_the_evenings_once_and_gives_alice_a_positive_balance():
    call_command("seed_demo", stdout=io.StringIO())
    evenings = TimeEntry.objects.filter(description=DESCRIPTION).count()
    assert evenings > 0
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert TimeEntry.objects.filter(description=DESCRIPTION).count() == evenings
    assert "overtime evenings alice    0 created" in out.getvalue()

    from accounts.models import User

    alice = User.objects.get(username="alice")
    today = overtime.today_for(alice)
    report = overtime.overtime_report(alice, today, today, period="day")
    assert report["closing_balance_hours"] != 0
