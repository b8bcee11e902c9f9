"""`manage.py seed_demo` as a whole: the picture it gives on any day (frozen on a Tuesday, on a
Monday after the change to summer time, on the 1st of a month, on the day after a public holiday
of all three demo countries, on the first Monday of a year and on a Saturday), and that a second run creates
nothing, the same day or the next."""

from collections import defaultdict
from datetime import time, timedelta
from io import StringIO
from itertools import pairwise

import holidays
import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AuditEvent, User
from core.days import week_start
from leave import calendars
from leave import dashboard as leave_dashboard
from leave.models import LeaveRequest, LeaveStatus, LedgerEntry
from reports import overtime
from timetracking import compliance, services
from timetracking import dashboard as timetracking_dashboard
from timetracking.demo import DELIBERATE, PROFILES, TIMER, TIMER_MINUTES_AGO, first_day_for
from timetracking.models import Project, Task, TimeEntry, TimesheetPeriod
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db

MOMENTS = {
    "tuesday": "2026-03-10 12:00:00+00:00",
    "monday after the change to summer time": "2026-03-30 08:00:00+00:00",  # 01:00 on Sunday in Los Angeles
    "first of a month": "2026-10-01 15:00:00+00:00",
    "day after a public holiday": "2026-05-26 13:00:00+00:00",  # Whit Monday, spring bank holiday, Memorial Day
    "first monday of a year": "2027-01-04 10:00:00+00:00",
    "saturday": "2026-03-14 10:00:00+00:00",  # alice's timer runs on a Saturday: nobody else works
}
USERNAMES = ["alice", "bob", "carol", "manager", "hr"]
EXPECTED_VIOLATIONS = {(violation.username, violation.rule) for violation in DELIBERATE}
# alice's missing lunch break, bob's long release day, carol's short night after a hotfix
PLANNED = {("alice", "breaks"), ("bob", "daily_hours"), ("carol", "daily_rest")}
assert PLANNED == EXPECTED_VIOLATIONS


def seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def demo_users():
    return {user.username: user for user in User.objects.filter(username__in=USERNAMES)}


def counts():
    models = (User, Project, Task, TimeEntry, TimesheetPeriod, LeaveRequest, LedgerEntry, AuditEvent, OutboxEvent)
    return {model.__name__: model.objects.count() for model in models}


def local_days(user):
    """{local day: [entries, by start]} of the user's finished entries."""
    days = defaultdict(list)
    for entry in TimeEntry.objects.for_user(user).finished().order_by("started_at"):
        days[timezone.localtime(entry.started_at, user.tzinfo).date()].append(entry)
    return days


def deliberate_days(user):
    markers = {violation.marker for violation in DELIBERATE if violation.username == user.username}
    return {
        timezone.localtime(entry.started_at, user.tzinfo).date()
        for entry in TimeEntry.objects.for_user(user).filter(description__in=markers)
    }


def assert_the_demo_picture(users, now, *, partial_from=None):
    """What the demo shows at `now`; days from `partial_from` on (an earlier seed's today, whose
    work stopped at that seed) are not checked as full days."""
    # Exactly the deliberate violations, each in its person's dashboard window (this week and last).
    found = set()
    for username, user in users.items():
        today = timezone.localdate(now, timezone=user.tzinfo)
        for violation in compliance.violations_for([user], first_day_for(user) - timedelta(days=7), today):
            found.add((username, violation.rule))
            assert violation.period_end >= week_start(today) - timedelta(days=7), violation
    assert found == EXPECTED_VIOLATIONS

    # One running timer: alice's, started 40 minutes ago, on a project, a task, with a description.
    running = list(TimeEntry.objects.running().select_related("user", "project", "task"))
    assert [entry.user.username for entry in running] == ["alice"]
    timer = running[0]
    assert timer.started_at == now - timedelta(minutes=TIMER_MINUTES_AGO)
    assert (timer.project.code, timer.task.name, timer.description) == (TIMER.project, TIMER.task, TIMER.description)

    for username, user in users.items():
        today = timezone.localdate(now, timezone=user.tzinfo)
        days = local_days(user)
        entries = [entry for day_entries in days.values() for entry in day_entries]
        # No overlaps (the running timer starts after every finished entry of alice).
        for earlier, later in pairwise(entries):
            assert earlier.ended_at <= later.started_at, (username, earlier.started_at, later.started_at)
        if username == "alice":
            assert entries[-1].ended_at <= timer.started_at
        assert all(entry.ended_at <= now for entry in entries)
        assert min(days) >= first_day_for(user)

        # Working days only: no weekend, public holiday or day of approved full-day leave.
        public = holidays.country_holidays(user.country, subdiv=user.subdivision, years={min(days).year, today.year})
        expected = overtime.expected_by_day(user, min(days), today)
        contract_day = overtime.contract_hours_per_day(user)
        for day in days:
            assert day.isoweekday() in user.workdays, (username, day)
            assert day not in public, (username, day, public.get(day))
            assert expected[day] > 0, (username, day)

        # Full past days: starting between 07:30 and 09:30, 7 to 9 hours, a lunch break.
        special = deliberate_days(user)
        if username == "carol":
            special |= {day + timedelta(days=1) for day in special}  # the 07:30 start after the hotfix
        first_partial = timezone.localdate(partial_from or now, timezone=user.tzinfo)
        for day, day_entries in days.items():
            if day >= first_partial or day in special or expected[day] != contract_day:
                continue
            first_start = timezone.localtime(day_entries[0].started_at, user.tzinfo).time()
            assert time(7, 30) <= first_start <= time(9, 30), (username, day, first_start)
            worked = sum((entry.ended_at - entry.started_at for entry in day_entries), timedelta())
            assert timedelta(hours=7) <= worked <= timedelta(hours=9), (username, day, worked)
            gaps = [later.started_at - earlier.ended_at for earlier, later in pairwise(day_entries)]
            assert max(gaps) >= timedelta(minutes=30), (username, day)

        # Every full week near the contract: within 4:30 h of what the reports expect (holidays,
        # closures and approved leave taken off), and within 2 h on average.
        this_monday = week_start(today)
        actual = overtime.actual_seconds_by_day(user, min(days), today)
        differences = []
        monday = week_start(min(days))
        while monday < this_monday:
            week = [monday + timedelta(days=offset) for offset in range(7)]
            worked_hours = sum(actual.get(day, 0) for day in week) / 3600
            expected_hours = float(sum(expected.get(day, 0) for day in week))
            assert abs(worked_hours - expected_hours) <= 4.5, (username, monday, worked_hours, expected_hours)
            differences.append(worked_hours - expected_hours)
            monday += timedelta(days=7)
        assert len(differences) >= 4
        assert abs(sum(differences) / len(differences)) <= 2, (username, differences)

        # Realistic combinations: "recent entries" has ten distinct ones to offer (HR's job is narrower).
        latest = TimeEntry.objects.for_user(user).order_by("-started_at")[:60]
        combinations = {(entry.project_id, entry.task_id, entry.description) for entry in latest}
        assert len(combinations) >= (8 if username == "hr" else 10), (username, len(combinations))
        assert all(entry.task_id and entry.project_id for entry in entries)
    assert not TimeEntry.objects.filter(project__active=False).exists()
    assert not TimeEntry.objects.filter(user__username="carol", project__code="GLX-APP").exists()

    # Weeks: alice's three weeks ago approved by the manager; bob's and carol's last week waiting.
    manager = users["manager"]
    approved = TimesheetPeriod.objects.get(user=users["alice"], status=TimesheetPeriod.Status.APPROVED)
    assert approved.week_start == week_start(timezone.localdate(now, timezone=users["alice"].tzinfo)) - timedelta(
        days=21
    )
    assert approved.decided_by == manager
    waiting = TimesheetPeriod.objects.awaiting_decision_by(manager)
    assert sorted(waiting.values_list("user__username", flat=True)) == ["bob", "carol"]
    for period in waiting:
        today = timezone.localdate(now, timezone=period.user.tzinfo)
        assert period.week_start == week_start(today) - timedelta(days=7)

    # Leave: two or more requests of two reports waiting for the manager; approved leave in the
    # past and the future; a sick day; a few absences in the team calendar of this month.
    pending = LeaveRequest.objects.pending().decidable_by(manager)
    assert pending.count() >= 2
    assert len(set(pending.values_list("user__username", flat=True))) >= 2
    alice_today = timezone.localdate(now, timezone=users["alice"].tzinfo)
    approved_leave = LeaveRequest.objects.filter(user=users["alice"], status=LeaveStatus.APPROVED)
    assert approved_leave.filter(end_date__lt=alice_today).exists()
    assert approved_leave.filter(start_date__gt=alice_today).exists()
    sick = LeaveRequest.objects.get(leave_type__code="sick")
    assert sick.status == LeaveStatus.APPROVED and sick.end_date < alice_today
    month_start = alice_today.replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    _members, absences = calendars.team_calendar(manager, month_start, month_end)
    assert len(absences) >= 2, absences


@pytest.mark.parametrize("moment", MOMENTS.values(), ids=MOMENTS.keys())
def test_seed_demo_shows_a_good_month_on_any_day_and_creates_nothing_the_second_time(moment):
    with time_machine.travel(moment, tick=False):
        now = timezone.now()
        output = seed()
        users = demo_users()
        assert_the_demo_picture(users, now)
        # The summary names the deliberate violations and why they are there, and nothing unplanned.
        assert "3 working-time violation(s) in the demo, on purpose" in output
        assert "NOT PLANNED" not in output
        for violation in DELIBERATE:
            assert violation.why in output

        before = counts()
        again = seed()
        assert counts() == before
        assert "0 created on 0 days" in again
        assert "created (" not in again  # no leave request either


def test_seed_demo_the_next_day_adds_that_day_only_and_restarts_the_timer():
    with time_machine.travel(MOMENTS["tuesday"], tick=False) as traveller:
        first = timezone.now()
        seed()
        users = demo_users()
        before = {username: local_days(user) for username, user in users.items()}
        old_timer = TimeEntry.objects.running().get()
        traveller.move_to("2026-03-11 12:00:00+00:00")  # Wednesday
        now = timezone.now()
        seed()
        old_timer.refresh_from_db()
        assert old_timer.ended_at == old_timer.started_at + timedelta(minutes=TIMER_MINUTES_AGO)
        assert_the_demo_picture(users, now, partial_from=first)
        for username, user in users.items():
            today = timezone.localdate(now, timezone=user.tzinfo)
            first_today = timezone.localdate(first, timezone=user.tzinfo)
            after = {day: [entry.pk for entry in entries] for day, entries in local_days(user).items()}
            old_days = {day: [entry.pk for entry in entries] for day, entries in before[username].items()}
            if username == "alice":  # the stopped timer joined its day
                old_days[timezone.localtime(old_timer.started_at, user.tzinfo).date()].append(old_timer.pk)
            # A day that had entries is left alone; only days since the first seed's today are new
            # (carol's Tuesday had not begun at 05:00 in Los Angeles).
            assert {day: pks for day, pks in after.items() if day in old_days} == old_days
            assert {day for day in after if day not in old_days} <= {first_today, today}
            # 13:00 in Berlin, 12:00 in London: a morning's work; 05:00 in Los Angeles: nothing yet.
            assert (today in after) == (username != "carol"), username


def test_seed_demo_keeps_a_timer_someone_started_and_plans_around_it():
    with time_machine.travel(MOMENTS["tuesday"], tick=False):
        alice = User.objects.create_user(
            "alice", password="x", timezone="Europe/Berlin", country="DE", subdivision="BY"
        )  # created first: the demo keeps what exists
        own = services.timer_start(user=alice, started_at=timezone.now() - timedelta(hours=2), description="My own")
        output = seed()
        assert TimeEntry.objects.running().get() == own
        assert "timer   alice    running since" in output
        assert not TimeEntry.objects.for_user(alice).finished().filter(ended_at__gt=own.started_at).exists()


def test_the_profiles_only_use_projects_their_person_may_log_to():
    with time_machine.travel(MOMENTS["tuesday"], tick=False):
        seed()
        for username, profile in PROFILES.items():
            user = User.objects.get(username=username)
            allowed = set(Project.objects.loggable_by(user).values_list("code", flat=True))
            used = {activity.project for activity in profile.work} | {ritual[1].project for ritual in profile.rituals}
            assert used <= allowed, (username, used - allowed)


def test_the_dashboards_show_one_warning_each_and_the_managers_queue(rf):
    """What the dashboard panels compute for each demo user (this week and last): alice, bob and
    carol one warning each, not nine; the manager two weeks and two requests to decide."""
    with time_machine.travel(MOMENTS["tuesday"], tick=False):
        seed()
        panels = {}
        for username, user in demo_users().items():
            request = rf.get("/")
            request.user = user
            panels[username] = (timetracking_dashboard.widget(request), leave_dashboard.widget(request))
        warnings = {
            username: [violation.rule for violation in time_panel["context"]["violations"]]
            for username, (time_panel, _leave_panel) in panels.items()
        }
        assert warnings == {
            "alice": ["breaks"],
            "bob": ["daily_hours"],
            "carol": ["daily_rest"],
            "manager": [],
            "hr": [],
        }
        time_panel, leave_panel = panels["manager"]
        assert time_panel["context"]["waiting_count"] == 2
        assert leave_panel["context"]["to_decide"] == 2
        alice_time, _ = panels["alice"]
        assert alice_time["context"]["today_entries"]  # 13:00 in Berlin: the morning is logged, the timer runs
        assert alice_time["context"]["today_entries"][-1].ended_at is None
