"""Bulk benchmark data: users in teams, projects, tags, time entries, leave, factories, sprockets.

Rows are built in Python and written with one COPY per table on PostgreSQL (psycopg 3
`cursor.copy()`), or batched `executemany` elsewhere (the tests' SQLite); never one save per
row (bench/writer.py). Ids are allocated up front so that related rows can be written without
reading back, and the sequences are reset afterwards. Everything runs in one transaction with
the marker row (`bench.Dataset`), so a data set is either complete and marked, or absent. The
leave rows are built in bench/generator_leave.py.

The data is deterministic for a given scale and end day (one seeded random generator).
"""

import random
import zoneinfo
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from bench.errors import GeneratorError
from bench.generator_leave import LeaveMixin
from bench.models import Dataset
from bench.writer import Writer, next_free_id
from leave.models import LeaveRequest, LedgerEntry
from sprockets.models import ChartPointReason, Factory, Location, ProductionChartPoint, Sprocket, SprocketType
from timetracking.models import Client, Project, Tag, Task, TimeEntry

# Bump when the shape of the generated data changes: `make bench` then rebuilds the database.
VERSION = 4
USERNAME_PREFIX = "bench"
PASSWORD = "bench-password"  # noqa: S105 - the benchmark's throwaway users, never a real account
TEAM_SIZE = 20  # one manager and 19 reports
TASKS_PER_PROJECT = 5
PROJECTS_PER_TEAM = 6
# (time zone, country, subdivision) of the users, in proportion 6:3:1.
REGIONS = [("Europe/Berlin", "DE", "")] * 6 + [("America/New_York", "US", "NY")] * 3 + [("Europe/Paris", "FR", "")]
DESCRIPTIONS = [
    "Code review",
    "Planning meeting",
    "Customer call",
    "Bug fixing",
    "Feature work",
    "Documentation",
    "Testing",
    "Deployment",
    "Support tickets",
    "Design discussion",
    "",
]


@dataclass(frozen=True)
class Scale:
    users: int = 1000
    projects: int = 200
    tags: int = 1000
    entries: int = 1_000_000
    leave_requests: int = 30_000
    factories: int = 50
    sprockets: int = 1_000_000
    days: int = 730

    def as_dict(self):
        return asdict(self)


FULL = Scale()


def find_dataset(scale):
    """The finished marker of this generator version and scale, or None."""
    for dataset in Dataset.objects.filter(version=VERSION, finished_at__isnull=False):
        if dataset.scale == scale.as_dict():
            return dataset
    return None


class Generator(LeaveMixin):
    def __init__(self, *, scale=FULL, data_end=None, progress=None, seed=8, prefix=USERNAME_PREFIX):
        if scale.users < 2 or scale.factories < 1 or scale.days < 14:
            raise GeneratorError("At least 2 users, 1 factory and 14 days.")
        self.scale = scale
        self.data_end = data_end or (timezone.localdate() - timedelta(days=1))
        self.data_start = self.data_end - timedelta(days=scale.days - 1)
        self.random = random.Random(seed)
        # Names of everything generated start with `prefix` (a second data set beside the first
        # one, as the query-count test needs, takes another prefix).
        self.prefix = prefix
        self.progress = progress or (lambda label, count, done=False: None)
        self.now = timezone.now()

    # --- entry point ------------------------------------------------------------------------

    def run(self):
        if User.objects.filter(username__startswith=self.prefix).exists():
            raise GeneratorError(
                f"This database already has {self.prefix}* users from another generator run: "
                "use an empty database (make bench recreates it when the data set is stale)."
            )
        with transaction.atomic():
            dataset = Dataset.objects.create(
                version=VERSION, scale=self.scale.as_dict(), data_end=self.data_end, prefix=self.prefix
            )
            with connection.cursor() as cursor:
                self.writer = Writer(cursor, self.progress)
                self._users()
                self._catalog()
                self._leave()
                self._entries()
                self._production()
            self._reset_sequences()
            dataset.finished_at = timezone.now()
            dataset.save(update_fields=["finished_at"])
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        return dataset

    # --- users and teams ----------------------------------------------------------------------

    def _users(self):
        scale, first_id = self.scale, next_free_id(User)
        password = make_password(PASSWORD)  # hashed once: the same throwaway password for everyone
        self.users = []  # (id, manager_id, tzinfo, country, subdivision)
        rows = []
        teams = max(1, (scale.users - 1) // TEAM_SIZE)
        self.hr_id = first_id
        self.manager_ids = [first_id + 1 + team for team in range(teams)]
        for index in range(scale.users):
            user_id = first_id + index
            if index == 0:
                manager_id, team = None, None
            elif index <= teams:
                manager_id, team = self.hr_id, index - 1
            else:
                team = (index - teams - 1) % teams
                manager_id = self.manager_ids[team]
            zone, country, subdivision = REGIONS[index % len(REGIONS)]
            username = f"{self.prefix}{index:05d}"
            rows.append(
                (
                    user_id,
                    password,
                    False,
                    username,
                    "Bench",
                    f"User {index:05d}",
                    f"{username}@example.com",
                    False,
                    True,
                    self.now - timedelta(days=self.scale.days + 30),
                    zone,
                    country,
                    subdivision,
                    manager_id,
                    Decimal("40.00"),
                    "12345",
                )
            )
            self.users.append((user_id, team, zoneinfo.ZoneInfo(zone), country, subdivision))
        columns = [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
            "timezone",
            "country",
            "subdivision",
            "manager_id",
            "weekly_hours",
            "working_weekdays",
        ]
        # Managers first in id order would break the self-FK only if it were checked per row;
        # PostgreSQL checks it at the end of the COPY statement, so one COPY is enough.
        self.writer.write(User, columns, rows, "users")
        hr_group, _created = Group.objects.get_or_create(name="HR")
        User.groups.through.objects.create(user_id=self.hr_id, group_id=hr_group.pk)

    # --- projects, tasks, tags ------------------------------------------------------------------

    def _catalog(self):
        scale = self.scale
        client, _created = Client.objects.get_or_create(name=f"{self.prefix} client")
        project_id, task_id = next_free_id(Project), next_free_id(Task)
        projects, tasks = [], []
        self.project_tasks = {}
        for index in range(scale.projects):
            pid = project_id + index
            name, code = f"{self.prefix} project {index:04d}", f"{self.prefix[:10]}-{index:04d}"
            projects.append((pid, client.pk, name, code, "#3b82f6", True, True))
            self.project_tasks[pid] = []
            for number in range(TASKS_PER_PROJECT):
                tid = task_id + len(tasks)
                tasks.append((tid, pid, f"Task {number + 1}", True))
                self.project_tasks[pid].append(tid)
        self.writer.write(
            Project, ["id", "client_id", "name", "code", "color", "active", "billable", "created_at"],
            ((*row, self.now) for row in projects),
            "projects",
        )  # fmt: skip
        self.writer.write(Task, ["id", "project_id", "name", "active"], tasks, "tasks")
        tag_id = next_free_id(Tag)
        self.tag_ids = [tag_id + index for index in range(scale.tags)]
        self.writer.write(
            Tag, ["id", "name"], ((tid, f"{self.prefix}-tag-{tid - tag_id:04d}") for tid in self.tag_ids), "tags"
        )
        project_ids = list(self.project_tasks)
        # Each team works on a handful of projects.
        self.team_projects = {}
        for team in range(len(self.manager_ids)):
            self.team_projects[team] = [
                project_ids[(team * PROJECTS_PER_TEAM + n) % len(project_ids)] for n in range(PROJECTS_PER_TEAM)
            ]

    # --- time entries -------------------------------------------------------------------------------

    def _entries(self):
        scale = self.scale
        entry_id = next_free_id(TimeEntry)
        through = TimeEntry.tags.through
        through_id = next_free_id(through)
        per_user = [scale.entries // scale.users] * scale.users
        for index in range(scale.entries % scale.users):
            per_user[index] += 1
        all_days = [self.data_start + timedelta(days=n) for n in range(scale.days)]
        tag_rows = []
        state = {"entry_id": entry_id, "through_id": through_id}

        # How many entries each user logs on each of their working days.
        plans = []
        for (user_id, team, zone, country, subdivision), count in zip(self.users, per_user, strict=True):
            closed = self.holidays[(country, subdivision)]
            off = self.leave_days.get(user_id, set())
            days = [day for day in all_days if day.isoweekday() <= 5 and day not in closed and day not in off]
            if not days:
                raise GeneratorError("No working day left to log time on.")
            base, extra = divmod(count, len(days))
            busier = set(self.random.sample(range(len(days)), extra))
            pieces = {day: base + (1 if position in busier else 0) for position, day in enumerate(days)}
            plans.append((user_id, zone, self.team_projects[team if team is not None else 0], pieces))

        def rows():
            # Day by day, everyone's entries of the day: the order in which a real database
            # receives them, so the table's physical order (and the planner's statistics about
            # it) follows time, not users.
            for day in all_days:
                for user_id, zone, projects, pieces in plans:
                    if pieces.get(day):
                        yield from self._day(user_id, zone, day, pieces[day], projects, tag_rows, state)

        columns = [
            "id",
            "user_id",
            "project_id",
            "task_id",
            "description",
            "started_at",
            "ended_at",
            "billable",
            "source",
            "created_at",
            "updated_at",
        ]
        self.writer.write(TimeEntry, columns, rows(), "time entries", rebuild_indexes=True)
        self.writer.write(through, ["id", "timeentry_id", "tag_id"], tag_rows, "time entry tags", rebuild_indexes=True)

    def _day(self, user_id, zone, day, pieces, projects, tag_rows, state):
        """`pieces` back-to-back entries (with short gaps) of about 8 hours in all, from about 8:00 local."""
        randrange, choice = self.random.randrange, self.random.choice
        moment = datetime.combine(day, time(7, 30), tzinfo=zone).astimezone(UTC)
        moment += timedelta(minutes=randrange(0, 90))
        total = 8 * 60 + randrange(-60, 61)
        length = max(5, total // pieces)
        for _ in range(pieces):
            minutes = max(5, length + randrange(-length // 4, length // 4 + 1))
            start, end = moment, moment + timedelta(minutes=minutes)
            project = choice(projects)
            task = choice(self.project_tasks[project]) if randrange(4) else None
            entry_id = state["entry_id"]
            state["entry_id"] += 1
            if randrange(4) == 0:
                tag_rows.append((state["through_id"], entry_id, choice(self.tag_ids)))
                state["through_id"] += 1
            yield (entry_id, user_id, project, task, choice(DESCRIPTIONS), start, end, True, "manual", end, end)
            moment = end + timedelta(minutes=randrange(0, 31))

    # --- factories and sprockets -----------------------------------------------------------------------

    def _production(self):
        scale = self.scale
        sprocket_type_ids = list(SprocketType.objects.values_list("pk", flat=True))
        if not sprocket_type_ids:
            sprocket_type_ids = [
                SprocketType.objects.create(
                    name="Bench sprocket", teeth=20, pitch_diameter="50", pitch="5", outside_diameter="55"
                ).pk
            ]
        locations = []
        for number in range(max(1, scale.factories // 5)):
            location, _created = Location.objects.get_or_create(
                postal_code=f"{self.prefix[:10]}-{number:03d}",
                defaults={"name": f"{self.prefix} site {number}", "address_1": "1 Bench Road", "city": "Bench"}
                | {"country_code": "DE"},
            )
            locations.append(location.pk)
        factory_id, point_id, sprocket_id = (
            next_free_id(Factory),
            next_free_id(ProductionChartPoint),
            next_free_id(Sprocket),
        )
        per_factory = [scale.sprockets // scale.factories] * scale.factories
        for index in range(scale.sprockets % scale.factories):
            per_factory[index] += 1
        start = datetime.combine(self.data_start, time.min, tzinfo=UTC)
        span = timedelta(days=scale.days).total_seconds()
        factories, points = [], []
        for index, count in enumerate(per_factory):
            fid = factory_id + index
            goal = 500 + 100 * (index % 20)
            name = f"{self.prefix} factory {index:03d}"
            factories.append((fid, name, locations[index % len(locations)], goal, count, start))
            points.append((point_id + len(points), fid, start, ChartPointReason.CREATED, goal, 0))
            # One production point per day, with the running total (what recordings leave behind).
            for day in range(1, scale.days + 1):
                moment, actual = start + timedelta(days=day), count * day // scale.days
                points.append((point_id + len(points), fid, moment, ChartPointReason.PRODUCTION, goal, actual))
        columns = ["id", "name", "location_id", "sprocket_production_goal", "sprocket_production_actual", "created_at"]
        self.writer.write(Factory, columns, factories, "factories")
        self.writer.write(
            ProductionChartPoint,
            ["id", "factory_id", "time", "reason", "sprocket_production_goal", "sprocket_production_actual"],
            points,
            "chart points",
        )

        def sprockets():
            next_id = sprocket_id
            for index, count in enumerate(per_factory):
                fid = factory_id + index
                step = span / max(count, 1)
                for number in range(count):
                    produced = start + timedelta(seconds=number * step + self.random.random() * step)
                    yield (next_id, "", sprocket_type_ids[number % len(sprocket_type_ids)], fid, produced, "")
                    next_id += 1

        columns = ["id", "name", "sprocket_type_id", "factory_id", "produced_at", "serial_number"]
        self.writer.write(Sprocket, columns, sprockets(), "sprockets", rebuild_indexes=True)

    def _reset_sequences(self):
        models = [
            User,
            User.groups.through,
            Project,
            Task,
            Tag,
            TimeEntry,
            TimeEntry.tags.through,
            LeaveRequest,
            LedgerEntry,
            Factory,
            ProductionChartPoint,
            Sprocket,
        ]
        statements = connection.ops.sequence_reset_sql(no_style(), models)
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
