"""A leaver's final statement: what they are owed (or owe) on their last day, for HR to settle.

Leave: each active type's balance of the last day's year as the ledger holds it (entitled,
carried over, used, pending, available). Overtime: the running balance up to and including the
last day, by `overtime.overtime_report`'s rules. Reads only; no rule lives here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from accounts.models import User
from leave.services import balances_for
from reports import overtime

COLUMNS = ["user", "email", "last_day", "item", "unit", "entitled", "carried", "used", "pending", "balance"]


def final_statement_rows(*, user: User, last_day: date) -> Iterator[list[Any]]:
    who = [user.username, user.email, last_day.isoformat()]
    for balance in balances_for(user=user, year=last_day.year):
        yield [
            *who,
            f"leave: {balance.leave_type.name}",
            balance.unit,
            balance.entitled,
            balance.carried,
            balance.used,
            balance.pending,
            balance.available,
        ]
    report = overtime.overtime_report(user, last_day, last_day, period="day", today=last_day)
    yield [*who, "overtime", "hours", "", "", "", "", report["closing_balance_hours"]]
