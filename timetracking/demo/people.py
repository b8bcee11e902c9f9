"""The demo's cast: the catalog (clients, projects, tags), each user's working habits (PROFILES),
alice's running timer and the three deliberate working-time violations (DELIBERATE)."""

from dataclasses import dataclass
from datetime import time

from timetracking import compliance

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
        "bob's release day last week: 08:00-20:00 with an hour's lunch and a coffee, 10:45 h of work (10 h allowed)",
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
        "alice's day-long workshop at Acme last week ran 09:00-15:45 without a lunch break: 6:45 h in a row "
        "(6 h allowed), 7:15 h of work with 15 min of breaks (30 min needed after 6 h)",
    ),
]
DELIBERATE_BY_USER = {violation.username: violation for violation in DELIBERATE}
