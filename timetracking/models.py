"""Clients, projects, tasks, tags and time entries, with their database rules and reads.

Writes that carry a business rule live in `services.py`; the reads that the API, pages
and admin share are the QuerySet methods below.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Self, overload

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy

from core.durations import hours_from_seconds

if TYPE_CHECKING:
    from django.contrib.postgres.search import SearchVector
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler, _AsSqlType

    from accounts.models import User
    from timetracking.compliance import Violation

validate_color = RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour is #rrggbb, e.g. #3b82f6.")

# Names of the constraints created by the migrations: services map their violations to errors.
RUNNING_TIMER_CONSTRAINT = "timeentry_one_running_timer_per_user"
NO_OVERLAP_CONSTRAINT = "timeentry_no_overlap"  # PostgreSQL only, see migration 0002
END_AFTER_START_CONSTRAINT = "timeentry_ends_after_start"
# Six places cover every currency's minor unit (at most 4, e.g. CLF) with room: stored amounts are
# rounded to their currency, so sums need no rounding of their own (billing.price_models).
PRICE_DECIMAL_PLACES = 6


def _self_and_reports(user: User) -> models.QuerySet[User, Any]:
    """Ids of `user` and their direct reports, as a subquery."""

    return get_user_model().objects.filter(Q(pk=user.pk) | Q(manager=user)).values("pk")


class Client(models.Model):
    name = models.CharField(max_length=200, verbose_name=gettext_lazy("name"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    class Meta:
        verbose_name = gettext_lazy("client")
        verbose_name_plural = gettext_lazy("clients")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="client_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class ProjectQuerySet(models.QuerySet["Project"]):
    def active(self) -> Self:
        return self.filter(active=True)

    def loggable_by(self, user: User) -> Self:
        """Active projects `user` may log time to: open ones, ones they belong to; HR all."""
        projects = self.active()
        if user.is_hr:
            return projects
        membership = Project.members.through.objects.filter(project_id=OuterRef("pk"))
        return projects.filter(~Exists(membership) | Exists(membership.filter(user_id=user.pk)))


class Project(models.Model):
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name=gettext_lazy("client"),
    )
    name = models.CharField(max_length=200, verbose_name=gettext_lazy("name"))
    code = models.CharField(
        max_length=20,
        blank=True,
        help_text=gettext_lazy("Short reference, e.g. ACME-WEB."),
        verbose_name=gettext_lazy("code"),
    )
    color = models.CharField(
        max_length=7, default="#3b82f6", validators=[validate_color], verbose_name=gettext_lazy("color")
    )
    active = models.BooleanField(
        default=True,
        help_text=gettext_lazy("Archived projects accept no new time."),
        verbose_name=gettext_lazy("active"),
    )
    billable = models.BooleanField(
        default=True,
        help_text=gettext_lazy("Default for new entries on this project."),
        verbose_name=gettext_lazy("billable"),
    )
    budget_hours = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        verbose_name=gettext_lazy("budget hours"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="member_projects",
        help_text=gettext_lazy("When set, only these people (and HR) may log time to the project."),
        verbose_name=gettext_lazy("members"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("project")
        verbose_name_plural = gettext_lazy("projects")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "client", name="project_name_unique_per_client_ci"),
            models.UniqueConstraint(fields=["code"], condition=~Q(code=""), name="project_code_unique"),
            models.CheckConstraint(
                condition=Q(budget_hours__isnull=True) | Q(budget_hours__gte=0), name="project_budget_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """ "Client · Project" for pickers (select_related the client)."""
        return f"{self.client.name} · {self.name}" if self.client_id else self.name  # type: ignore[union-attr]  # client_id set


class Task(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="tasks", verbose_name=gettext_lazy("project")
    )
    name = models.CharField(max_length=200, verbose_name=gettext_lazy("name"))
    active = models.BooleanField(
        default=True, help_text=gettext_lazy("Archived tasks accept no new time."), verbose_name=gettext_lazy("active")
    )

    class Meta:
        verbose_name = gettext_lazy("task")
        verbose_name_plural = gettext_lazy("tasks")
        ordering = ["project__name", "name"]
        constraints = [models.UniqueConstraint("project", Lower("name"), name="task_name_unique_per_project_ci")]

    def __str__(self) -> str:
        return f"{self.project.name} · {self.name}"


class Tag(models.Model):
    name = models.CharField(max_length=50, verbose_name=gettext_lazy("name"))

    class Meta:
        verbose_name = gettext_lazy("tag")
        verbose_name_plural = gettext_lazy("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


@overload
def local_day_bounds(first_day: date, last_day: date, tzinfo: tzinfo) -> tuple[datetime, datetime]: ...
@overload
def local_day_bounds(
    first_day: date | None, last_day: date | None, tzinfo: tzinfo
) -> tuple[datetime | None, datetime | None]: ...
def local_day_bounds(
    first_day: date | None, last_day: date | None, tzinfo: tzinfo
) -> tuple[datetime | None, datetime | None]:
    """[start of `first_day`, start of the day after `last_day`) in `tzinfo`, as aware datetimes.

    Each bound is computed for its own date, so a day across a DST change is 23 or 25 hours long.
    """
    start = datetime.combine(first_day, time.min, tzinfo=tzinfo) if first_day else None
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=tzinfo) if last_day else None
    return start, end


class _EpochDateTimeField(models.DateTimeField):
    def from_db_value(
        self, value: float | datetime | None, expression: object, connection: BaseDatabaseWrapper
    ) -> datetime | None:
        # Microseconds survive: a float64 of today's epoch seconds resolves 0.24 µs.
        return datetime.fromtimestamp(value, UTC) if isinstance(value, float) else value


class EpochSeconds(models.Func):
    """A timestamp column read as an aware UTC datetime through PostgreSQL's epoch seconds
    (psycopg's C float loader + `datetime.fromtimestamp`); other databases read the column."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)::float8"
    output_field = _EpochDateTimeField()

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any) -> _AsSqlType:
        return compiler.compile(self.source_expressions[0])


class TimeEntryQuerySet(models.QuerySet["TimeEntry"]):
    def visible_to(self, user: User) -> Self:
        """Entries `user` may read: their own, their reports' (managers), everyone's (HR)."""
        if user.is_hr:
            return self
        # IN (subquery), not an OR across a join to users: the OR cannot use the
        # (user, started_at) index (measured by make bench: 100 ms → 0.4 ms on 1M entries).
        return self.filter(user__in=_self_and_reports(user))

    def writable_by(self, user: User) -> Self:
        """Entries `user` may change: their own; HR everyone's. Managers read their reports' only."""
        if user.is_hr:
            return self
        return self.filter(user=user)

    def for_user(self, user: User) -> Self:
        return self.filter(user=user)

    def running(self) -> Self:
        return self.filter(ended_at__isnull=True)

    def finished(self) -> Self:
        return self.filter(ended_at__isnull=False)

    def in_range(self, start: datetime | None = None, end: datetime | None = None) -> Self:
        """Entries that start in [start, end) (aware datetimes; either may be None)."""
        queryset = self
        if start is not None:
            queryset = queryset.filter(started_at__gte=start)
        if end is not None:
            queryset = queryset.filter(started_at__lt=end)
        return queryset

    def on_local_days(self, first_day: date | None, last_day: date | None, tzinfo: tzinfo) -> Self:
        """Entries starting on the local calendar days [first_day, last_day] of `tzinfo`."""
        return self.in_range(*local_day_bounds(first_day, last_day, tzinfo))

    def overlapping(self, start: datetime, end: datetime | None) -> Self:
        """Entries whose [started_at, ended_at) meets [start, end); a running one reaches to infinity.

        `end` None means an open-ended interval (a timer). Touching end-to-start is no overlap.
        """
        queryset = self.filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        if end is not None:
            queryset = queryset.filter(started_at__lt=end)
        return queryset

    def search(self, text: str) -> Self:
        """Full-text search on the description: PostgreSQL uses the GIN index, SQLite `icontains`."""
        if settings.IS_POSTGRESQL:
            # Same expression as the GIN index of migration 0002, so PostgreSQL can use it.
            return self.annotate(description_vector=description_search_vector()).filter(
                description_vector=SearchQuery(text, config="simple", search_type="websearch")
            )
        return self.filter(description__icontains=text)

    def intervals(self, start: datetime, end: datetime | None) -> models.QuerySet[TimeEntry, tuple[Any, ...]]:
        """(user_id, id, started_at, ended_at) of finished entries meeting [start, end), by user then start.

        The compliance rules (timetracking.compliance) read only these columns: one query for any number of users.
        Every entry write reads a user's reference period (months of entries): the times are read
        as epoch seconds (`EpochSeconds`), a third of the cost of Django's timestamptz loader.
        """
        return (
            self.finished()
            .overlapping(start, end)
            .order_by("user_id", "started_at")
            .annotate(start_moment=EpochSeconds("started_at"), end_moment=EpochSeconds("ended_at"))
            .values_list("user_id", "id", "start_moment", "end_moment")
        )

    def with_details(self) -> Self:
        # One query for the entry, its user, project, client and task; one for all tags.
        return self.select_related("user", "project__client", "task").prefetch_related("tags")

    def recent_combinations(self, *, limit: int = 10, scan: int = 200) -> list[TimeEntry]:
        """The latest entry of each of the last `limit` distinct (project, task, description)
        combinations among the `scan` latest entries, newest first: what "recent entries" and the
        timer's suggestions offer to continue. Two queries (the entries, then their tags), however
        many entries a user has: the scan is bounded by the (user, started_at) index."""
        latest: dict[tuple[int | None, int | None, str], TimeEntry] = {}
        for entry in self.select_related("project__client", "task").order_by("-started_at")[:scan]:
            key = (entry.project_id, entry.task_id, entry.description.strip().casefold())
            if key not in latest:
                latest[key] = entry
                if len(latest) == limit:
                    break
        entries = list(latest.values())
        models.prefetch_related_objects(entries, "tags")
        return entries


def description_search_vector() -> SearchVector:

    return SearchVector("description", config="simple")


# A time entry's own fields, in the order the admin shows them and the API answers them (the API
# adds the names and the computed duration after them): one list, so a new field is one edit.
TIME_ENTRY_FIELDS = (
    "user",
    "project",
    "task",
    "tags",
    "description",
    "started_at",
    "ended_at",
    "billable",
    "source",
    "created_at",
    "updated_at",
)


class TimeEntry(models.Model):
    class Source(models.TextChoices):
        TIMER = "timer", gettext_lazy("Timer")
        MANUAL = "manual", gettext_lazy("Manual")
        IMPORT = "import", gettext_lazy("Import")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="time_entries",
        verbose_name=gettext_lazy("user"),
    )
    project = models.ForeignKey(
        Project,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="time_entries",
        verbose_name=gettext_lazy("project"),
    )
    task = models.ForeignKey(
        Task,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="time_entries",
        verbose_name=gettext_lazy("task"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="time_entries", verbose_name=gettext_lazy("tags"))
    description = models.CharField(max_length=1000, blank=True, verbose_name=gettext_lazy("description"))
    started_at = models.DateTimeField(verbose_name=gettext_lazy("started at"))
    ended_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=gettext_lazy("Empty while the timer runs."),
        verbose_name=gettext_lazy("ended at"),
    )

    # Never stored: what the services attach to the entries they return (its tags as saved, the
    # working-time warnings its write produced) and the week page to the entries it shows.
    saved_tags: list[Tag]
    compliance_warnings: list[Violation]
    local_start: datetime
    local_end: datetime | None
    seconds: int
    billable = models.BooleanField(default=False, verbose_name=gettext_lazy("billable"))
    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.MANUAL, verbose_name=gettext_lazy("source")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))
    # The entry's money, stored beside it so that a report sums it in the scan that sums its hours
    # (make bench (k) against (f)): what billing.pricing computes for a finished entry, written and
    # rewritten by billing.services.prices (time tracking never reads or writes them). Unpriced
    # (running, or never priced): `price_billed_seconds` is null. `price_amount` is null without a
    # billable rate, `price_cost` without a cost rate; amounts are rounded to their currency.
    price_currency = models.CharField(
        max_length=3, blank=True, db_default="", editable=False, verbose_name=gettext_lazy("currency")
    )
    price_billed_seconds = models.PositiveIntegerField(
        null=True, blank=True, editable=False, verbose_name=gettext_lazy("billed seconds")
    )
    price_amount = models.DecimalField(
        max_digits=20,
        decimal_places=PRICE_DECIMAL_PLACES,
        null=True,
        blank=True,
        editable=False,
        verbose_name=gettext_lazy("amount"),
    )
    price_cost = models.DecimalField(
        max_digits=20,
        decimal_places=PRICE_DECIMAL_PLACES,
        null=True,
        blank=True,
        editable=False,
        verbose_name=gettext_lazy("cost"),
    )

    objects = TimeEntryQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("time entry")
        ordering = ["-started_at"]
        verbose_name_plural = gettext_lazy("time entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=F("started_at")), name=END_AFTER_START_CONSTRAINT
            ),
            # At most one running timer per user.
            models.UniqueConstraint(fields=["user"], condition=Q(ended_at__isnull=True), name=RUNNING_TIMER_CONSTRAINT),
            models.CheckConstraint(
                condition=Q(task__isnull=True) | Q(project__isnull=False), name="timeentry_task_needs_project"
            ),
            models.CheckConstraint(
                condition=Q(price_amount__gte=0) | Q(price_amount__isnull=True), name="timeentry_price_amount_sign"
            ),
            models.CheckConstraint(
                condition=Q(price_cost__gte=0) | Q(price_cost__isnull=True), name="timeentry_price_cost_sign"
            ),
        ]
        indexes = [
            # The week page, the API's from/to filter and the overlap check: WHERE user_id = ? AND started_at ...
            models.Index(fields=["user", "started_at"], name="timeentry_user_started"),
            # Everyone's entries of a period (company reports, exports ordered by start).
            models.Index(fields=["started_at"], name="timeentry_started"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.started_at:%Y-%m-%d %H:%M} {self.description[:40]}"

    @property
    def is_running(self) -> bool:
        return self.ended_at is None

    @property
    def duration(self) -> timedelta | None:
        return (self.ended_at - self.started_at) if self.ended_at else None

    @property
    def hours(self) -> Decimal | None:
        """Decimal hours (2 places) of a finished entry; None while running."""
        if self.ended_at is None:
            return None
        return hours_from_seconds(int(self.duration.total_seconds()))  # type: ignore[union-attr]  # ended: a duration


class TimesheetRow(models.Model):
    """A project/task row pinned to a user's week on the timesheet ("copy last week's projects")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="timesheet_rows",
        verbose_name=gettext_lazy("user"),
    )
    week_start = models.DateField(
        help_text=gettext_lazy("The Monday of the week, in the user's time zone."),
        verbose_name=gettext_lazy("week start"),
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="+", verbose_name=gettext_lazy("project")
    )
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=gettext_lazy("task")
    )

    class Meta:
        verbose_name = gettext_lazy("timesheet row")
        verbose_name_plural = gettext_lazy("timesheet rows")
        ordering = ["week_start", "project__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "week_start", "project", "task"], name="timesheetrow_unique"),
            # NULLs are distinct in a unique constraint: the project-only row needs its own.
            models.UniqueConstraint(
                fields=["user", "week_start", "project"],
                condition=Q(task__isnull=True),
                name="timesheetrow_unique_without_task",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.week_start} {self.project}"


class TimesheetPeriodQuerySet(models.QuerySet["TimesheetPeriod"]):
    def visible_to(self, user: User) -> Self:
        """Periods `user` may read: their own, their reports' (managers), everyone's (HR)."""
        if user.is_hr:
            return self
        return self.filter(user__in=_self_and_reports(user))

    def locked(self) -> Self:
        return self.filter(status=TimesheetPeriod.Status.APPROVED)

    def awaiting_decision_by(self, user: User) -> Self:
        """Submitted weeks `user` may approve: their reports' (managers), everyone else's (HR); never their own."""
        submitted = self.filter(status=TimesheetPeriod.Status.SUBMITTED).exclude(user=user)
        return submitted if user.is_hr else submitted.filter(user__manager=user)

    def in_range(self, first_day: date | None = None, last_day: date | None = None) -> Self:
        """Weeks that meet the local days [first_day, last_day] (either may be None)."""
        queryset = self
        if first_day is not None:
            queryset = queryset.filter(week_start__gt=first_day - timedelta(days=7))
        if last_day is not None:
            queryset = queryset.filter(week_start__lte=last_day)
        return queryset


class TimesheetPeriod(models.Model):
    """One user's ISO week (in their time zone) going through submit → approve (locked) → reopen.

    A week without a row is a draft. While a week is approved, no entry in it can be created,
    changed or deleted by anyone (services check it on every entry write).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", gettext_lazy("Draft")
        SUBMITTED = "submitted", gettext_lazy("Submitted")
        APPROVED = "approved", gettext_lazy("Approved (locked)")
        REOPENED = "reopened", gettext_lazy("Reopened")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="timesheet_periods",
        verbose_name=gettext_lazy("user"),
    )
    week_start = models.DateField(
        help_text=gettext_lazy("The Monday of the ISO week, in the user's time zone."),
        verbose_name=gettext_lazy("week start"),
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, verbose_name=gettext_lazy("status")
    )
    submitted_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("submitted at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("decided at"))
    note = models.CharField(
        max_length=1000,
        blank=True,
        help_text=gettext_lazy("Why the week was sent back (rejection)."),
        verbose_name=gettext_lazy("note"),
    )
    reopen_reason = models.CharField(max_length=1000, blank=True, verbose_name=gettext_lazy("reopen reason"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    objects = TimesheetPeriodQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("timesheet period")
        verbose_name_plural = gettext_lazy("timesheet periods")
        ordering = ["-week_start", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "week_start"], name="timesheetperiod_one_per_user_week"),
            models.CheckConstraint(
                condition=~Q(status="submitted") | Q(submitted_at__isnull=False),
                name="timesheetperiod_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(decided_at__isnull=False),
                name="timesheetperiod_approved_has_decision",
            ),
            models.CheckConstraint(
                condition=~Q(status="reopened") | ~Q(reopen_reason=""),
                name="timesheetperiod_reopened_has_reason",
            ),
        ]
        indexes = [
            # The team page and the approval queue: WHERE status = 'submitted' ...
            models.Index(fields=["status", "week_start"], name="timesheetperiod_status_week"),
        ]

    def __str__(self) -> str:
        return f"{self.user} week of {self.week_start} ({self.get_status_display()})"

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.APPROVED
