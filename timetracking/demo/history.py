"""The demo's writes, all through the services: the catalog, each user's history of entries, alice's
timer and the weeks submitted or approved."""

from datetime import time, timedelta
from decimal import Decimal

from django.utils import timezone

from core.days import week_start
from timetracking import services
from timetracking.demo.days import (
    Block,
    day_plan,
    days_off_of,
    deliberate_days,
    deliberate_plan,
    first_day_for,
    public_holidays_of,
)
from timetracking.demo.people import CLIENTS, DELIBERATE_BY_USER, PROFILES, PROJECTS, TAGS, TIMER, TIMER_MINUTES_AGO
from timetracking.models import Client, Project, Tag, Task, TimeEntry, TimesheetPeriod, local_day_bounds

# --- Catalog ------------------------------------------------------------------------------------


def seed_catalog(stdout, users):
    clients = {}
    for name in CLIENTS:
        clients[name], created = Client.objects.get_or_create(name=name)
        stdout.write(f"  client  {name:<20} {'created' if created else 'exists'}")
    projects = {}
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
        projects[code] = project
        stdout.write(f"  project {name:<20} {'created' if created else 'exists'}")
    for name in TAGS:
        Tag.objects.get_or_create(name=name)
    tasks = {(task.project.code, task.name): task for task in Task.objects.select_related("project")}
    return projects, tasks


# --- Entries ------------------------------------------------------------------------------------


def _row(user, block, projects, tasks, tags):
    activity = block.activity
    return {
        "user": user,
        "started_at": block.started_at,
        "ended_at": block.ended_at,
        "project": projects[activity.project],
        "task": tasks[(activity.project, activity.task)],
        "description": activity.description,
        "tags": [tags[name] for name in activity.tags],
        "source": TimeEntry.Source.MANUAL,
    }


def seed_entries(stdout, user, projects, tasks, tags):
    profile = PROFILES[user.username]
    tzinfo = user.tzinfo
    now = timezone.now()
    today = timezone.localdate(now, timezone=tzinfo)
    first_day = first_day_for(user)
    first_instant, _ = local_day_bounds(first_day, today, tzinfo)
    entries = TimeEntry.objects.for_user(user)
    busy_days = {
        timezone.localtime(started_at, tzinfo).date()
        for started_at in entries.filter(started_at__gte=first_instant).values_list("started_at", flat=True)
    }
    locked_weeks = set(TimesheetPeriod.objects.filter(user=user).locked().values_list("week_start", flat=True))
    public_holidays = public_holidays_of(user, first_day, today)
    days_off = days_off_of(user, first_day, today)
    # Today's work stops at the moment of seeding, or where alice's timer starts.
    running = entries.running().first()
    cutoff = running.started_at if running else now
    if user.username == "alice" and running is None:
        cutoff = now - timedelta(minutes=TIMER_MINUTES_AGO)

    plannable = []
    day = first_day
    while day <= today:
        if (
            day.isoweekday() in user.workdays
            and day not in public_holidays
            and day not in busy_days
            and week_start(day) not in locked_weeks
            and (day not in days_off or days_off[day].fraction < 1)
        ):
            plannable.append(day)
        day += timedelta(days=1)
    candidates = {day for day in plannable if day < today and day not in days_off}
    deliberate = DELIBERATE_BY_USER.get(user.username)
    special = {}
    if deliberate and not entries.filter(description=deliberate.marker, started_at__gte=first_instant).exists():
        special = deliberate_days(user, candidates, today)

    rows, violating = [], []
    for day in plannable:
        kind = special.get(day)
        if kind in ("release", "evening", "workshop"):
            plan = deliberate_plan(user, profile, day, kind)
            violating += [_row(user, block, projects, tasks, tags) for block in plan]
            continue
        first_start = time(7, 30) if kind == "early" else None
        for block in day_plan(user, profile, day, days_off.get(day), first_start=first_start):
            if block.ended_at > cutoff:  # today's block in progress ends at the cutoff, if worth it
                if cutoff - block.started_at >= timedelta(minutes=15):
                    rows.append(_row(user, Block(block.started_at, cutoff, block.activity), projects, tasks, tags))
                break
            rows.append(_row(user, block, projects, tasks, tags))
    created = _create(stdout, user, rows)
    for row in violating:
        services.entry_create(check_compliance=False, **row)
    if violating:
        days = ", ".join(f"{day:%a %d %b}" for day, kind in sorted(special.items()) if kind != "early")
        stdout.write(f"  violation {user.username:<8} {deliberate.rule} on {days} created (on purpose)")
    stdout.write(f"  entries {user.username:<8} {created + len(violating)} created on {len(plannable)} days")


def _create(stdout, user, rows):
    """One entries_bulk_create per person (chunks of BULK_MAX_ROWS); should a row be refused (an
    entry written meanwhile), the others one by one, the refused ones reported."""
    created = 0
    for index in range(0, len(rows), services.BULK_MAX_ROWS):
        chunk = rows[index : index + services.BULK_MAX_ROWS]
        try:
            created += len(services.entries_bulk_create(actor=user, rows=chunk))
        except services.BulkError:
            for row in chunk:
                try:
                    services.entry_create(actor=user, **row)
                    created += 1
                except services.TimeTrackingError as error:
                    stdout.write(f"  entry {user.username} {row['started_at']:%Y-%m-%d %H:%M} skipped: {error.message}")
    return created


def stop_stale_timer(stdout, user):
    """The demo's timer left running from an earlier day (the demo seeded then, and nobody stopped
    it) stops where the demo meant it to: TIMER_MINUTES_AGO after its start. Any other running
    timer is the demo user's own and is kept."""
    running = TimeEntry.objects.for_user(user).running().first()
    if running is None or running.description != TIMER.description:
        return
    today = timezone.localdate(timezone=user.tzinfo)
    if timezone.localtime(running.started_at, user.tzinfo).date() >= today:
        return
    ended_at = running.started_at + timedelta(minutes=TIMER_MINUTES_AGO)
    try:
        services.timer_stop(user=user, ended_at=ended_at)
    except services.TimeTrackingError as error:
        stdout.write(f"  timer   {user.username:<8} left running: {error.message}")
        return
    day = timezone.localtime(ended_at, user.tzinfo).date()
    stdout.write(f"  timer   {user.username:<8} of {day} stopped after {TIMER_MINUTES_AGO} minutes")


def seed_timer(stdout, user, projects, tasks, tags):
    running = TimeEntry.objects.for_user(user).running().first()
    if running is not None:
        since = timezone.localtime(running.started_at, user.tzinfo)
        stdout.write(f"  timer   {user.username:<8} running since {since:%H:%M}")
        return
    started_at = timezone.now() - timedelta(minutes=TIMER_MINUTES_AGO)
    try:
        services.timer_start(
            user=user,
            project=projects[TIMER.project],
            task=tasks[(TIMER.project, TIMER.task)],
            description=TIMER.description,
            tags=[tags[name] for name in TIMER.tags],
            started_at=started_at,
        )
    except services.TimeTrackingError as error:
        stdout.write(f"  timer   {user.username:<8} not started: {error.message}")
        return
    stdout.write(f"  timer   {user.username:<8} started at {timezone.localtime(started_at, user.tzinfo):%H:%M}")


# --- Weeks --------------------------------------------------------------------------------------


def _monday_weeks_ago(user, weeks):
    return week_start(timezone.localdate(timezone=user.tzinfo)) - timedelta(days=7 * weeks)


def seed_periods(stdout, users):
    manager = users["manager"]
    alice = users["alice"]
    approved_week = _monday_weeks_ago(alice, 3)
    if not TimesheetPeriod.objects.filter(user=alice, week_start=approved_week).exists():
        period = services.period_submit(user=alice, day=approved_week)
        services.period_approve(actor=manager, period=period)
    stdout.write(f"  period  {alice.username:<8} week of {approved_week} approved (locked)")
    for username in ("bob", "carol"):
        user = users[username]
        submitted_week = _monday_weeks_ago(user, 1)
        if not TimesheetPeriod.objects.filter(user=user, week_start=submitted_week).exists():
            services.period_submit(user=user, day=submitted_week)
        stdout.write(f"  period  {username:<8} week of {submitted_week} submitted, waiting for {manager.username}")
