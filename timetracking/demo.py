"""Demo data for `manage.py seed_demo`: clients, projects, tasks, tags and a realistic month of time
for every demo user, in their own time zone, up to the moment of seeding.

What it shows, relative to the day it runs (so `make run` on any day gives the same picture):
- Every working day since the Monday four weeks before this week's: public holidays of the user's
  country/region, company closures and their leave (seeded by the leave demo first) are days off;
  a half day of leave is half a day of work. A day starts between 07:30 and 09:30 (each person has
  their habits), has a lunch break and lasts 7 to 9 hours around the contract's day (alice and the
  manager do a little more, carol a little less), built from each person's usual activities: a
  stand-up and the Monday team meeting, the week's focus topic, reviews, support, hiring, ...
  so that "recent entries" offers about ten distinct project/task/description combinations.
- Today up to the moment of seeding, and alice's timer running since 40 minutes before it.
- Weeks: alice's week three weeks ago approved (locked); bob's and carol's last week submitted,
  waiting for the manager.
- Exactly three deliberate working-time violations (DELIBERATE below), in this week or last, so
  each of alice, bob and carol finds one warning on the dashboard and the manager sees two in
  the weeks waiting for approval. Everything else complies with every rule by construction:
  days of at most 9 hours with at least 30 minutes of lunch, ending by 19:30 and starting after
  07:30 (more than 11 hours of rest), free weekends. `summary()` prints every violation found,
  so a surprise shows at once (and the tests assert the exact set).

Every write goes through the services (entries_bulk_create, entry_create, timer_start,
period_submit, period_approve), so the rules, the audit trail and the webhook outbox apply. A
user's history is one entries_bulk_create call: one compliance review per person instead of one
per entry (in block mode it refuses a violating history like any import). The deliberate
violations are written after it with entry_create(check_compliance=False): the point is to
record them even where the settings block violations.

Idempotent: catalog rows are looked up by name or code, a day that already has entries for a user
is left alone (so a later run fills only the days since), a deliberate violation is written once
(its entry's description marks it), a running timer is kept, and a week that has a status keeps it.
Deterministic: each day's plan comes from a random.Random seeded with the user and the date.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

import holidays
from django.apps import apps
from django.utils import timezone

from core.days import week_start
from timetracking import compliance, services
from timetracking.models import Client, Project, Tag, Task, TimeEntry, TimesheetPeriod, local_day_bounds

WEEKS_BACK = 4  # history from the Monday four weeks before this week's: a month and this week
TIMER_MINUTES_AGO = 40

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


@dataclass(frozen=True)
class Activity:
    """One project/task/description/tags combination a person logs again and again."""

    project: str  # the project's code
    task: str
    description: str
    tags: tuple[str, ...] = ()
    weight: int = 1  # how often it is picked for a block of work


def _a(project, task, description, *tags, weight=1):
    return Activity(project, task, description, tags, weight)


STANDUP = _a("INT", "Meetings", "Daily stand-up", "meeting")
TEAM_MEETING = _a("INT", "Meetings", "Weekly team meeting", "meeting", "planning")


@dataclass(frozen=True)
class Profile:
    first_start: tuple[time, time]  # the window the day starts in (each person has their habits)
    bias_minutes: int  # added to the contract's day on average
    rituals: tuple[tuple[int | None, Activity, int], ...]  # (ISO weekday or None for every day, what, minutes)
    work: tuple[Activity, ...]  # the blocks of work in between


PROFILES = {
    "alice": Profile(
        first_start=(time(7, 30), time(8, 30)),
        bias_minutes=15,
        rituals=((None, STANDUP, 15), (1, TEAM_MEETING, 45)),
        work=(
            _a("ACME-WEB", "Frontend", "Navigation component", "development", weight=3),
            _a("ACME-WEB", "Frontend", "Accessibility fixes", "development", "bugfix", weight=3),
            _a("ACME-WEB", "Frontend", "Responsive product pages", "development", weight=2),
            _a("ACME-WEB", "Design", "Design review with Acme", "review", "meeting"),
            _a("GLX-APP", "iOS", "Login screen", "development", weight=2),
            _a("GLX-APP", "API", "Pagination for orders", "development"),
            _a("SPR-DASH", "Charts", "Goal vs actual chart", "development"),
            _a("ACME-WEB", "Frontend", "Code review", "review"),
        ),
    ),
    "bob": Profile(
        first_start=(time(8, 30), time(9, 30)),
        bias_minutes=5,
        rituals=((None, STANDUP, 15), (1, TEAM_MEETING, 45)),
        work=(
            _a("GLX-APP", "Android", "Offline mode", "development", weight=3),
            _a("GLX-APP", "API", "Rate limiting", "development", weight=2),
            _a("ACME-WEB", "Backend", "Search endpoint", "development", weight=2),
            _a("ACME-WEB", "Backend", "Fix slow product query", "bugfix", weight=2),
            _a("ACME-WEB", "Backend", "Payment webhook", "development"),
            _a("GLX-APP", "Android", "Play Store release checklist", "planning"),
            _a("ACME-WEB", "Backend", "Code review", "review"),
            _a("INT", "Administration", "Expenses"),
        ),
    ),
    "carol": Profile(  # not a member of the Mobile app (member-only): none of her work is there
        first_start=(time(8, 0), time(9, 0)),
        bias_minutes=-5,
        rituals=((None, STANDUP, 15), (1, TEAM_MEETING, 45)),
        work=(
            _a("SPR-DASH", "Charts", "Hourly buckets", "development", weight=3),
            _a("SPR-DASH", "Charts", "Chart colours and legend", "development"),
            _a("SPR-DASH", "Data import", "CSV import of production data", "development", weight=3),
            _a("SPR-DASH", "Data import", "Support call with the Fresno plant", "support", "meeting"),
            _a("ACME-WEB", "Content", "Migrate blog posts", weight=2),
            _a("ACME-WEB", "Content", "Proofread product pages", "review"),
            _a("ACME-WEB", "Design", "Wireframes for the landing page", weight=2),
            _a("INT", "Training", "Security training"),
        ),
    ),
    "manager": Profile(
        first_start=(time(8, 0), time(9, 0)),
        bias_minutes=15,
        rituals=(
            (1, TEAM_MEETING, 45),
            (2, _a("INT", "Meetings", "1:1 with Alice", "meeting"), 30),
            (3, _a("INT", "Meetings", "1:1 with Bob", "meeting"), 30),
            (4, _a("INT", "Meetings", "1:1 with Carol", "meeting"), 30),
        ),
        work=(
            _a("INT", "Meetings", "Sprint planning", "planning", "meeting", weight=2),
            _a("INT", "Hiring", "Interview: frontend developer", "meeting", weight=2),
            _a("INT", "Hiring", "Review applications", weight=2),
            _a("GLX-APP", "API", "Architecture review", "review", weight=2),
            _a("ACME-WEB", "Design", "Steering meeting with Acme", "meeting"),
            _a("SPR-DASH", "Charts", "Demo for Sprocket Corp", "meeting"),
            _a("INT", "Administration", "Timesheets and leave approvals", weight=2),
        ),
    ),
    "hr": Profile(
        first_start=(time(8, 30), time(9, 30)),
        bias_minutes=0,
        rituals=((1, _a("INT", "Meetings", "HR jour fixe", "meeting"), 30),),
        work=(
            _a("INT", "Hiring", "Review applications", weight=3),
            _a("INT", "Hiring", "Interview: frontend developer", "meeting", weight=2),
            _a("INT", "Hiring", "Onboarding plan for new hires", "planning"),
            _a("INT", "Administration", "Payroll preparation", weight=3),
            _a("INT", "Administration", "Leave and allowance review", "review", weight=2),
            _a("INT", "Training", "Organise the security training", "planning"),
            _a("INT", "Administration", "Update the employee handbook"),
            _a("INT", "Administration", "Benefits questions from the team", "support"),
        ),
    ),
}
# alice's running timer: what she is working on right now.
TIMER = _a("ACME-WEB", "Frontend", "Accessibility fixes", "development", "bugfix")


@dataclass(frozen=True)
class Deliberate:
    """A working-time violation the demo records on purpose, and why it is realistic."""

    username: str
    rule: str
    marker: str  # the description of the entry that makes it: it is written once
    why: str


# The only violations in the demo (the rest complies by construction, see the module docstring).
# Each lies in this week or last, so its person's dashboard shows it ("this week and last"),
# and bob's and carol's in the week they submitted, for the manager to weigh before approving.
DELIBERATE = [
    Deliberate(
        "bob",
        compliance.Rule.DAILY_HOURS,
        "Play Store release (went live)",
        "bob's release day last week: 08:00-19:45 with an hour's lunch, 10:45 h of work (10 h allowed)",
    ),
    Deliberate(
        "carol",
        compliance.Rule.DAILY_REST,
        "Hotfix: the Fresno plant's import failed",
        "carol fixed the Fresno plant's failed import in the evening (21:00-23:00) and started at 07:30 the "
        "next morning: 8:30 h of rest (11 h needed)",
    ),
    Deliberate(
        "alice",
        compliance.Rule.BREAKS,
        "Accessibility workshop at Acme",
        "alice's day-long workshop at Acme last week ran 09:00-15:45 without a lunch break: 7:15 h of work "
        "with 15 min of breaks (30 min needed after 6 h)",
    ),
]
DELIBERATE_BY_USER = {violation.username: violation for violation in DELIBERATE}


# --- Catalog ------------------------------------------------------------------------------------


def _seed_catalog(stdout, users):
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


# --- Days ---------------------------------------------------------------------------------------


def first_day_for(user):
    """The first day of the demo history of `user` (their local calendar)."""
    return week_start(timezone.localdate(timezone=user.tzinfo)) - timedelta(days=7 * WEEKS_BACK)


@dataclass
class DayOff:
    """The part of a working day not worked: on leave, or a company closure."""

    fraction: Decimal = Decimal(0)  # of the day
    morning: bool = False  # the morning is the part off (the day's work starts after lunch)
    hours: Decimal = Decimal(0)  # hourly leave


def _days_off(user, first_day, last_day):
    """{date: DayOff} for the user's pending/approved leave and the company closures, if the leave
    app is installed (time tracking does not import it: the leave demo runs first)."""
    try:
        leave_request = apps.get_model("leave", "LeaveRequest")
        company_closure = apps.get_model("leave", "CompanyClosure")
    except LookupError:
        return {}
    off = {}
    for closure in company_closure.objects.filter(date__range=(first_day, last_day), country__in=["", user.country]):
        off[closure.date] = DayOff(Decimal("0.5") if closure.half_day else Decimal(1))
    requests = leave_request.objects.filter(user=user).active().overlapping(first_day, last_day)
    for request in requests.select_related("leave_type"):
        day = request.start_date
        while day <= request.end_date:
            entry = off.setdefault(day, DayOff())
            if request.hours:
                entry.hours += request.hours
            elif day == request.start_date and request.start_part == "afternoon":
                entry.fraction = min(Decimal(1), entry.fraction + Decimal("0.5"))
            elif day == request.end_date and request.end_part == "morning":
                entry.fraction = min(Decimal(1), entry.fraction + Decimal("0.5"))
                entry.morning = True
            else:
                entry.fraction = Decimal(1)
            day += timedelta(days=1)
    return off


def _public_holidays(user, first_day, last_day):
    if not user.country:
        return set()
    years = set(range(first_day.year, last_day.year + 1))
    try:
        return set(holidays.country_holidays(user.country, subdiv=user.subdivision or None, years=years))
    except NotImplementedError:
        return set()


@dataclass(frozen=True)
class Block:
    started_at: datetime
    ended_at: datetime
    activity: Activity


def _is_meeting(activity):
    return "meeting" in activity.tags


def _weighted(rng, activities, avoid=()):
    choices = [activity for activity in activities if activity not in avoid] or list(activities)
    return rng.choices(choices, weights=[activity.weight for activity in choices])[0]


def _day_minutes(user, profile, rng, off):
    """How long the day's work is: the contract's day, the person's habit and the day's mood,
    within 7-9 h for a full day (at most 9 h: more would need a 45-minute break)."""
    contract = float(user.weekly_hours) * 60 / max(1, len(user.workdays))
    worked_part = 1 - float(off.fraction) if off else 1
    minutes = (contract + profile.bias_minutes + rng.randint(-30, 30)) * worked_part
    minutes = max(420 * worked_part, min(540 * worked_part, minutes))
    minutes -= float(off.hours) * 60 if off else 0  # hourly leave comes off the day
    return max(0, int(round(minutes / 5) * 5))


def _day_plan(user, profile, day, off=None, *, first_start=None):
    """The day's blocks of work (local, aware): rituals first, then the week's focus and the
    person's other activities; lunch (30-60 min) after 3:15-4:15 h, short gaps between blocks."""
    rng = random.Random(f"timetracking-demo-{user.username}-{day.isoformat()}")
    # The week's focus is work, not a meeting: it comes back day after day.
    focus_choices = [activity for activity in profile.work if not _is_meeting(activity)] or profile.work
    focus = _weighted(random.Random(f"timetracking-demo-{user.username}-week-{week_start(day)}"), focus_choices)
    total = _day_minutes(user, profile, rng, off)
    if total < 60:
        return []
    tzinfo = user.tzinfo
    earliest, latest = profile.first_start
    if first_start is None:
        span = (latest.hour * 60 + latest.minute) - (earliest.hour * 60 + earliest.minute)
        first_minute = earliest.hour * 60 + earliest.minute + 5 * rng.randint(0, span // 5)
        if off and off.morning:  # the morning on leave: the day starts after lunch
            first_minute = 12 * 60 + 30 + 5 * rng.randint(0, 12)
        first_start = time(first_minute // 60, first_minute % 60)

    today_rituals = [ritual for ritual in profile.rituals if ritual[0] in (None, day.isoweekday())]
    items = [(activity, minutes) for _weekday, activity, minutes in today_rituals if minutes <= total / 3]
    remaining = total - sum(minutes for _, minutes in items)
    work = []
    previous = None
    while remaining > 0:
        # Never the same twice in a row, and a meeting at most once a day.
        avoid = {previous} | {activity for activity, _minutes in work if _is_meeting(activity)}
        activity = focus if rng.random() < 0.4 and focus not in avoid else _weighted(rng, profile.work, avoid)
        length = rng.choice([60, 75, 90] if _is_meeting(activity) else [105, 120, 150, 180, 210])
        if remaining - length < 45:
            length = remaining
        work.append((activity, length))
        previous = activity
        remaining -= length
    if first_start < time(8, 45) and items and work:
        # An early start works a while before the stand-up.
        head_activity, head_minutes = work.pop(0)
        early = min(head_minutes, (9 * 60 + 15) - (first_start.hour * 60 + first_start.minute))
        items.insert(0, (head_activity, early))
        if head_minutes - early:
            work.insert(0, (head_activity, head_minutes - early))
    items += work

    lunch_after = rng.randint(39, 51) * 5  # 3:15-4:15 h of work before lunch
    blocks = []
    moment = datetime.combine(day, first_start, tzinfo=tzinfo)
    worked = 0
    lunch_taken = total <= 360  # up to 6 h of work needs no break
    for activity, minutes in items:
        while minutes > 0:
            if not lunch_taken and worked >= lunch_after:
                moment += timedelta(minutes=rng.choice([30, 30, 40, 45, 45, 60]))
                lunch_taken = True
            length = minutes
            if not lunch_taken and worked + minutes > lunch_after:
                length = lunch_after - worked  # lunch in the middle of this block
                if length < 20:  # no sliver before lunch: lunch before the block
                    lunch_after = worked
                    continue
                if minutes - length < 20:  # nor after it: lunch after the block
                    length, lunch_after = minutes, worked + minutes
            blocks.append(Block(moment, moment + timedelta(minutes=length), activity))
            moment += timedelta(minutes=length)
            worked += length
            minutes -= length
        moment += timedelta(minutes=rng.choice([0, 0, 5, 5, 10]))
    return _merged(blocks)


def _merged(blocks):
    """Adjacent blocks of the same activity with no gap are one entry."""
    merged = []
    for block in blocks:
        if merged and merged[-1].activity == block.activity and merged[-1].ended_at == block.started_at:
            merged[-1] = Block(merged[-1].started_at, block.ended_at, block.activity)
        else:
            merged.append(block)
    return merged


def _at(day, tzinfo, hour, minute):
    return datetime.combine(day, time(hour, minute), tzinfo=tzinfo)


def _deliberate_plan(user, profile, day, kind):
    """The blocks of a deliberate violation's day (see DELIBERATE)."""
    tzinfo = user.tzinfo
    marker = DELIBERATE_BY_USER[user.username].marker
    if kind == "release":  # bob: 10:45 h with an hour's lunch (only the daily maximum is breached)
        release = Activity("GLX-APP", "Android", marker, ("planning",))
        return [
            Block(_at(day, tzinfo, 8, 0), _at(day, tzinfo, 8, 15), STANDUP),
            Block(_at(day, tzinfo, 8, 15), _at(day, tzinfo, 12, 30), release),
            Block(_at(day, tzinfo, 13, 30), _at(day, tzinfo, 17, 0), release),
            Block(_at(day, tzinfo, 17, 0), _at(day, tzinfo, 19, 45), PROFILES["bob"].work[0]),
        ]
    if kind == "evening":  # carol: 7 h, then 2 h in the evening: 9 h in the day, ending at 23:00
        hotfix = Activity("SPR-DASH", "Data import", marker, ("support", "bugfix"))
        return [
            Block(_at(day, tzinfo, 8, 30), _at(day, tzinfo, 8, 45), STANDUP),
            Block(_at(day, tzinfo, 8, 45), _at(day, tzinfo, 12, 30), profile.work[0]),
            Block(_at(day, tzinfo, 13, 0), _at(day, tzinfo, 16, 15), profile.work[1]),
            Block(_at(day, tzinfo, 21, 0), _at(day, tzinfo, 23, 0), hotfix),
        ]
    if kind == "workshop":  # alice: 6:45 h without a break, then an hour after a short one
        workshop = Activity("ACME-WEB", "Design", marker, ("meeting",))
        review = Activity("ACME-WEB", "Frontend", "Code review", ("review",))
        return [
            Block(_at(day, tzinfo, 9, 0), _at(day, tzinfo, 15, 45), workshop),
            Block(_at(day, tzinfo, 16, 0), _at(day, tzinfo, 16, 30), review),
        ]
    raise ValueError(kind)


def _deliberate_days(user, candidates, today):
    """{day: kind of plan} of the user's deliberate violation, or {} (see DELIBERATE).

    `candidates`: the past full working days without leave that are free to plan."""
    last_monday = week_start(today) - timedelta(days=7)
    last_week = [day for day in candidates if last_monday <= day < last_monday + timedelta(days=7)]

    def preferred(weekdays):
        for weekday in weekdays:
            for day in last_week:
                if day.isoweekday() == weekday:
                    return day
        return None

    if user.username == "bob" and (day := preferred([4, 3, 2, 5, 1])):
        return {day: "release"}
    if user.username == "alice" and (day := preferred([3, 2, 4, 1, 5])):
        return {day: "workshop"}
    if user.username == "carol":
        recent = sorted((day for day in candidates if day >= last_monday), reverse=True)
        for day in recent:
            if day - timedelta(days=1) in candidates:
                return {day - timedelta(days=1): "evening", day: "early"}
    return {}


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


def _seed_entries(stdout, user, projects, tasks, tags):
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
    public_holidays = _public_holidays(user, first_day, today)
    days_off = _days_off(user, first_day, today)
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
        special = _deliberate_days(user, candidates, today)

    rows, violating = [], []
    for day in plannable:
        kind = special.get(day)
        if kind in ("release", "evening", "workshop"):
            plan = _deliberate_plan(user, profile, day, kind)
            violating += [_row(user, block, projects, tasks, tags) for block in plan]
            continue
        first_start = time(7, 30) if kind == "early" else None
        for block in _day_plan(user, profile, day, days_off.get(day), first_start=first_start):
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


def _stop_stale_timer(stdout, user):
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


def _seed_timer(stdout, user, projects, tasks, tags):
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


def _seed_periods(stdout, users):
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


def seed(stdout, users):
    projects, tasks = _seed_catalog(stdout, users)
    tags = {tag.name: tag for tag in Tag.objects.filter(name__in=TAGS)}
    _stop_stale_timer(stdout, users["alice"])
    for username in PROFILES:
        _seed_entries(stdout, users[username], projects, tasks, tags)
    _seed_timer(stdout, users["alice"], projects, tasks, tags)
    _seed_periods(stdout, users)


def violations(users):
    """Every working-time violation in the demo history (each user's own calendar)."""
    found = []
    for user in users.values():
        today = timezone.localdate(timezone=user.tzinfo)
        found += compliance.violations_for([user], first_day_for(user), today)
    return found


def summary(stdout, users):
    """What the demo shows: its violations (and why each is there), the timer, the weeks to approve."""
    names = {user.pk: user.username for user in users.values()}
    found = violations(users)
    stdout.write(f"  {len(found)} working-time violation(s) in the demo, on purpose:")
    for violation in found:
        username = names[violation.user_id]
        deliberate = DELIBERATE_BY_USER.get(username)
        why = deliberate.why if deliberate and deliberate.rule == violation.rule else "NOT PLANNED: check the demo"
        stdout.write(f"    {username:<8} {violation.rule_label}: {violation.message}")
        stdout.write(f"             why: {why}")
    for entry in TimeEntry.objects.filter(user__in=users.values()).running().select_related("user", "project"):
        stdout.write(
            f"  timer running: {entry.user.username} on {entry.project or 'no project'} ({entry.description}) "
            f"since {timezone.localtime(entry.started_at, entry.user.tzinfo):%H:%M}"
        )
    waiting = TimesheetPeriod.objects.awaiting_decision_by(users["manager"]).select_related("user")
    for period in waiting.order_by("user__username"):
        stdout.write(f"  week waiting for the manager: {period.user.username}, week of {period.week_start}")
