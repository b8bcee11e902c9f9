"""Stored prices written by PostgreSQL: every entry of a scope priced in one UPDATE ... FROM, the same
figures as billing.pricing gives in Python, so that repricing a company's entries after a company rate
changes (or `manage.py billing_reprice`) is one statement instead of a million rows through Python.

It applies when the database is PostgreSQL and no rounding is day-scoped (a day-scoped rounding
gives a person's day on a project its difference on its last entries: billing.rounding does that in
Python, and billing.services.prices then prices in Python). Every entry is priced as billing.pricing
prices it:

- its local day: its start in its owner's time zone;
- its currency: its client's (billing_clientbilling), else BILLING_DEFAULT_CURRENCY;
- its rates: of each kind, the most specific level with a rate valid that day, in that currency:
  person on the project, task, project, client, company; a rate is valid from its day until the
  next one of the same kind and target (LEAD over the target's history);
- its billed seconds: 0 when not billable; else the tracked (whole) seconds rounded per entry by
  the project's rounding (billing_projectbilling), else BILLING_ROUNDING: up, down, or nearest
  (half a step up) to the step;
- amount = billed hours × rate, cost = tracked hours × cost rate, each rounded to the currency's
  minor unit per entry, half up (amounts are positive: ROUND's half away from zero is half up).

billing/tests/test_stored_prices.py compares these rows with billing.pricing's for random entries,
rates and roundings, on PostgreSQL through this path.
"""

from typing import Any

from django.db import connection
from django.db.models import F

from billing.currencies import MINOR_UNITS
from billing.models import ProjectBilling, Rate
from billing.services.settings import default_currency, default_rounding
from timetracking.models import TimeEntry

# (alias, level, the join condition on the entry `b` beside kind, level, currency and day)
_LEVELS = (
    ("uop", "user_on_project", "{r}.user_id = b.user_id AND {r}.project_id = b.project_id"),
    ("task", "task", "{r}.task_id = b.task_id"),
    ("project", "project", "{r}.project_id = b.project_id"),
    ("client", "client", "{r}.client_id = b.client_id"),
    ("company", "company", "TRUE"),
)


def applies() -> bool:
    """PostgreSQL, and no day-scoped rounding anywhere (the company's or a project's)."""
    if connection.vendor != "postgresql":
        return False
    rounding = default_rounding()
    if rounding.scope == "day" and not rounding.is_none:
        return False
    return not ProjectBilling.objects.filter(rounding_scope="day").exclude(rounding_mode="none").exists()


def _rate_joins(kind: str, levels: set[tuple[str, str]]) -> tuple[str, str, list[Any]]:
    """LEFT JOINs of `kind`'s rates at each level that has any (`levels`: the (kind, level) pairs of
    the rate table), and their amounts, most specific first, COALESCEd."""
    joins: list[str] = []
    amounts: list[str] = []
    params: list[Any] = []
    for alias, level, condition in _LEVELS:
        if (kind, level) not in levels:
            continue
        name = f"{kind[0]}_{alias}"
        joins.append(
            f"LEFT JOIN rate {name} ON {name}.kind = %s AND {name}.level = %s AND {name}.currency = b.currency "
            f"AND {name}.valid_from <= b.day AND ({name}.valid_to IS NULL OR b.day < {name}.valid_to) "
            f"AND {condition.format(r=name)}"
        )
        params += [kind, level]
        amounts.append(f"{name}.amount")
    amount = f"COALESCE({', '.join(amounts)})" if len(amounts) > 1 else (amounts[0] if amounts else "NULL::numeric")
    return " ".join(joins), amount, params


def _priced_entries_sql(scope) -> tuple[str, list[Any]]:
    """The CTEs ending in `m`: one row per entry of `scope` with its key columns and its money."""
    # The scope's entries with what pricing needs, joined by Django in the scope's own query.
    columns = scope.order_by().annotate(
        _tz=F("user__timezone"),
        _client=F("project__client_id"),
        _currency=F("project__client__billing__currency"),
        _mode=F("project__billing__rounding_mode"),
        _minutes=F("project__billing__rounding_minutes"),
    )
    scope_sql, scope_params = columns.values(
        "id", "user_id", "project_id", "task_id", "billable", "started_at", "ended_at",
        "_tz", "_client", "_currency", "_mode", "_minutes",
    ).query.sql_with_params()  # fmt: skip
    rounding = default_rounding()
    minor_rows = ", ".join("(%s, %s)" for _ in MINOR_UNITS)
    minor_params: list[Any] = [value for code, places in MINOR_UNITS.items() for value in (code, places)]
    levels = set(Rate.objects.values_list("kind", "level").distinct())
    rate_joins, rate, rate_params = _rate_joins("billable", levels)
    cost_joins, cost_rate, cost_params = _rate_joins("cost", levels)
    # Table names and placeholders only in the text; every value is a parameter. A bare nosec: bandit
    # warns about `nosec B608` on any f-string (PyCQA/bandit#1204).
    sql = (
        f"WITH scope AS ({scope_sql}), "  # noqa: S608  # nosec
        f"""
        rate AS (
            SELECT kind, level, currency, client_id, project_id, task_id, user_id, amount, valid_from,
                   LEAD(valid_from) OVER (
                       PARTITION BY kind, level, currency, client_id, project_id, task_id, user_id ORDER BY valid_from
                   ) AS valid_to
            FROM {Rate._meta.db_table}
        ),
        entry AS (
            SELECT id, user_id, project_id, task_id, billable, _client AS client_id,
                   (started_at AT TIME ZONE _tz)::date AS day,
                   FLOOR(EXTRACT(EPOCH FROM (ended_at - started_at)))::bigint AS tracked,
                   COALESCE(_currency, %s) AS currency,
                   COALESCE(_mode, %s) AS mode,
                   COALESCE(_minutes, %s)::bigint * 60 AS step
            FROM scope
        ),
        b AS (
            SELECT entry.*,
                   CASE WHEN NOT billable THEN 0
                        WHEN mode = 'none' OR tracked <= 0 THEN GREATEST(tracked, 0)
                        WHEN tracked %% step = 0 THEN tracked
                        WHEN mode = 'up' OR (mode = 'nearest' AND (tracked %% step) * 2 >= step)
                            THEN (tracked / step + 1) * step
                        ELSE (tracked / step) * step
                   END AS billed_seconds,
                   COALESCE(minor.places, 2) AS places
            FROM entry LEFT JOIN (VALUES {minor_rows}) AS minor (code, places) ON minor.code = entry.currency
        ),
        m AS (
            SELECT b.id, b.user_id, b.project_id, b.task_id, b.day, b.currency, b.billed_seconds,
                   ROUND({rate} * b.billed_seconds / 3600.0, b.places) AS amount,
                   ROUND({cost_rate} * b.tracked / 3600.0, b.places) AS cost
            FROM b {rate_joins} {cost_joins}
        )
    """
    )
    params = [*scope_params, default_currency(), rounding.mode, rounding.minutes, *minor_params]
    return sql, [*params, *rate_params, *cost_params]


def store(scope) -> int:
    """Price every entry of `scope` (finished entries) and write the prices that changed onto their
    rows: one statement. Returns the number of rows changed."""
    cte, params = _priced_entries_sql(scope)
    table = TimeEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"{cte} UPDATE {table} AS e SET price_currency = m.currency, "  # noqa: S608  # nosec
            "price_billed_seconds = m.billed_seconds, price_amount = m.amount, price_cost = m.cost FROM m "
            # An unchanged price is not rewritten: no dead row version of the entry.
            "WHERE e.id = m.id AND (e.price_currency, e.price_billed_seconds, e.price_amount, e.price_cost) "
            "IS DISTINCT FROM (m.currency, m.billed_seconds, m.amount, m.cost)",
            params,
        )
        return cursor.rowcount
