"""Every write on time tracking data that carries a rule. API, pages, admin and demo call these.

Rules: an entry ends after it starts and lasts at most `TIME_ENTRY_MAX_HOURS`; one user's
entries never overlap (touching end-to-start is fine; a running timer reaches to infinity);
at most one running timer per user; archived projects/tasks and member-only projects the
user does not belong to take no new time; a task belongs to the entry's project.

The database enforces what it can (see models.py and migration 0002); these functions
check the same rules first so that callers get a clear field error or a 409, and map a
constraint violation that slips through a race to the same 409.

One module per sub-domain: `common` (limits, errors), `inputs` (durations, tags), `checks` (the
rules every entry write shares, saving, audit and webhooks), `entries`, `timer`, `timesheet`,
`catalog`, `periods` (the weekly close) and `period_notifications` (its e-mails). Callers import from
`timetracking.services`.
"""

from timetracking.services.catalog import (
    CATALOG_FIELDS,
    CATALOG_NOT_ALLOWED,
    CatalogNotAllowed,
    catalog_archive,
    catalog_create,
    catalog_delete,
    catalog_unarchive,
    catalog_update,
    catalog_validate,
    client_create,
    project_create,
    tag_create,
    task_create,
)
from timetracking.services.checks import SNAPSHOT_ATTRIBUTES, _save
from timetracking.services.common import (
    BULK_MAX_ROWS,
    DESCRIPTION_MAX_LENGTH,
    MAX_TAGS_PER_ENTRY,
    TAG_NAME_MAX_LENGTH,
    BulkError,
    ComplianceBlocked,
    PeriodLocked,
    PeriodNotAllowed,
    TimeTrackingConflict,
    TimeTrackingError,
    can_manage_catalog,
    max_entry_duration,
)
from timetracking.services.entries import (
    UPDATABLE_FIELDS,
    entries_bulk_create,
    entry_create,
    entry_delete,
    entry_update,
)
from timetracking.services.inputs import parse_duration, tag_get_or_create, tag_name_collapsed, tags_resolve
from timetracking.services.periods import (
    PERIOD_TEXT_MAX_LENGTH,
    PeriodState,
    can_decide_period,
    period_approve,
    period_reject,
    period_reopen,
    period_state,
    period_submit,
    period_submit_refusal,
    period_week_start,
)
from timetracking.services.timer import timer_current, timer_end_for_leaver, timer_start, timer_stop, timer_update
from timetracking.services.timesheet import (
    UNDO_SECONDS,
    CellChange,
    entry_restore,
    entry_undo_token,
    timesheet_cell_set,
    timesheet_copy_previous_week,
    timesheet_copy_previous_week_hours,
    timesheet_row_add,
    timesheet_row_remove,
)

__all__ = [
    "BULK_MAX_ROWS",
    "CATALOG_FIELDS",
    "CATALOG_NOT_ALLOWED",
    "DESCRIPTION_MAX_LENGTH",
    "MAX_TAGS_PER_ENTRY",
    "PERIOD_TEXT_MAX_LENGTH",
    "SNAPSHOT_ATTRIBUTES",
    "TAG_NAME_MAX_LENGTH",
    "UNDO_SECONDS",
    "UPDATABLE_FIELDS",
    "BulkError",
    "CatalogNotAllowed",
    "CellChange",
    "ComplianceBlocked",
    "PeriodLocked",
    "PeriodNotAllowed",
    "PeriodState",
    "TimeTrackingConflict",
    "TimeTrackingError",
    "_save",
    "can_decide_period",
    "can_manage_catalog",
    "catalog_archive",
    "catalog_create",
    "catalog_delete",
    "catalog_unarchive",
    "catalog_update",
    "catalog_validate",
    "client_create",
    "entries_bulk_create",
    "entry_create",
    "entry_delete",
    "entry_restore",
    "entry_undo_token",
    "entry_update",
    "max_entry_duration",
    "parse_duration",
    "period_approve",
    "period_reject",
    "period_reopen",
    "period_state",
    "period_submit",
    "period_submit_refusal",
    "period_week_start",
    "project_create",
    "tag_create",
    "tag_get_or_create",
    "tag_name_collapsed",
    "tags_resolve",
    "task_create",
    "timer_current",
    "timer_end_for_leaver",
    "timer_start",
    "timer_stop",
    "timer_update",
    "timesheet_cell_set",
    "timesheet_copy_previous_week",
    "timesheet_copy_previous_week_hours",
    "timesheet_row_add",
    "timesheet_row_remove",
]
