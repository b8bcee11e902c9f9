"""seed_demo's reports summary: each person's weeks as the reports count them, from days that aim
at the contract (no late evenings any more: they broke the daily rest nine times)."""

import io
import re

import pytest
from django.core.management import call_command

from accounts.models import User
from reports import overtime

pytestmark = pytest.mark.django_db


def test_seed_demo_prints_each_persons_weeks_and_gives_alice_a_positive_balance(frozen):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    for username in ("alice", "bob", "carol", "manager", "hr"):
        line = next(line for line in text.splitlines() if line.startswith(f"  hours {username:<8}"))
        weeks = re.findall(r"(\d+\.\d)/(\d+\.\d)", line)
        assert len(weeks) == 5, line  # four full weeks before this one, this one so far
        for worked, expected in weeks[:-1]:
            assert abs(float(worked) - float(expected)) <= 4.5, line
    assert "hours hr       16 Feb 32." in text  # HR works 32 hours over four days

    alice = User.objects.get(username="alice")
    today = overtime.today_for(alice)
    report = overtime.overtime_report(alice, today, today, period="day")
    assert report["closing_balance_hours"] > 0  # alice works a little more than her contract
