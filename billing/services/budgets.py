"""Budgets: their usage, their writes, the refusal of time past a used-up budget, and the alerts.

Usage of a budget in a period: over the finished entries of its project (a client budget: of all
the client's projects) whose local day (the owner's time zone, as billing prices an entry) is in the
period, the hours are the billed hours of the billable entries (tracked, rounded by the project's
rounding: billing.pricing) plus the tracked hours of the non-billable ones, and the amount is the sum
of the billable amounts in the budget's currency. A total budget's period is the project's whole
life; a monthly budget's is the calendar month (the current one: the company's today, TIME_ZONE).

The percentage used is the larger of hours used / hours and amount used / amount. Crossing one of the
budget's thresholds sends one alert per threshold and period (BudgetAlert's unique constraint holds
that under concurrency): an e-mail through the outbox to the project's managers and HR, and a webhook
event `budget.threshold_reached`. A budget with `refuse_when_exceeded` refuses (409
`budget_exceeded`) a write that adds time to its project once it is used up.

HR sets any budget; a project's managers (the managers of its members) set their projects' budgets;
a client's budget is HR's. Every write is audited.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.services import audit_changes, audit_record, email_queue
from billing.budget_models import (
    BUDGET_AMOUNT_MAX_DIGITS,
    BUDGET_HOURS_MAX_DIGITS,
    DEFAULT_THRESHOLDS,
    THRESHOLD_MAX,
    THRESHOLD_MIN,
    Budget,
    BudgetAlert,
    BudgetPeriod,
)
from billing.currencies import MINOR_UNITS, round_money
from billing.models import managed_projects
from billing.pricing import RateBook, local_day, price_entries
from billing.services.errors import BillingConflict, BillingError, BillingForbidden
from billing.services.settings import client_currency
from core.days import FIRST_DAY
from core.tasks import enqueue_on_commit
from timetracking.models import Client, Project, TimeEntry
from webhooks.services import outbox_publish

NOT_ALLOWED = gettext_lazy("Only HR and the managers of a project set its budget.")
THRESHOLD_EVENT = "budget.threshold_reached"
MAX_THRESHOLDS = 10
HUNDRED = Decimal(100)
HOUR = Decimal(3600)


class BudgetExceeded(BillingConflict):
    """A write would add time to a project past its used-up budget (409 `budget_exceeded`)."""

    default_code = "budget_exceeded"


# --- Periods and usage --------------------------------------------------------------------------


def company_today() -> date:
    return timezone.localdate()


def period_bounds(period: str, day: date) -> tuple[date, date | None]:
    """The first and last day of the period of `day`: the month, or (total) from FIRST_DAY on."""
    if period == BudgetPeriod.MONTH:
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    return FIRST_DAY, None


@dataclass(frozen=True)
class Usage:
    period_start: date
    period_end: date | None
    hours: Decimal
    amount: Decimal
    percent: Decimal  # the larger of the hours' and the amount's share, one decimal

    @property
    def exceeded(self) -> bool:
        return self.percent > HUNDRED


def _percent(used: Decimal, limit: Decimal | None) -> Decimal | None:
    if limit is None:
        return None
    if limit == 0:
        return Decimal("Infinity") if used > 0 else HUNDRED
    return used * HUNDRED / limit


def _usage(budget: Budget, start: date, end: date | None, seconds: int, amount: Decimal) -> Usage:
    hours = (Decimal(seconds) / HOUR).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    shares = [
        share
        for share in (
            _percent(Decimal(seconds) / HOUR, budget.hours),
            _percent(amount, budget.amount),
        )
        if share is not None
    ]
    percent = max(shares) if shares else Decimal(0)
    # A zero budget with time on it is used up "infinitely": capped to what the alert row stores.
    percent = percent.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if percent.is_finite() else Decimal("999999.9")
    return Usage(start, end, hours, round_money(amount, budget.currency), percent)


def _budget_projects(budgets: Iterable[Budget]) -> dict[int, set[int]]:
    """{budget id: its project ids} (a client budget: the client's projects, one query)."""
    budgets = list(budgets)
    client_ids = {budget.client_id for budget in budgets if budget.client_id is not None}
    by_client: dict[int, set[int]] = defaultdict(set)
    if client_ids:
        for pk, client_id in Project.objects.filter(client_id__in=client_ids).values_list("pk", "client_id"):
            by_client[client_id].add(pk)
    return {
        budget.pk: {budget.project_id} if budget.project_id is not None else by_client[budget.client_id]  # type: ignore[index]
        for budget in budgets
    }


def budget_usages(budgets: Iterable[Budget], *, day: date | None = None) -> dict[int, Usage]:
    """{budget id: Usage} in the period of `day` (default: the company's today), for any number of
    budgets in a constant number of queries: the client budgets' projects, the entries, and the
    pricing's (projects' terms, rates, day-rounded days)."""
    budgets = list(budgets)
    if not budgets:
        return {}
    day = day or company_today()
    projects = _budget_projects(budgets)
    bounds = {budget.pk: period_bounds(budget.period, day) for budget in budgets}
    condition = Q(pk__in=[])
    for budget in budgets:
        if not projects[budget.pk]:
            continue
        start, end = bounds[budget.pk]
        part = Q(project_id__in=projects[budget.pk])
        if end is not None:
            # Local days of any zone lie within a day of the UTC ones; the exact day is checked below.
            part &= Q(started_at__gte=datetime.combine(start - timedelta(days=1), datetime.min.time(), tzinfo=UTC))
            part &= Q(started_at__lt=datetime.combine(end + timedelta(days=2), datetime.min.time(), tzinfo=UTC))
        condition |= part
    rows = list(
        TimeEntry.objects.finished()
        .filter(condition)
        .values("id", "user_id", "project_id", "task_id", "started_at", "ended_at", "billable", "user__timezone")
    )
    # Hours only: no rate is read (an empty book prices nothing; the billed seconds need no rate).
    prices = price_entries(rows, book=None if any(budget.amount is not None for budget in budgets) else RateBook([]))
    seconds: dict[int, int] = defaultdict(int)
    amounts: dict[int, Decimal] = defaultdict(Decimal)
    by_project: dict[int, list[Budget]] = defaultdict(list)
    for budget in budgets:
        for project_id in projects[budget.pk]:
            by_project[project_id].append(budget)
    for row in rows:
        entry_day = local_day(row["started_at"], row["user__timezone"])
        price = prices[row["id"]]
        ended_at = row["ended_at"]
        assert ended_at is not None  # finished() entries only
        tracked = int((ended_at - row["started_at"]).total_seconds())
        billed = price.billed_seconds if row["billable"] and price.billed_seconds is not None else tracked
        for budget in by_project[row["project_id"]]:
            start, end = bounds[budget.pk]
            if entry_day < start or (end is not None and entry_day > end):
                continue
            seconds[budget.pk] += billed
            if price.amount is not None and price.currency == budget.currency:
                amounts[budget.pk] += price.amount
    return {budget.pk: _usage(budget, *bounds[budget.pk], seconds[budget.pk], amounts[budget.pk]) for budget in budgets}


def budgets_of_project(project_id: int) -> list[Budget]:
    """The budgets that count a project's time: its own and its client's (one query)."""
    client = Project.objects.filter(pk=project_id).values("client_id")
    return list(
        Budget.objects.filter(Q(project_id=project_id) | Q(client_id__in=client, client_id__isnull=False)).order_by(
            "pk"
        )
    )


# --- Writes -------------------------------------------------------------------------------------


def can_set_budgets(user: User) -> bool:
    """Who may write budgets at all (the API's permission): HR and managers."""
    return bool(user.is_authenticated and (user.is_hr or user.is_manager))


def _audited(budget: Budget) -> dict[str, Any]:
    return {
        "project_id": budget.project_id,
        "client_id": budget.client_id,
        "hours": None if budget.hours is None else Decimal(budget.hours).quantize(Decimal("0.01")),
        "amount": None if budget.amount is None else round_money(Decimal(budget.amount), budget.currency),
        "currency": budget.currency,
        "period": budget.period,
        "thresholds": list(budget.thresholds),
        "refuse_when_exceeded": budget.refuse_when_exceeded,
    }


def _check_actor(actor: User, *, project: Project | None, client: Client | None) -> None:
    """HR sets any budget; a manager those of the projects they manage (another project is one they
    cannot see in billing: a field error, as for rates); a client's budget is HR's."""
    if actor.is_hr:
        return
    if not actor.is_manager or client is not None:
        raise BillingForbidden(str(NOT_ALLOWED))
    assert project is not None
    if not managed_projects(actor).filter(pk=project.pk).exists():
        raise BillingError(_("No such project."), field="project", code="does_not_exist")


def _check_limit(value: Any, field: str, *, places: int, max_digits: int) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite():
        raise BillingError(_("Give a decimal number."), field=field)
    if value < 0:
        raise BillingError(_("A budget is never negative."), field=field, code="negative")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise BillingError(_("At most %(places)d decimal places.") % {"places": places}, field=field, code="precision")
    if value >= Decimal(10) ** (max_digits - 3):
        raise BillingError(_("That budget is too large."), field=field, code="too_large")
    return value


def _check_thresholds(thresholds: Any) -> list[int]:
    if thresholds is None:
        return list(DEFAULT_THRESHOLDS)
    if not isinstance(thresholds, list | tuple) or not thresholds:
        raise BillingError(_("Give one or more percentages, e.g. [80, 100]."), field="thresholds")
    if len(thresholds) > MAX_THRESHOLDS:
        raise BillingError(
            _("At most %(count)d thresholds.") % {"count": MAX_THRESHOLDS}, field="thresholds", code="too_many"
        )
    cleaned = set()
    for threshold in thresholds:
        if isinstance(threshold, bool) or not isinstance(threshold, int):
            raise BillingError(_("A threshold is a whole percentage."), field="thresholds")
        if not THRESHOLD_MIN <= threshold <= THRESHOLD_MAX:
            raise BillingError(
                _("A threshold is between %(low)d and %(high)d %%.") % {"low": THRESHOLD_MIN, "high": THRESHOLD_MAX},
                field="thresholds",
                code="out_of_range",
            )
        cleaned.add(threshold)
    return sorted(cleaned)


def _check_period(period: Any) -> str:
    if period not in BudgetPeriod.values:
        raise BillingError(
            _("A period is one of %(choices)s.") % {"choices": ", ".join(BudgetPeriod.values)},
            field="period",
            code="invalid_choice",
        )
    return str(period)


def _fill(budget: Budget, data: Mapping[str, Any]) -> None:
    """Check and set the fields of `data` on `budget` (its target and currency are set)."""
    places = MINOR_UNITS[budget.currency]
    if "hours" in data:
        budget.hours = _check_limit(data["hours"], "hours", places=2, max_digits=BUDGET_HOURS_MAX_DIGITS)
    if "amount" in data:
        amount = _check_limit(data["amount"], "amount", places=places, max_digits=BUDGET_AMOUNT_MAX_DIGITS)
        budget.amount = None if amount is None else round_money(amount, budget.currency)
    if budget.hours is None and budget.amount is None:
        raise BillingError(_("Give the budget in hours, in money or both."), field="hours", code="required")
    if "period" in data:
        budget.period = _check_period(data["period"])
    if "thresholds" in data:
        budget.thresholds = _check_thresholds(data["thresholds"])
    if "refuse_when_exceeded" in data:
        budget.refuse_when_exceeded = bool(data["refuse_when_exceeded"])


def _currency_of(*, project: Project | None, client: Client | None) -> str:
    """A money budget is in the client's currency, the company default when the client has none set
    (or the project no client): the currency the project's entries are priced in."""
    return client_currency(client if client is not None else project.client if project is not None else None)


BUDGET_FIELDS = ("hours", "amount", "period", "thresholds", "refuse_when_exceeded")


@transaction.atomic
def budget_create(
    *,
    actor: User,
    project: Project | None = None,
    client: Client | None = None,
    hours: Decimal | None = None,
    amount: Decimal | None = None,
    period: str = BudgetPeriod.TOTAL,
    thresholds: list[int] | None = None,
    refuse_when_exceeded: bool = False,
) -> Budget:
    """The budget of `project` or of `client` (one of them; each has at most one budget)."""
    if (project is None) == (client is None):
        raise BillingError(_("A budget is of a project or of a client: give one of them."), field="project")
    _check_actor(actor, project=project, client=client)
    if Budget.objects.filter(Q(project=project) if project is not None else Q(client=client)).exists():
        field = "project" if project is not None else "client"
        raise BillingError(_("It has a budget already: change that one."), field=field, code="duplicate")
    budget = Budget(project=project, client=client, currency=_currency_of(project=project, client=client))
    _fill(
        budget,
        {
            "hours": hours,
            "amount": amount,
            "period": period,
            "thresholds": thresholds,
            "refuse_when_exceeded": refuse_when_exceeded,
        },
    )
    try:
        with transaction.atomic():  # a budget created at the same moment fails on the one-to-one
            budget.save()
    except IntegrityError:
        field = "project" if project is not None else "client"
        raise BillingError(_("It has a budget already: change that one."), field=field, code="duplicate") from None
    audit_record(actor=actor, action="billing.budget_created", obj=budget, changes=audit_changes({}, _audited(budget)))
    _rearm(budget)
    return budget


@transaction.atomic
def budget_update(*, actor: User, budget: Budget, data: Mapping[str, Any]) -> Budget:
    """Change a budget's limits, period, thresholds or refusal. Its target is what it is."""
    fixed = set(data) - set(BUDGET_FIELDS)
    if fixed:
        raise BillingError(
            _("A budget's project or client cannot change: create another budget."),
            field=sorted(fixed)[0],
            code="not_editable",
        )
    # Locked: two changes at once would each audit a "before" the other overwrote.
    budget = (
        Budget.objects.select_for_update(of=("self",)).select_related("project__client", "client").get(pk=budget.pk)
    )
    _check_actor(actor, project=budget.project, client=budget.client)
    before = _audited(budget)
    if "amount" in data and data["amount"] is not None and budget.amount is None:
        # A budget gaining money now is in the client's currency now.
        budget.currency = _currency_of(project=budget.project, client=budget.client)
    _fill(budget, data)
    budget.save()
    changes = audit_changes(before, _audited(budget))
    if changes:
        audit_record(actor=actor, action="billing.budget_updated", obj=budget, changes=changes)
        _rearm(budget)
    return budget


@transaction.atomic
def budget_delete(*, actor: User, budget: Budget) -> None:
    budget = Budget.objects.select_for_update(of=("self",)).select_related("project", "client").get(pk=budget.pk)
    _check_actor(actor, project=budget.project, client=budget.client)
    audit_record(actor=actor, action="billing.budget_deleted", obj=budget, changes=audit_changes(_audited(budget), {}))
    budget.delete()


def budget_set(
    *, actor: User, project: Project | None = None, client: Client | None = None, data: Mapping[str, Any]
) -> Budget | None:
    """The projects/ and clients/ fields: create, change or (hours and amount both null) remove the
    budget of `project` or `client`. Returns the budget, None once removed."""
    existing = (
        Budget.objects.filter(project=project).first() if project else Budget.objects.filter(client=client).first()
    )
    cleared = data.get("hours", existing.hours if existing else None) is None and (
        data.get("amount", existing.amount if existing else None) is None
    )
    if existing is None:
        if cleared:
            if "hours" in data or "amount" in data:
                return None  # nothing to remove
            raise BillingError(_("Give the budget in hours, in money or both."), field="budget_hours", code="required")
        return budget_create(actor=actor, project=project, client=client, **data)
    if cleared:
        budget_delete(actor=actor, budget=existing)
        return None
    return budget_update(actor=actor, budget=existing, data=data)


def _rearm(budget: Budget) -> None:
    """After a change of a budget: the alerts of the current period whose threshold it is no longer
    at are forgotten (raising a budget re-arms them), and the ones it now reaches are sent."""
    usage = budget_usages([budget])[budget.pk]
    BudgetAlert.objects.filter(budget=budget, period_start=usage.period_start).exclude(
        threshold__in=[threshold for threshold in budget.thresholds if usage.percent >= threshold]
    ).delete()
    if budget.project_id is not None:
        _queue_check(budget.project_id, company_today())


# --- Refusing time past a used-up budget (timetracking's entry-write hook) ----------------------


def _adds_time(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> bool:
    """Whether a write puts more time on `after`'s project than was there: a new entry, one moved to
    the project, or one that grew (a timer stopped, a longer end)."""
    if before is None or before["project"] != after["project"]:
        return True
    if before["ended_at"] is None:
        return after["ended_at"] is not None
    if after["ended_at"] is None:
        return True
    return (after["ended_at"] - after["started_at"]) > (before["ended_at"] - before["started_at"]) or (
        after["billable"] and not before["billable"]
    )


def check_entry_write(*, entry: TimeEntry, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> None:
    """Registered with timetracking (billing.apps): refuse a write that adds time to a project whose
    budget refuses time once used up, and check the budgets' thresholds once it commits."""
    if after is None or after["project"] is None:
        return
    project_id = after["project"]
    budgets = budgets_of_project(project_id)
    if not budgets:
        return
    day = local_day(after["started_at"], entry.user.timezone)
    _queue_check(project_id, day)
    refusing = [budget for budget in budgets if budget.refuse_when_exceeded]
    if not refusing or not _adds_time(before, after):
        return
    # Locked: two entries at once would each see the budget with room left and both be saved.
    list(Budget.objects.select_for_update().filter(pk__in=[budget.pk for budget in refusing]).values_list("pk"))
    usages = budget_usages(refusing, day=day)
    for budget in refusing:
        usage = usages[budget.pk]
        running = after["ended_at"] is None
        if usage.exceeded or (running and usage.percent >= HUNDRED):
            raise BudgetExceeded(
                _("The budget of %(target)s is used up (%(percent)s %%): no more time can be logged to it.")
                % {"target": budget.project or budget.client, "percent": usage.percent}
            )


# --- Alerts -------------------------------------------------------------------------------------


def _queue_check(project_id: int, day: date) -> None:
    from billing.tasks import budget_alerts_check_task  # cycle: billing.tasks imports this module

    enqueue_on_commit(budget_alerts_check_task, project_id, day.isoformat(), lost="the next entry write checks again")


def alert_recipients(budget: Budget) -> list[User]:
    """The managers of the budget's project (of the client's projects) and HR; active, with an e-mail."""
    projects = Project.objects.filter(
        Q(pk=budget.project_id) if budget.project_id is not None else Q(client_id=budget.client_id)
    )
    membership = Project.members.through.objects.filter(project__in=projects, user__manager_id=OuterRef("pk"))
    hr_membership = User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=settings.HR_GROUP_NAME)
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Exists(hr_membership) | Exists(membership))
        .exclude(email="")
        .order_by("pk")
    )


def _payload(budget: Budget, usage: Usage, threshold: int) -> dict[str, Any]:
    return {
        "budget": budget.pk,
        "project": budget.project_id,
        "client": budget.client_id,
        "threshold": threshold,
        "period": budget.period,
        "period_start": usage.period_start.isoformat(),
        "period_end": None if usage.period_end is None else usage.period_end.isoformat(),
        "hours": None if budget.hours is None else str(budget.hours),
        "amount": None if budget.amount is None else str(round_money(budget.amount, budget.currency)),
        "currency": budget.currency,
        "used_hours": str(usage.hours),
        "used_amount": str(usage.amount),
        "used_percent": str(usage.percent),
    }


def _send(budget: Budget, usage: Usage, threshold: int) -> None:
    target = budget.project or budget.client
    period = (
        _("in %(month)s") % {"month": usage.period_start.strftime("%B %Y")}
        if budget.period == BudgetPeriod.MONTH
        else _("in total")
    )
    subject = _("Budget %(threshold)d %% reached: %(target)s") % {"threshold": threshold, "target": target}
    lines = [
        _("The budget of %(target)s is %(percent)s %% used %(period)s (the alert is at %(threshold)d %%).")
        % {"target": target, "percent": usage.percent, "period": period, "threshold": threshold}
    ]
    if budget.hours is not None:
        lines.append(_("Hours: %(used)s of %(limit)s.") % {"used": usage.hours, "limit": budget.hours})
    if budget.amount is not None:
        lines.append(
            _("Amount: %(used)s of %(limit)s %(currency)s.")
            % {"used": usage.amount, "limit": round_money(budget.amount, budget.currency), "currency": budget.currency}
        )
    if budget.refuse_when_exceeded:
        lines.append(_("Once it is used up, no more time can be logged to it."))
    body = "\n".join(lines)
    for recipient in alert_recipients(budget):
        email_queue(user_id=recipient.pk, subject=subject, body=body)
    outbox_publish(event_type=THRESHOLD_EVENT, payload=_payload(budget, usage, threshold))


def budget_alerts_check(*, project_id: int, day: date) -> int:
    """Send the alerts the budgets counting `project_id` have reached in the period of `day`, each
    once; returns how many were sent. Two checks at once both compute the usage, but only one
    inserts an alert row (the other fails on the unique constraint and sends nothing): each alert's
    e-mails and webhook event are queued in the transaction of its row."""
    sent = 0
    budgets = budgets_of_project(project_id)
    if not budgets:
        return 0
    usages = budget_usages(budgets, day=day)
    for budget in budgets:
        usage = usages[budget.pk]
        for threshold in sorted(budget.thresholds):
            if usage.percent < threshold:
                break
            try:
                with transaction.atomic():
                    BudgetAlert.objects.create(
                        budget=budget, period_start=usage.period_start, threshold=threshold, used_percent=usage.percent
                    )
                    _send(budget, usage, threshold)
            except IntegrityError:
                continue  # sent already (maybe a moment ago, by a check running beside this one)
            sent += 1
    return sent
