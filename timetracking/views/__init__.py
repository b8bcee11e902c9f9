"""Pages of time tracking, one module per page family; thin adapters over services (rules),
compliance/ (violations) and timesheet.py (the week grid's reads)."""

from timetracking.views.grid import grid_cell, row_add
from timetracking.views.periods import period_approve, period_reject, period_reopen, period_submit
from timetracking.views.team import team
from timetracking.views.timer import (
    timer_bar,
    timer_continue_view,
    timer_discard_view,
    timer_panel,
    timer_start,
    timer_state,
    timer_stop,
    timer_suggestions,
)
from timetracking.views.week import (
    copy_last_week,
    entry_create,
    entry_delete,
    entry_edit,
    entry_restore,
    row_remove,
    week,
    week_context,
)

__all__ = [
    "copy_last_week",
    "entry_create",
    "entry_delete",
    "entry_edit",
    "entry_restore",
    "grid_cell",
    "period_approve",
    "period_reject",
    "period_reopen",
    "period_submit",
    "row_add",
    "row_remove",
    "team",
    "timer_bar",
    "timer_continue_view",
    "timer_discard_view",
    "timer_panel",
    "timer_start",
    "timer_state",
    "timer_stop",
    "timer_suggestions",
    "week",
    "week_context",
]
