"""Stored prices (the `price_*` columns of timetracking.TimeEntry): each finished entry's money, written
with every entry write and rewritten whenever something that prices it changes, so that reports sum
them with the hours in one scan instead of pricing every entry of a month on each request (make bench (k)).

What prices an entry, and who rewrites its row when it changes:
- the entry (times, billable, project, task, owner): `entry_prices_write_check`, which time
  tracking calls on every entry write (create, update, delete, bulk, import, timer stop); it
  reprices the owner's entries around the entry's days (a day-scoped rounding spreads a day's
  rounding over its entries, so a change moves its neighbours' billed seconds too);
- its rates: billing.services.rates after every rate write, from the rate's first day on;
- its client's currency and its project's rounding: billing.services.settings;
- its project's client and its owner's time zone: billing.signals (any path: admin, API, pages);
- the company defaults (BILLING_DEFAULT_CURRENCY, BILLING_ROUNDING): `prices_sync_settings` after
  `migrate` (settings change with a deploy), and `manage.py billing_reprice` at any time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from billing import price_sql
from billing.models import PricingState
from billing.pricing import price_entries
from billing.services.settings import default_currency, default_rounding
from timetracking.models import TimeEntry, TimeEntryQuerySet

PRICING_CHUNK = 2000
# The local days of any time zone lie within a day of the UTC ones (UTC-12 to UTC+14).
ZONE_MARGIN = timedelta(days=1)
_PRICE_FIELDS = ("price_currency", "price_billed_seconds", "price_amount", "price_cost")
UNPRICED = dict.fromkeys(_PRICE_FIELDS, None) | {"price_currency": ""}
_ROW_FIELDS = ("id", "user_id", "project_id", "task_id", "started_at", "ended_at", "billable", "user__timezone")


def _store_python(entries: QuerySet[TimeEntry]) -> int:
    """Price `entries` with billing.pricing, PRICING_CHUNK at a time (in order of id, each chunk read
    after the last id of the one before), and write the prices that changed onto their rows."""
    written, last_id = 0, 0
    while True:
        rows = list(entries.filter(pk__gt=last_id).order_by("pk").values(*_ROW_FIELDS, *_PRICE_FIELDS)[:PRICING_CHUNK])
        if not rows:
            return written
        prices = price_entries(rows)
        changed = []
        for row in rows:
            price = prices[row["id"]]
            stored = TimeEntry(
                pk=row["id"],
                price_currency=price.currency,
                price_billed_seconds=price.billed_seconds or 0,
                price_amount=price.amount,
                price_cost=price.cost,
            )
            if any(getattr(stored, field) != row[field] for field in _PRICE_FIELDS):
                changed.append(stored)
        # An unchanged price is not rewritten (no dead row version); one UPDATE per batch.
        TimeEntry.objects.bulk_update(changed, _PRICE_FIELDS, batch_size=500)
        written += len(rows)
        if len(rows) < PRICING_CHUNK:
            return written
        last_id = rows[-1]["id"]


@transaction.atomic
def prices_refresh(*, entries: TimeEntryQuerySet) -> int:
    """Reprice every finished entry of `entries` and store it (running entries have no price).
    On PostgreSQL without day-scoped rounding, one statement (billing.price_sql); else in Python."""
    finished = entries.finished()
    if price_sql.applies():
        return price_sql.store(finished)
    return _store_python(finished)


def _around(user_id: int, moments: Iterable[datetime]) -> Q:
    """The entries of `user_id` whose local day may be one of those of `moments` (a day either side)."""
    moments = list(moments)
    return Q(user_id=user_id, started_at__gte=min(moments) - ZONE_MARGIN, started_at__lt=max(moments) + 2 * ZONE_MARGIN)


def entry_prices_write_check(
    *, entry: TimeEntry, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> None:
    """After any entry write (timetracking calls it in the write's transaction): reprice the
    entries of the days it left and the days it reached, for their owners (its own row included)."""
    moments: dict[int, list[datetime]] = {}
    for snapshot in (before, after):
        if snapshot is not None and snapshot["ended_at"] is not None:
            moments.setdefault(snapshot["user"], []).append(snapshot["started_at"])
    if after is not None and after["ended_at"] is None and before is not None and before["ended_at"] is not None:
        # Running again (a finished entry reopened): a running entry has no price.
        TimeEntry.objects.filter(pk=entry.pk).update(**UNPRICED)
    if not moments:  # a running timer started or changed
        return
    scope = Q()
    for user_id, starts in moments.items():
        scope |= _around(user_id, starts)
    _store_python(TimeEntry.objects.finished().filter(scope))


def rate_scope(*, level: str, day: date, **targets: Any) -> TimeEntryQuerySet:
    """The entries a rate of `level` for these targets may price from `day` on."""
    entries = TimeEntry.objects.filter(
        started_at__gte=datetime.combine(day, datetime.min.time(), tzinfo=UTC) - ZONE_MARGIN
    )
    if level == "client":
        return entries.filter(project__client_id=targets["client_id"])
    if level == "project":
        return entries.filter(project_id=targets["project_id"])
    if level == "task":
        return entries.filter(task_id=targets["task_id"])
    if level == "user_on_project":
        return entries.filter(project_id=targets["project_id"], user_id=targets["user_id"])
    return entries


def _signature() -> tuple[str, str]:
    return default_currency(), str(default_rounding())


@transaction.atomic
def prices_sync_settings(*, force: bool = False) -> int | None:
    """Reprice every entry when the company defaults differ from those the stored prices were
    computed with (or with `force`). Returns the number of rows written, None when nothing changed."""
    currency, rounding = _signature()
    state = PricingState.objects.select_for_update().filter(pk=1).first()
    if not force and state is not None and (state.currency, state.rounding) == (currency, rounding):
        return None
    written = prices_refresh(entries=TimeEntry.objects.all())
    PricingState.objects.update_or_create(pk=1, defaults={"currency": currency, "rounding": rounding})
    return written
