"""Summary reports: hours grouped by day / ISO week / month / project / task / tag / user.

Everything is aggregated in the database. A day or week is the entry owner's local calendar
(the day its start falls on in `user.timezone`), so users are grouped by time zone and each
zone runs one aggregate with `Trunc*(tzinfo=...)`; the rows of the zones are then merged.
The number of queries grows with the number of distinct time zones, never with entries.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, DateField, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce, Trunc, TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from accounts.models import User
from core.days import FIRST_DAY, LAST_DAY
from core.durations import SECONDS_PER_HOUR, hours_from_seconds
from core.errors import DomainError, NotFound
from reports.money import NO_MONEY, StoredMoney, nothing_is_priced, stored_money_aggregates, unpriced_money
from timetracking.models import Project, Tag, Task, TimeEntry, local_day_bounds

DIMENSIONS = ("day", "week", "month", "project", "task", "tag", "user")
TIME_DIMENSIONS = ("day", "week", "month")
MAX_GROUP_LEVELS = 2
MAX_RANGE_DAYS = 3 * 366 + 1
MAX_IDS = 100
HOUR = Decimal(SECONDS_PER_HOUR)
ZERO_DURATION = Value(timedelta(0), output_field=DurationField())
# An entry's length; only finished entries are reported, so ended_at is never NULL here.
DURATION = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())


class ReportError(DomainError):
    """The report's parameters were refused (400)."""


class ReportNotFound(ReportError, NotFound):
    """A user named in the filters is not visible to the viewer (404, as for any foreign object)."""


def duration_seconds(value):
    """A database duration sum -> whole seconds (int). None (no rows) is 0."""
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return value.days * 86400 + value.seconds + (1 if value.microseconds >= 500_000 else 0)
    return round(value / 1_000_000)  # some backends return microseconds


@dataclass(frozen=True)
class Person:
    """What a report needs of someone: the id and the time zone. `user=all` resolves to these, not
    to model instances (a company is thousands of people; make bench (f)). Duck-types `User` here."""

    pk: int
    timezone: str

    @property
    def tzinfo(self):
        return ZoneInfo(self.timezone)


@dataclass
class ReportFilters:
    """Resolved, validated report parameters (shared by summaries, overtime and exports)."""

    start: date
    end: date
    users: list = field(default_factory=list)
    projects: list = field(default_factory=list)
    tasks: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    billable: bool | None = None
    # user=all: the viewer whose visible, active people `users` are. The queries then select them
    # with a subquery per time zone instead of a list of (thousands of) ids in the SQL.
    everyone_of: User | None = None

    def members(self, zone, user_ids):
        """The right-hand side of `user_id__in` for the report's people in `zone`."""
        if self.everyone_of is None:
            return user_ids
        return User.objects.visible_to(self.everyone_of).filter(is_active=True, timezone=zone).values("pk")

    def as_params(self):
        """JSON-friendly form, stored on export jobs and rebuilt by `from_params`."""
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "users": [user.pk for user in self.users],
            "projects": self.projects,
            "tasks": self.tasks,
            "tags": self.tags,
            "billable": self.billable,
        }

    def single_user(self):
        """The one person of a one-person report, as a `User` (overtime needs their contract)."""
        (user,) = self.users
        return user if isinstance(user, User) else User.objects.get(pk=user.pk)

    @classmethod
    def from_params(cls, params):
        users = [Person(*row) for row in User.objects.filter(pk__in=params["users"]).values_list("pk", "timezone")]
        return cls(
            start=date.fromisoformat(params["from"]),
            end=date.fromisoformat(params["to"]),
            users=users,
            projects=params.get("projects", []),
            tasks=params.get("tasks", []),
            tags=params.get("tags", []),
            billable=params.get("billable"),
        )


# --- Parsing ---------------------------------------------------------------------------------


def _ids(raw, name):
    """'1,2' or ['1', '2'] -> [1, 2]; anything else is a field error."""
    values = []
    for chunk in raw or []:
        for part in str(chunk).split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or len(part) > 12:
                raise ReportError(gettext("Give {name} ids as whole numbers.").format(name=name), field=name)
            values.append(int(part))
    if len(values) > MAX_IDS:
        raise ReportError(gettext("At most {MAX_IDS} {name} ids.").format(MAX_IDS=MAX_IDS, name=name), field=name)
    return sorted(set(values))


def parse_date(raw, name, default):
    if raw in (None, ""):
        return default
    try:
        if len(raw) > 10:
            raise ValueError
        value = date.fromisoformat(raw)
    except ValueError:
        raise ReportError(gettext("Give a date as YYYY-MM-DD."), field=name) from None
    if not FIRST_DAY <= value <= LAST_DAY:
        # Far dates would overflow when turned into local day bounds.
        raise ReportError(
            gettext("Give a date between {FIRST_DAY} and {LAST_DAY}.").format(FIRST_DAY=FIRST_DAY, LAST_DAY=LAST_DAY),
            field=name,
        )
    return value


def parse_group_by(raw, *, default="day"):
    parts = [part.strip() for part in (raw or default).split(",") if part.strip()]
    if not parts or len(parts) > MAX_GROUP_LEVELS or len(raw or "") > 40:
        raise ReportError(
            gettext("Group by one or two of: {join} (e.g. week,project).").format(join=", ".join(DIMENSIONS)),
            field="group_by",
        )
    for part in parts:
        if part not in DIMENSIONS:
            raise ReportError(
                gettext("Unknown grouping {value}; use {join}.").format(
                    value=repr(part[:20]), join=", ".join(DIMENSIONS)
                ),
                field="group_by",
            )
    if len(set(parts)) != len(parts):
        raise ReportError(gettext("Group by two different dimensions."), field="group_by")
    return parts


def parse_bool(raw, name):
    if raw in (None, ""):
        return None
    value = str(raw).strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ReportError(gettext("Give true or false."), field=name)


def resolve_users(viewer, raw_ids, *, everyone=False):
    """The users the report covers. None/empty: the viewer; `everyone` (user=all): all the viewer
    may see (a manager: themself and their reports; HR: everyone). An id the viewer may not see
    is 404, exactly as if the user did not exist."""
    visible = User.objects.visible_to(viewer)
    if everyone:
        people = visible.filter(is_active=True).order_by("username").values_list("pk", "timezone")
        return [Person(*row) for row in people]
    ids = _ids(raw_ids, "user")
    if not ids:
        return [viewer]
    users = list(visible.filter(pk__in=ids).order_by("username"))
    if len(users) != len(ids):
        raise ReportNotFound(gettext("No such user."), field="user")
    return users


def parse_filters(viewer, query, *, today=None, default_days=30):
    """QueryDict/dict of the report's query parameters -> ReportFilters (raises ReportError)."""
    getlist = query.getlist if hasattr(query, "getlist") else lambda key: [query[key]] if key in query else []
    today = today or timezone.localdate(timezone=viewer.tzinfo)
    end = parse_date(query.get("to"), "to", today)
    start = parse_date(query.get("from"), "from", end - timedelta(days=default_days - 1))
    if start > end:
        raise ReportError(gettext("`to` must not be before `from`."), field="to")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ReportError(gettext("A report covers at most three years."), field="from")
    raw_users = getlist("user")
    everyone = any(str(value).strip() == "all" for value in raw_users)
    return ReportFilters(
        start=start,
        end=end,
        users=resolve_users(viewer, [] if everyone else raw_users, everyone=everyone),
        projects=_ids(getlist("project"), "project"),
        tasks=_ids(getlist("task"), "task"),
        tags=_ids(getlist("tag"), "tag"),
        billable=parse_bool(query.get("billable"), "billable"),
        everyone_of=viewer if everyone else None,
    )


# --- Queries ---------------------------------------------------------------------------------


def users_by_timezone(users):
    zones = defaultdict(list)
    for user in users:
        zones[user.timezone].append(user.pk)
    return dict(zones)


def filtered_entries(filters):
    """Finished entries matching the filters, without the date range (that is per zone)."""
    queryset = TimeEntry.objects.finished()
    if filters.projects:
        queryset = queryset.filter(project_id__in=filters.projects)
    if filters.tasks:
        queryset = queryset.filter(task_id__in=filters.tasks)
    if filters.tags:
        # EXISTS, not a join: a join would count an entry once per matching tag.
        tagged = TimeEntry.tags.through.objects.filter(timeentry_id=OuterRef("pk"), tag_id__in=filters.tags)
        queryset = queryset.filter(Exists(tagged))
    if filters.billable is not None:
        queryset = queryset.filter(billable=filters.billable)
    return queryset


def entries_in_scope(filters):
    """All matching entries of all the filters' users, each user on their own local days (one query)."""
    condition, starts, ends = Q(pk__in=[]), [], []
    for zone, user_ids in users_by_timezone(filters.users).items():
        start, end = local_day_bounds(filters.start, filters.end, ZoneInfo(zone))
        condition |= Q(user_id__in=filters.members(zone, user_ids), started_at__gte=start, started_at__lt=end)
        starts.append(start)
        ends.append(end)
    if not starts:
        return filtered_entries(filters).none()
    # The span of all zones' days, outside the OR: the planner can then range-scan the started_at
    # index (an OR of per-zone subqueries alone reads the whole table).
    return filtered_entries(filters).filter(condition, started_at__gte=min(starts), started_at__lt=max(ends))


# The grouped column of each non-time dimension; time dimensions are built per zone. Rows are
# grouped by these keys alone and labelled afterwards with one small query per dimension: grouping
# by the names too made PostgreSQL sort the whole month on disk instead of hashing ~200 groups.
_KEY_FIELDS = {
    "project": "project_id",
    "task": "task_id",
    "tag": "tags__id",
    "user": "user_id",
}
NO_PROJECT_COLOR = "#9ca3af"


def _time_bucket(dimension, tzinfo):
    if dimension == "day":
        return TruncDate("started_at", tzinfo=tzinfo)
    # Django's week truncation is the ISO week (Monday).
    return Trunc("started_at", dimension, output_field=DateField(), tzinfo=tzinfo)


def _labels(dimension, keys):
    """{key: {"<dimension>_name": ..., ...}} for the keys of one dimension (one query)."""
    ids = [key for key in keys if key is not None]
    if dimension == "project":
        labels = {
            pk: {"project_name": name, "project_color": color or NO_PROJECT_COLOR}
            for pk, name, color in Project.objects.filter(pk__in=ids).values_list("pk", "name", "color")
        }
        labels[None] = {"project_name": gettext("(no project)"), "project_color": NO_PROJECT_COLOR}
    elif dimension == "task":
        labels = {pk: {"task_name": name} for pk, name in Task.objects.filter(pk__in=ids).values_list("pk", "name")}
        labels[None] = {"task_name": gettext("(no task)")}
    elif dimension == "tag":
        labels = {pk: {"tag_name": name} for pk, name in Tag.objects.filter(pk__in=ids).values_list("pk", "name")}
        labels[None] = {"tag_name": gettext("(no tag)")}
    else:
        people = User.objects.filter(pk__in=ids).values_list("pk", "username", "first_name", "last_name")
        labels = {pk: {"user_name": f"{first} {last}".strip() or username} for pk, username, first, last in people}
    return labels


def _as_date(value):
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _scopes(filters, group_by):
    """(tzinfo, entries) to aggregate: one per time zone when a day, week or month is a group (the
    bucket is the owner's local one); otherwise a single query for everyone (entries_in_scope)."""
    if not any(dimension in TIME_DIMENSIONS for dimension in group_by):
        yield None, entries_in_scope(filters)
        return
    for zone, user_ids in users_by_timezone(filters.users).items():
        tzinfo = ZoneInfo(zone)
        start, end = local_day_bounds(filters.start, filters.end, tzinfo)
        yield tzinfo, filtered_entries(filters).filter(user_id__in=filters.members(zone, user_ids)).in_range(start, end)


def summarize(filters, group_by, *, money=None):
    """{"total": {...}, "rows": [{<dimension>: key, <dimension>_name: label, seconds, hours, ...}]}.

    `money` (a reports.money.MoneyView): what of the billed seconds, amounts and costs to add (MONEY_KEYS, null
    where not seen); without it, or when it sees nothing, they are null and no entry is priced."""
    # The money is read with the hours, from each entry's stored price (its `price_*` columns), in the
    # same aggregate: no entry is priced here. Without a rate or a rounding anywhere, billed is
    # billable and there is no amount to read, so no money column is summed.
    priced = money is not None and money.any and not nothing_is_priced()
    money_aggregates = stored_money_aggregates() if priced else {}
    merged = {}
    stored_by_key = defaultdict(StoredMoney)
    stored_total = StoredMoney()
    total_seconds = total_billable = total_entries = 0
    for tzinfo, queryset in _scopes(filters, group_by):
        annotations, fields = {}, []
        for dimension in group_by:
            if dimension in TIME_DIMENSIONS:
                annotations[f"bucket_{dimension}"] = _time_bucket(dimension, tzinfo)
                fields.append(f"bucket_{dimension}")
            else:
                fields.append(_KEY_FIELDS[dimension])
        rows = (
            queryset.annotate(**annotations)
            .order_by()
            .values(*fields)
            .annotate(
                total=Sum(DURATION),
                billable_total=Coalesce(Sum(DURATION, filter=Q(billable=True)), ZERO_DURATION),
                entries=Count("id"),
                **money_aggregates,
            )
        )
        for row in rows:
            key = tuple(
                _as_date(row[f"bucket_{dimension}"]) if dimension in TIME_DIMENSIONS else row[_KEY_FIELDS[dimension]]
                for dimension in group_by
            )
            bucket = merged.setdefault(key, {"seconds": 0, "billable": 0, "entries": 0})
            bucket["seconds"] += duration_seconds(row["total"])
            bucket["billable"] += duration_seconds(row["billable_total"])
            bucket["entries"] += row["entries"]
            if priced:
                stored_by_key[key].add(row)
                if "tag" not in group_by:
                    stored_total.add(row)
        if "tag" in group_by:
            # An entry with two tags is in two tag rows: the grand total is its own aggregate.
            totals = queryset.aggregate(
                total=Sum(DURATION),
                billable_total=Sum(DURATION, filter=Q(billable=True)),
                entries=Count("id"),
                **money_aggregates,
            )
            total_seconds += duration_seconds(totals["total"])
            total_billable += duration_seconds(totals["billable_total"])
            total_entries += totals["entries"]
            if priced:
                stored_total.add(totals)
    if "tag" not in group_by:
        total_seconds = sum(bucket["seconds"] for bucket in merged.values())
        total_billable = sum(bucket["billable"] for bucket in merged.values())
        total_entries = sum(bucket["entries"] for bucket in merged.values())

    labels = {
        position: _labels(dimension, {key[position] for key in merged})
        for position, dimension in enumerate(group_by)
        if dimension not in TIME_DIMENSIONS
    }
    if money is None or not money.any:
        money_by_key, money_total = {}, NO_MONEY
    elif not priced:
        # No rate and no rounding anywhere: billed is billable, and there is no amount to read.
        money_by_key = {key: unpriced_money(money, bucket["billable"]) for key, bucket in merged.items()}
        money_total = unpriced_money(money, total_billable)
    else:
        money_by_key = {key: stored.as_dict(money) for key, stored in stored_by_key.items()}
        money_total = stored_total.as_dict(money)
    result_rows = []
    for key in sorted(merged, key=_sort_key):
        bucket = merged[key]
        row = {}
        for dimension, value in zip(group_by, key, strict=True):
            row[dimension] = value
        for position, by_key in labels.items():
            row.update(by_key[key[position]])
        row.update(
            seconds=bucket["seconds"],
            billable_seconds=bucket["billable"],
            hours=hours_from_seconds(bucket["seconds"]),
            billable_hours=hours_from_seconds(bucket["billable"]),
            entries=bucket["entries"],
        )
        row.update(money_by_key.get(key, NO_MONEY))
        result_rows.append(row)
    return {
        "from": filters.start,
        "to": filters.end,
        "group_by": list(group_by),
        "users": [user.pk for user in filters.users],
        "money": money,  # what of the money was read (exports write its columns)
        "total": {
            "seconds": total_seconds,
            "billable_seconds": total_billable,
            "hours": hours_from_seconds(total_seconds),
            "billable_hours": hours_from_seconds(total_billable),
            "entries": total_entries,
            **money_total,
        },
        "rows": result_rows,
    }


def _sort_key(key):
    # None (no project/task/tag) sorts last; dates and ids sort naturally.
    return tuple((value is None, value if value is not None else 0) for value in key)


# --- Grouped with sub-groups (the /reports/ page) ----------------------------------------------


def group_label(dimension, row):
    """How a person reads a group's key: "Mon 16 Mar 2026", "Week 12 from 16 Mar 2026", "March 2026",
    or the project's / task's / tag's / person's name."""
    if dimension in TIME_DIMENSIONS:
        value = row[dimension]
        if dimension == "day":
            return date_format(value, "D j M Y")  # in the reader's language (Mo 16 Mär 2026)
        if dimension == "week":
            return gettext("Week {number} from {day}").format(
                number=value.isocalendar().week, day=date_format(value, "j M Y")
            )
        return date_format(value, "F Y")
    return row[f"{dimension}_name"]


def summarize_grouped(filters, group_by, sub_group=None, *, money=None):
    """Groups of `group_by`, each with its sub-groups of `sub_group` (or none): the /reports/ page's
    table and chart. The rows are `summarize(filters, [group_by, sub_group])`'s, exactly what the
    summary export of `group_by=<group_by>,<sub_group>` writes; each group's own figures come from
    `summarize(filters, [group_by])` (an entry with two tags is in two tag sub-groups, once in its
    group). {"total": ..., "group_by", "sub_group", "groups": [{key, label, color, seconds, ...,
    "children": [{key, label, color, seconds, ...}]}], "sub_groups": [{key, label, color}]}."""
    if sub_group is not None and sub_group == group_by:
        raise ReportError(gettext("Choose a sub-group other than the grouping."), field="sub_group")
    outer = summarize(filters, [group_by], money=money)
    groups, by_key = [], {}
    for row in outer["rows"]:
        group = _group_entry(group_by, row)
        group["children"] = []
        groups.append(group)
        by_key[row[group_by]] = group
    sub_groups = {}
    if sub_group is not None:
        for row in summarize(filters, [group_by, sub_group])["rows"]:
            child = _group_entry(sub_group, row)
            by_key[row[group_by]]["children"].append(child)
            sub_groups.setdefault(child["key"], {"key": child["key"], "label": child["label"], "color": child["color"]})
    groups.sort(key=_group_order(group_by))
    for group in groups:
        group["children"].sort(key=_group_order(sub_group))
    return {
        "from": filters.start,
        "to": filters.end,
        "group_by": group_by,
        "sub_group": sub_group,
        "total": outer["total"],
        "groups": groups,
        "sub_groups": sorted(sub_groups.values(), key=_group_order(sub_group)),
    }


def _group_order(dimension):
    """Days, weeks and months in time order; names alphabetically, "(no project)" and the like last."""
    if dimension in TIME_DIMENSIONS:
        return lambda entry: entry["key"]
    return lambda entry: (entry["key"] is None, entry["label"].casefold(), entry["key"] or 0)


def _group_entry(dimension, row):
    return {
        "key": row[dimension],
        "label": group_label(dimension, row),
        "color": row.get("project_color") if dimension == "project" else None,
        "seconds": row["seconds"],
        "billable_seconds": row["billable_seconds"],
        "hours": row["hours"],
        "billable_hours": row["billable_hours"],
        "entries": row["entries"],
        # The money of the group, when summarize was asked for it (reports.money.MoneyView).
        "billed_seconds": row.get("billed_seconds"),
        "amount": row.get("amount"),
        "cost": row.get("cost"),
        "currency": row.get("currency"),
    }
