"""Demo data for `manage.py seed_demo`: clients, projects, tasks, tags and about four weeks of
realistic entries for every demo user, in their own time zone; a working-time violation (alice
worked a long Saturday without a break), a submitted week (alice, last week) and an approved,
locked week (bob, the week before). Idempotent: catalog rows are looked up by name, a day that
already has entries for a user is left alone, and a week that already has a status keeps it."""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

import holidays
from django.apps import apps
from django.utils import timezone

from core.days import week_start
from timetracking import services
from timetracking.models import Client, Project, Tag, Task, TimeEntry, TimesheetPeriod, local_day_bounds

WEEKS = 4

CLIENTS = ["Acme Corp", "Globex", "Sprocket Corp"]
# (client, name, code, color, billable, budget hours, member usernames or None, active, tasks)
PROJECTS = [
    ("Acme Corp", "Website relaunch", "ACME-WEB", "#2563eb", True, "400", None, True,
     ["Design", "Frontend", "Backend", "Content"]),
    ("Globex", "Mobile app", "GLX-APP", "#16a34a", True, "600", ["alice", "bob", "manager"], True,
     ["iOS", "Android", "API"]),
    ("Sprocket Corp", "Factory dashboard", "SPR-DASH", "#ea580c", True, None, None, True,
     ["Charts", "Data import"]),
    (None, "Internal", "INT", "#6b7280", False, None, None, True,
     ["Meetings", "Hiring", "Training", "Administration"]),
    ("Acme Corp", "Legacy intranet", "ACME-OLD", "#9ca3af", True, None, None, False, ["Maintenance"]),
]  # fmt: skip
TAGS = ["meeting", "review", "development", "support", "planning", "bugfix"]
DESCRIPTIONS = {
    "Design": ["Wireframes for the landing page", "Design review with the client"],
    "Frontend": ["Navigation component", "Accessibility fixes", "Responsive layout"],
    "Backend": ["Search endpoint", "Fix slow product query", "Payment webhook"],
    "Content": ["Migrate blog posts", "Proofread product pages"],
    "iOS": ["Login screen", "Push notifications", "Crash on resume"],
    "Android": ["Offline mode", "Play Store release"],
    "API": ["Pagination for orders", "Rate limiting"],
    "Charts": ["Goal vs actual chart", "Hourly buckets"],
    "Data import": ["CSV import of production data", "Import validation"],
    "Meetings": ["Weekly team meeting", "1:1", "Sprint planning"],
    "Hiring": ["Interview", "Review applications"],
    "Training": ["Django workshop", "Security training"],
    "Administration": ["Expenses", "Timesheet cleanup"],
}
TAGS_FOR_TASK = {
    "Meetings": ["meeting"],
    "Design": ["review"],
    "Backend": ["development"],
    "Frontend": ["development"],
    "iOS": ["development"],
    "Android": ["development", "bugfix"],
    "API": ["development"],
    "Charts": ["development"],
    "Data import": ["support"],
}


def _seed_catalog(stdout, users):
    clients = {}
    for name in CLIENTS:
        clients[name], created = Client.objects.get_or_create(name=name)
        stdout.write(f"  client  {name:<20} {'created' if created else 'exists'}")
    projects = []
    for client, name, code, color, billable, budget, members, active, tasks in PROJECTS:
        project, created = Project.objects.get_or_create(
            code=code,
            defaults={
                "client": clients.get(client),
                "name": name,
                "color": color,
                "billable": billable,
                "budget_hours": Decimal(budget) if budget else None,
                "active": active,
            },
        )
        if created and members:
            project.members.set([users[username] for username in members])
        for task_name in tasks:
            Task.objects.get_or_create(project=project, name=task_name)
        projects.append(project)
        stdout.write(f"  project {name:<20} {'created' if created else 'exists'}")
    for name in TAGS:
        Tag.objects.get_or_create(name=name)
    return projects


def _day_plan(rng, day, tzinfo):
    """(start, end) local intervals for one working day: a morning and an afternoon with breaks."""
    start = datetime.combine(day, time(8, rng.choice([0, 15, 30, 45])), tzinfo=tzinfo)
    intervals = []
    for block_minutes in (rng.choice([120, 150, 180]), rng.choice([60, 90])):
        end = start + timedelta(minutes=block_minutes)
        intervals.append((start, end))
        start = end + timedelta(minutes=rng.choice([0, 5, 15]))
    start += timedelta(minutes=rng.choice([30, 45, 60]))  # lunch
    for block_minutes in (rng.choice([120, 150]), rng.choice([60, 90, 120])):
        end = start + timedelta(minutes=block_minutes)
        intervals.append((start, end))
        start = end + timedelta(minutes=rng.choice([0, 10]))
    return intervals


def _leave_days(user, first_day, last_day):
    """Days of the user's pending/approved leave, if the leave app has seeded any (no time is logged then)."""
    try:
        leave_request = apps.get_model("leave", "LeaveRequest")
    except LookupError:
        return set()
    days = set()
    for request in leave_request.objects.filter(user=user).active().overlapping(first_day, last_day):
        day = request.start_date
        while day <= request.end_date:
            days.add(day)
            day += timedelta(days=1)
    return days


def _seed_entries(stdout, user, projects):
    rng = random.Random(f"timetracking-demo-{user.username}")
    loggable = [project for project in projects if project.active]
    tasks = {project.pk: list(project.tasks.filter(active=True)) for project in loggable}
    allowed = set(Project.objects.loggable_by(user).values_list("pk", flat=True))
    loggable = [project for project in loggable if project.pk in allowed]
    tags = {tag.name: tag for tag in Tag.objects.all()}
    tzinfo = user.tzinfo
    today = timezone.localdate(timezone=tzinfo)
    first_day = week_start(today) - timedelta(days=7 * (WEEKS - 1))
    busy_days = {
        timezone.localtime(started_at, tzinfo).date()
        for started_at in TimeEntry.objects.for_user(user).values_list("started_at", flat=True)
    }
    locked_days = {
        week_start + timedelta(days=offset)
        for week_start in TimesheetPeriod.objects.filter(user=user).locked().values_list("week_start", flat=True)
        for offset in range(7)
    }
    skipped = busy_days | locked_days | _leave_days(user, first_day, today)
    public_holidays = holidays.country_holidays(
        user.country, subdiv=user.subdivision or None, years={first_day.year, today.year}
    )
    created = 0
    day = first_day
    while day < today:
        if day.isoweekday() in user.workdays and day not in skipped and day not in public_holidays:
            for start, end in _day_plan(rng, day, tzinfo):
                project = rng.choice(loggable)
                task = rng.choice(tasks[project.pk]) if tasks[project.pk] else None
                description = rng.choice(DESCRIPTIONS.get(task.name if task else "", ["Work"]))
                services.entry_create(
                    user=user,
                    started_at=start,
                    ended_at=end,
                    project=project,
                    task=task,
                    description=description,
                    tags=[tags[name] for name in TAGS_FOR_TASK.get(task.name if task else "", []) if name in tags],
                )
                created += 1
        day += timedelta(days=1)
    stdout.write(f"  entries {user.username:<20} {created} created")


def _monday_weeks_ago(user, weeks):
    today = timezone.localdate(timezone=user.tzinfo)
    return week_start(today) - timedelta(days=7 * weeks)


def _seed_long_saturday(stdout, user, project):
    """11.5 hours without a break on last week's Saturday: over the daily maximum, no break."""
    saturday = _monday_weeks_ago(user, 1) + timedelta(days=5)
    start, end = local_day_bounds(saturday, saturday, user.tzinfo)
    if TimeEntry.objects.for_user(user).in_range(start, end).exists():
        stdout.write(f"  compliance {user.username:<17} long Saturday exists")
        return
    started_at = datetime.combine(saturday, time(7, 0), tzinfo=user.tzinfo)
    services.entry_create(
        user=user,
        started_at=started_at,
        ended_at=started_at + timedelta(hours=11, minutes=30),
        project=project,
        description="Go-live weekend",
        check_compliance=False,  # the point is to record it, even when the setting blocks violations
    )
    stdout.write(f"  compliance {user.username:<17} long Saturday {saturday} created (daily maximum, breaks)")


def _seed_periods(stdout, users):
    alice, bob, manager = users["alice"], users["bob"], users["manager"]
    submitted_week = _monday_weeks_ago(alice, 1)
    if not TimesheetPeriod.objects.filter(user=alice, week_start=submitted_week).exists():
        services.period_submit(user=alice, day=submitted_week)
    stdout.write(f"  period  {alice.username:<20} week of {submitted_week} submitted")
    approved_week = _monday_weeks_ago(bob, 2)
    if not TimesheetPeriod.objects.filter(user=bob, week_start=approved_week).exists():
        period = services.period_submit(user=bob, day=approved_week)
        services.period_approve(actor=manager if bob.manager_id == manager.pk else users["hr"], period=period)
    stdout.write(f"  period  {bob.username:<20} week of {approved_week} approved (locked)")


def seed(stdout, users):
    projects = _seed_catalog(stdout, users)
    for username in ("alice", "bob", "carol", "manager", "hr"):
        _seed_entries(stdout, users[username], projects)
    internal = next(project for project in projects if project.code == "INT")
    _seed_long_saturday(stdout, users["alice"], internal)
    _seed_periods(stdout, users)
