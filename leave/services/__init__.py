"""Every write of the leave app that carries a business rule.

API views, pages, admin actions, tasks and the management command call these functions;
none of them re-implements a rule. Each raises `LeaveError` (invalid), `LeaveConflict`
(conflict) or `LeaveForbidden` (forbidden) with a message for people; the API answers 400, 409, 403.

One module per sub-domain: `common` (the errors, amounts, a user's local day, the per-user
lock, the audit/webhook record), `balances`, `requests` (drafts, preview, submit, the
attachment), `decisions` (approve, reject, cancel, bulk), `ledger` (allowances, adjustments,
accrual, carry-over, expiry), `feeds` (calendar feed tokens), `substitutes` (deputies: who may
cover, warnings, their e-mails) and `notifications` (e-mails,
reminders). Callers import from `leave.services`, which re-exports them here.
"""

from leave.services.balances import balances_for
from leave.services.common import LeaveConflict, LeaveError, LeaveForbidden, format_amount, today_for
from leave.services.decisions import (
    BulkResult,
    can_decide,
    leave_request_approve,
    leave_request_cancel,
    leave_request_reject,
    leave_requests_decide,
)
from leave.services.feeds import feed_token_get_or_create, feed_token_reset, feed_token_revoke
from leave.services.ledger import (
    allowance_assign,
    leave_run_accruals,
    leave_run_carry_over,
    leave_run_carry_over_expiry,
    leave_run_policies,
    ledger_adjust,
)
from leave.services.notifications import approvers_of, leave_send_pending_reminders
from leave.services.requests import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENT_TYPES,
    MAX_REQUEST_DAYS,
    Draft,
    leave_request_attach,
    leave_request_attachment_delete,
    leave_request_preview,
    leave_request_submit,
    validate_attachment,
)
from leave.services.substitutes import (
    MAX_SUBSTITUTES,
    SUBSTITUTE_NOT_IN_TEAM,
    leave_send_substitute_reminders,
    substitute_warnings,
    substitutes_away_by_request,
    substitutes_check,
)

__all__ = [
    "ATTACHMENT_MAX_BYTES",
    "ATTACHMENT_TYPES",
    "MAX_REQUEST_DAYS",
    "MAX_SUBSTITUTES",
    "SUBSTITUTE_NOT_IN_TEAM",
    "BulkResult",
    "Draft",
    "LeaveConflict",
    "LeaveError",
    "LeaveForbidden",
    "allowance_assign",
    "approvers_of",
    "balances_for",
    "can_decide",
    "feed_token_get_or_create",
    "feed_token_reset",
    "feed_token_revoke",
    "format_amount",
    "leave_request_approve",
    "leave_request_attach",
    "leave_request_attachment_delete",
    "leave_request_cancel",
    "leave_request_preview",
    "leave_request_reject",
    "leave_request_submit",
    "leave_requests_decide",
    "leave_run_accruals",
    "leave_run_carry_over",
    "leave_run_carry_over_expiry",
    "leave_run_policies",
    "leave_send_pending_reminders",
    "leave_send_substitute_reminders",
    "ledger_adjust",
    "substitute_warnings",
    "substitutes_away_by_request",
    "substitutes_check",
    "today_for",
    "validate_attachment",
]
from leave.services.setup import company_setup as company_setup
