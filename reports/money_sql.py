"""The money of a summary's groups computed by PostgreSQL: the same figures as pricing every entry in
Python (billing.pricing), summed in the database, so that a priced summary of a company's month
costs about what the unpriced one does (`make bench` (k) against (f)).

It applies when the database is PostgreSQL and no rounding is day-scoped (a day-scoped rounding
gives a person's day on a project its difference on its last entries: billing.rounding does that in
Python, and the summary then prices in Python, reports.money.group_money). Every entry is priced as
billing.pricing prices it:

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

The property test of billing/tests/test_summary_money.py compares the summary with the entries'
own money for random entries, rates and roundings, on PostgreSQL through this path.
"""

from django.db import connection

from billing.currencies import MINOR_UNITS
from billing.models import ProjectBilling, Rate
from billing.services import default_currency, default_rounding
from timetracking.models import TimeEntry

# The grouped value of each dimension, over the priced entries `m` (and the tags `tt`).
_KEY_SQL = {
    "day": "m.day",
    "week": "date_trunc('week', m.day)::date",
    "month": "date_trunc('month', m.day)::date",
    "project": "m.project_id",
    "task": "m.task_id",
    "user": "m.user_id",
    "tag": "tt.tag_id",
}
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


def _rate_joins(kind: str) -> tuple[str, str, list[object]]:
    joins, amounts, params = [], [], []
    for alias, level, condition in _LEVELS:
        name = f"{kind[0]}_{alias}"
        joins.append(
            f"LEFT JOIN rate {name} ON {name}.kind = %s AND {name}.level = %s AND {name}.currency = b.currency "
            f"AND {name}.valid_from <= b.day AND ({name}.valid_to IS NULL OR b.day < {name}.valid_to) "
            f"AND {condition.format(r=name)}"
        )
        params += [kind, level]
        amounts.append(f"{name}.amount")
    return " ".join(joins), f"COALESCE({', '.join(amounts)})", params


def _priced_entries_sql(scope) -> tuple[str, list[object]]:
    """The CTEs ending in `m`: one row per entry of `scope` with its key columns and its money."""
    scope_sql, scope_params = scope.order_by().values("id").query.sql_with_params()
    rounding = default_rounding()
    minor_cases = " ".join("WHEN %s THEN %s" for _ in MINOR_UNITS)
    minor_params: list[object] = [value for code, places in MINOR_UNITS.items() for value in (code, places)]
    rate_joins, rate, rate_params = _rate_joins("billable")
    cost_joins, cost_rate, cost_params = _rate_joins("cost")
    # Table names and placeholders only in the text; every value is a parameter.
    sql = f"""
        WITH scope AS ({scope_sql}),
        rate AS (
            SELECT kind, level, currency, client_id, project_id, task_id, user_id, amount, valid_from,
                   LEAD(valid_from) OVER (
                       PARTITION BY kind, level, currency, client_id, project_id, task_id, user_id ORDER BY valid_from
                   ) AS valid_to
            FROM {Rate._meta.db_table}
        ),
        entry AS (
            SELECT te.id, te.user_id, te.project_id, te.task_id, te.billable, p.client_id,
                   (te.started_at AT TIME ZONE u.timezone)::date AS day,
                   FLOOR(EXTRACT(EPOCH FROM (te.ended_at - te.started_at)))::bigint AS tracked,
                   COALESCE(cb.currency, %s) AS currency,
                   COALESCE(pb.rounding_mode, %s) AS mode,
                   COALESCE(pb.rounding_minutes, %s)::bigint * 60 AS step
            FROM {TimeEntry._meta.db_table} te
            JOIN scope ON scope.id = te.id
            JOIN accounts_user u ON u.id = te.user_id
            LEFT JOIN timetracking_project p ON p.id = te.project_id
            LEFT JOIN billing_clientbilling cb ON cb.client_id = p.client_id
            LEFT JOIN billing_projectbilling pb ON pb.project_id = te.project_id
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
                   CASE currency {minor_cases} ELSE 2 END AS places
            FROM entry
        ),
        m AS (
            SELECT b.id, b.user_id, b.project_id, b.task_id, b.day, b.currency, b.billed_seconds,
                   ROUND({rate} * b.billed_seconds / 3600.0, b.places) AS amount,
                   ROUND({cost_rate} * b.tracked / 3600.0, b.places) AS cost
            FROM b {rate_joins} {cost_joins}
        )
    """  # noqa: S608  # nosec B608
    params = [*scope_params, default_currency(), rounding.mode, rounding.minutes, *minor_params]
    return sql, [*params, *rate_params, *cost_params]


_AGGREGATES = """
    SUM(m.billed_seconds), SUM(m.amount), SUM(m.cost),
    MIN(m.currency) FILTER (WHERE m.amount IS NOT NULL OR m.cost IS NOT NULL),
    MAX(m.currency) FILTER (WHERE m.amount IS NOT NULL OR m.cost IS NOT NULL)
"""


def _money(view, billed, amount, cost, lowest, highest):
    single = lowest is not None and lowest == highest
    return {
        "billed_seconds": int(billed or 0) if view.amounts else None,
        "amount": amount if view.amounts and single else None,
        "cost": cost if view.costs and single else None,
        "currency": lowest if single else None,
    }


def group_money(scope, group_by, view):
    """({row key: money}, total money), as reports.money.group_money gives them, in two queries."""
    cte, params = _priced_entries_sql(scope)
    keys = [_KEY_SQL[dimension] for dimension in group_by]
    tag_join = (
        f"LEFT JOIN {TimeEntry.tags.through._meta.db_table} tt ON tt.timeentry_id = m.id" if "tag" in group_by else ""
    )
    by_key = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"{cte} SELECT {', '.join(keys)}, {_AGGREGATES} FROM m {tag_join} GROUP BY {', '.join(keys)}",  # noqa: S608  # nosec B608
            params,
        )
        width = len(keys)
        for row in cursor.fetchall():
            by_key[tuple(row[:width])] = _money(view, *row[width:])
        cursor.execute(f"{cte} SELECT {_AGGREGATES} FROM m", params)  # noqa: S608  # nosec B608
        total = _money(view, *cursor.fetchone())
    return by_key, total
