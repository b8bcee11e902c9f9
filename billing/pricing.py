"""The money of time entries: which rate applies to an entry, its billed seconds, amount and cost.

The rate of an entry is the most specific rate valid on the entry's local day (its owner's time
zone): person on the project, then task, project, client, company default (in the client's
currency). Each target's rate is valid from its day until the next one of the same target, so a
change mid-month prices the days after it and never the days before.

The billed seconds are the tracked ones rounded by the project's rounding (billing.rounding); for a
day-scoped rounding, a person's whole day on the project is rounded, over all its finished billable
entries whatever a report filters, so that the entries list, the summary and (later) an invoice
agree. The amount is billed hours × billable rate, the cost tracked hours × cost rate, each rounded
to the currency's minor unit per entry; a group's amount is the sum of its entries' amounts.

Everything is read in a constant number of queries for any number of entries: the projects (with
their client's currency and their rounding), the rates of the entries' targets, the owners' time
zones when the rows lack them, and the other entries of day-rounded days when there are any.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from accounts.models import User
from billing.currencies import round_money
from billing.models import LEVELS_MOST_SPECIFIC_FIRST, Rate, RateKind, RateLevel
from billing.rounding import Rounding, billed_seconds
from billing.services.settings import default_currency, default_rounding
from timetracking.models import Project, TimeEntry

HOUR = Decimal(3600)


@dataclass(frozen=True)
class ResolvedRate:
    """A rate as it applies to an entry: per hour, in `currency`, from the rate `rate_id` of `level`."""

    amount: Decimal
    currency: str
    level: str
    rate_id: int


@dataclass(frozen=True)
class EntryPrice:
    """An entry's money. `billed_seconds`, `amount` and `cost` are None while it runs; `amount` is
    None without a billable rate, `cost` without a cost rate; a non-billable entry bills 0 seconds."""

    currency: str
    rate: ResolvedRate | None
    cost_rate: ResolvedRate | None
    billed_seconds: int | None
    amount: Decimal | None
    cost: Decimal | None


@dataclass(frozen=True)
class ProjectTerms:
    client_id: int | None
    currency: str
    rounding: Rounding


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_day(moment: datetime, timezone_name: str) -> date:
    return moment.astimezone(_zone(timezone_name)).date()


class RateBook:
    """The rates of a set of targets, each target's history in order of its first day."""

    def __init__(self, rates: Iterable[Mapping[str, Any]]) -> None:
        self._history: dict[tuple[Any, ...], list[tuple[date, Decimal, int]]] = defaultdict(list)
        for rate in rates:
            key = self._key(
                rate["kind"],
                rate["level"],
                rate["currency"],
                client_id=rate["client_id"],
                project_id=rate["project_id"],
                task_id=rate["task_id"],
                user_id=rate["user_id"],
            )
            self._history[key].append((rate["valid_from"], rate["amount"], rate["id"]))
        for history in self._history.values():
            history.sort()

    @staticmethod
    def _key(kind: str, level: str, currency: str, **targets: int | None) -> tuple[Any, ...]:
        if level == RateLevel.COMPANY:
            return (kind, level, currency)
        if level == RateLevel.CLIENT:
            return (kind, level, currency, targets["client_id"])
        if level == RateLevel.PROJECT:
            return (kind, level, currency, targets["project_id"])
        if level == RateLevel.TASK:
            return (kind, level, currency, targets["task_id"])
        return (kind, level, currency, targets["user_id"], targets["project_id"])

    @classmethod
    def load(
        cls,
        *,
        client_ids: Iterable[int],
        project_ids: Iterable[int],
        task_ids: Iterable[int],
        until: date | None = None,
    ) -> RateBook:
        """Every rate that may apply to entries on these targets (one query)."""
        targets = (
            Q(level=RateLevel.COMPANY)
            | Q(level=RateLevel.CLIENT, client_id__in=set(client_ids))
            | Q(level__in=[RateLevel.PROJECT, RateLevel.USER_ON_PROJECT], project_id__in=set(project_ids))
            | Q(level=RateLevel.TASK, task_id__in=set(task_ids))
        )
        rates = Rate.objects.filter(targets)
        if until is not None:
            rates = rates.filter(valid_from__lte=until)
        return cls(
            rates.values(
                "id",
                "kind",
                "level",
                "currency",
                "client_id",
                "project_id",
                "task_id",
                "user_id",
                "amount",
                "valid_from",
            )
        )

    def resolve(
        self,
        kind: str,
        *,
        currency: str,
        day: date,
        user_id: int,
        client_id: int | None,
        project_id: int | None,
        task_id: int | None,
    ) -> ResolvedRate | None:
        """The most specific rate of `kind` valid on `day` for an entry on these targets."""
        for level in LEVELS_MOST_SPECIFIC_FIRST:
            if level in (RateLevel.USER_ON_PROJECT, RateLevel.PROJECT) and project_id is None:
                continue
            if level == RateLevel.TASK and task_id is None:
                continue
            if level == RateLevel.CLIENT and client_id is None:
                continue
            key = self._key(
                kind, level, currency, client_id=client_id, project_id=project_id, task_id=task_id, user_id=user_id
            )
            history = self._history.get(key)
            if not history:
                continue
            position = bisect.bisect_right(history, (day, Decimal("Infinity"), 0)) - 1
            if position >= 0:
                _, amount, rate_id = history[position]
                return ResolvedRate(amount=amount, currency=currency, level=level, rate_id=rate_id)
        return None


def project_terms(project_ids: Iterable[int]) -> dict[int | None, ProjectTerms]:
    """Each project's client, currency and rounding (one query); None: entries without a project."""
    currency, rounding = default_currency(), default_rounding()
    terms: dict[int | None, ProjectTerms] = {None: ProjectTerms(client_id=None, currency=currency, rounding=rounding)}
    rows = Project.objects.filter(pk__in=set(project_ids)).values_list(
        "pk",
        "client_id",
        "client__billing__currency",
        "billing__rounding_mode",
        "billing__rounding_minutes",
        "billing__rounding_scope",
    )
    for pk, client_id, client_currency, mode, minutes, scope in rows:
        own = Rounding(mode=mode, minutes=minutes, scope=scope) if mode is not None else rounding
        terms[pk] = ProjectTerms(client_id=client_id, currency=client_currency or currency, rounding=own)
    return terms


def _timezones(rows: list[Mapping[str, Any]]) -> dict[int, str]:
    if all("user__timezone" in row for row in rows):
        return {row["user_id"]: row["user__timezone"] for row in rows}
    user_ids = {row["user_id"] for row in rows}
    return dict(User.objects.filter(pk__in=user_ids).values_list("pk", "timezone"))


def _seconds(row: Mapping[str, Any]) -> int:
    return int((row["ended_at"] - row["started_at"]).total_seconds())


def _on_projects(project_ids: set[int | None]) -> Q:
    condition = Q(project_id__in=[pk for pk in project_ids if pk is not None])
    return condition | Q(project_id__isnull=True) if None in project_ids else condition


def _day_rounded_billed(
    rows: list[Mapping[str, Any]], days: dict[int, date], terms: dict[int | None, ProjectTerms], zones: dict[int, str]
) -> dict[int, int]:
    """Billed seconds of the entries of day-rounded days: each (person, project, local day) rounded
    over all its finished billable entries, read in one query (the rows may be only some of them)."""
    wanted = {
        (row["user_id"], row["project_id"], days[row["id"]])
        for row in rows
        if row["ended_at"] is not None and row["billable"] and terms[row["project_id"]].rounding.scope == "day"
    }
    if not wanted:
        return {}
    user_ids = {user_id for user_id, _, _ in wanted}
    project_ids = {project_id for _, project_id, _ in wanted}
    first, last = min(day for _, _, day in wanted), max(day for _, _, day in wanted)
    # Local days of any zone lie within a day of the UTC ones.
    start = datetime.combine(first - timedelta(days=1), datetime.min.time(), tzinfo=_zone("UTC"))
    end = datetime.combine(last + timedelta(days=2), datetime.min.time(), tzinfo=_zone("UTC"))
    companions = (
        TimeEntry.objects.finished()
        .filter(billable=True, user_id__in=user_ids, started_at__gte=start, started_at__lt=end)
        .filter(_on_projects(project_ids))
        .order_by("started_at", "id")
        .values_list("id", "user_id", "project_id", "started_at", "ended_at")
    )
    groups: dict[tuple[int, int | None, date], list[tuple[int, int]]] = defaultdict(list)
    for entry_id, user_id, project_id, started_at, ended_at in companions:
        key = (user_id, project_id, local_day(started_at, zones[user_id]))
        if key in wanted and ended_at is not None:  # finished(): never None
            groups[key].append((entry_id, int((ended_at - started_at).total_seconds())))
    billed: dict[int, int] = {}
    for (_, day_project_id, _), day_entries in groups.items():
        rounded = billed_seconds([seconds for _, seconds in day_entries], terms[day_project_id].rounding)
        billed.update(zip([day_entry_id for day_entry_id, _ in day_entries], rounded, strict=True))
    return billed


def price_entries(
    rows: Iterable[Mapping[str, Any]],
    *,
    terms: dict[int | None, ProjectTerms] | None = None,
    book: RateBook | None = None,
) -> dict[int, EntryPrice]:
    """{entry id: EntryPrice} for rows with id, user_id, project_id, task_id, started_at, ended_at and
    billable (and optionally user__timezone, which saves a query). `terms` and `book` may be loaded
    once for many calls (an export priced chunk by chunk: its queries then do not grow with rows);
    they must cover the rows' projects and targets."""
    rows = list(rows)
    if not rows:
        return {}
    zones = _timezones(rows)
    if terms is None:
        terms = project_terms(row["project_id"] for row in rows if row["project_id"] is not None)
    days = {row["id"]: local_day(row["started_at"], zones[row["user_id"]]) for row in rows}
    if book is None:
        book = RateBook.load(
            client_ids={term.client_id for term in terms.values() if term.client_id is not None},
            project_ids={row["project_id"] for row in rows if row["project_id"] is not None},
            task_ids={row["task_id"] for row in rows if row["task_id"] is not None},
            until=max(days.values()),
        )
    day_billed = _day_rounded_billed(rows, days, terms, zones)
    prices = {}
    for row in rows:
        term = terms[row["project_id"]]
        targets = {
            "currency": term.currency,
            "day": days[row["id"]],
            "user_id": row["user_id"],
            "client_id": term.client_id,
            "project_id": row["project_id"],
            "task_id": row["task_id"],
        }
        rate = book.resolve(RateKind.BILLABLE, **targets)
        cost_rate = book.resolve(RateKind.COST, **targets)
        if row["ended_at"] is None:
            prices[row["id"]] = EntryPrice(term.currency, rate, cost_rate, None, None, None)
            continue
        tracked = _seconds(row)
        if not row["billable"]:
            billed = 0
        elif row["id"] in day_billed:
            billed = day_billed[row["id"]]
        else:
            billed = billed_seconds([tracked], Rounding(term.rounding.mode, term.rounding.minutes, "entry"))[0]
        amount = None if rate is None else round_money(rate.amount * billed / HOUR, term.currency)
        cost = None if cost_rate is None else round_money(cost_rate.amount * tracked / HOUR, term.currency)
        prices[row["id"]] = EntryPrice(term.currency, rate, cost_rate, billed, amount, cost)
    return prices


# --- Who sees what -----------------------------------------------------------------------------


def sees_costs(user: User) -> bool:
    """Cost rates and costs: HR and managers; an employee never."""
    return bool(user.is_authenticated and (user.is_hr or user.is_manager))


def sees_amounts(user: User) -> bool:
    """Billable rates and amounts: HR and managers; employees when BILLING_EMPLOYEES_SEE_RATES is on."""
    return sees_costs(user) or bool(user.is_authenticated and settings.BILLING_EMPLOYEES_SEE_RATES)
