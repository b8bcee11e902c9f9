"""Every write of the leave app that carries a business rule.

API views, pages, admin actions, tasks and the management command call these functions;
none of them re-implements a rule. Each raises `LeaveError` (invalid), `LeaveConflict`
(conflict) or `LeaveForbidden` (forbidden) with a message for people; the API answers 400, 409, 403.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import filetype
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.services import email_queue
from core.errors import Conflict, DomainError, Forbidden
from leave import calendars
from leave.models import (
    ZERO,
    AccrualMethod,
    AllowancePolicy,
    Balance,
    CalendarFeedToken,
    EndPart,
    EntryKind,
    LeaveRequest,
    LeaveStatus,
    LeaveType,
    LeaveUnit,
    LedgerEntry,
    StartPart,
)

ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENT_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
MAX_REQUEST_DAYS = 366

logger = logging.getLogger(__name__)


class LeaveError(DomainError):
    """A leave rule refused the input."""


class LeaveConflict(Conflict, LeaveError):
    """The write clashes with the current state: overlap, already decided."""


class LeaveForbidden(Forbidden, LeaveError):
    pass


def format_amount(amount, unit):
    amount = amount.normalize() if amount == amount.to_integral() else amount
    word = "hours" if unit == LeaveUnit.HOURS else "days"
    if amount == 1:
        word = word[:-1]
    return f"{amount:f} {word}"


def today_for(user):
    """The user's local calendar day."""
    return timezone.now().astimezone(user.tzinfo).date()


# --- Balances -------------------------------------------------------------------------------


def balances_for(*, user, year, leave_types=None):
    """Balances of every (or the given) leave type for one user and year, in 2 or 3 queries."""
    if leave_types is None:
        leave_types = list(LeaveType.objects.active())
    result = {t.pk: Balance(user_id=user.pk, leave_type=t, year=year) for t in leave_types}
    rows = (
        LedgerEntry.objects.filter(user=user, year=year, leave_type__in=list(result))
        .values("leave_type_id", "kind")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        balance = result[row["leave_type_id"]]
        if row["kind"] in (EntryKind.INITIAL, EntryKind.ACCRUAL, EntryKind.ADJUSTMENT):
            balance.entitled += row["total"]
        elif row["kind"] in (EntryKind.CARRY_OVER, EntryKind.CARRY_OVER_EXPIRY):
            balance.carried += row["total"]
        else:
            balance.used -= row["total"]
    pending = (
        LeaveRequest.objects.filter(user=user, status=LeaveStatus.PENDING, leave_type__in=list(result))
        .in_year(year)
        .values("leave_type_id")
        .annotate(total=Sum("amount"))
    )
    for row in pending:
        result[row["leave_type_id"]].pending += row["total"]
    return list(result.values())


def _balance(*, user, leave_type, year):
    return balances_for(user=user, year=year, leave_types=[leave_type])[0]


# --- Evaluating a draft (shared by preview and submit) --------------------------------------


@dataclass
class Draft:
    user: object
    leave_type: LeaveType
    start_date: date
    end_date: date
    start_part: str = StartPart.FULL
    end_part: str = EndPart.FULL
    hours: Decimal | None = None
    reason: str = ""
    attachment: object = None
    amount: Decimal = ZERO
    days: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    balance: Balance | None = None

    @property
    def unit(self):
        return self.leave_type.unit


def _check_shape(draft):
    """Refusals that make the amount meaningless: raised, never merely warned about."""
    if draft.leave_type is None or not draft.leave_type.is_active:
        raise LeaveError("Choose an active leave type.", field="leave_type", code="invalid_type")
    if draft.end_date < draft.start_date:
        raise LeaveError("The end date must be on or after the start date.", field="end_date", code="end_before_start")
    if (draft.end_date - draft.start_date).days >= MAX_REQUEST_DAYS:
        raise LeaveError("A request can cover at most one year.", field="end_date", code="too_long")
    if draft.start_date.year != draft.end_date.year:
        raise LeaveError(
            "A request cannot span two years: split it at 31 December.", field="end_date", code="spans_years"
        )
    if draft.start_part not in StartPart.values:
        raise LeaveError("Choose full day or afternoon only.", field="start_part")
    if draft.end_part not in EndPart.values:
        raise LeaveError("Choose full day or morning only.", field="end_part")
    if draft.unit == LeaveUnit.HOURS:
        if draft.start_date != draft.end_date:
            raise LeaveError("Hourly leave is requested one day at a time.", field="end_date", code="hours_one_day")
        if draft.hours is None or draft.hours <= 0:
            raise LeaveError("Enter the number of hours (more than 0).", field="hours", code="hours_required")
        if draft.hours > 24:
            raise LeaveError("A day has at most 24 hours.", field="hours", code="hours_too_many")
    else:
        if draft.hours is not None:
            raise LeaveError(
                f"{draft.leave_type} is counted in days, not hours.", field="hours", code="hours_not_allowed"
            )
        single = draft.start_date == draft.end_date
        if single and draft.start_part == StartPart.AFTERNOON and draft.end_part == EndPart.MORNING:
            raise LeaveError(
                "A one-day request is either the morning or the afternoon, not both halves.",
                field="end_part",
                code="half_day_conflict",
            )


def _compute_amount(draft):
    draft.days = calendars.day_amounts(draft.user, draft.start_date, draft.end_date, draft.start_part, draft.end_part)
    working = sum((day.amount for day in draft.days), ZERO)
    if draft.unit == LeaveUnit.HOURS:
        draft.amount = draft.hours if working > 0 else ZERO
    else:
        draft.amount = working
    if draft.amount <= 0:
        raise LeaveError(
            "This request covers no working day: only weekends, public holidays or company closures.",
            field="start_date",
            code="no_working_days",
        )


def _problems(draft):
    """Refusals that depend on other data (overlap, balance, attachment), in the order submit reports them."""
    problems = []
    overlapping = (
        LeaveRequest.objects.filter(user=draft.user)
        .active()
        .overlapping(draft.start_date, draft.end_date)
        .order_by("start_date")
        .first()
    )
    if overlapping is not None:
        problems.append(
            LeaveConflict(
                f"This overlaps your {overlapping.get_status_display().lower()} request "
                f"from {overlapping.start_date:%d %b %Y} to {overlapping.end_date:%d %b %Y}.",
                code="overlap",
            )
        )
    leave_type = draft.leave_type
    draft.balance = _balance(user=draft.user, leave_type=leave_type, year=draft.start_date.year)
    if leave_type.deducts_allowance and not leave_type.allow_negative and draft.amount > draft.balance.available:
        problems.append(
            LeaveError(
                f"Not enough {leave_type.name} left: {format_amount(draft.balance.available, draft.unit)} available, "
                f"{format_amount(draft.amount, draft.unit)} requested.",
                field="leave_type",
                code="insufficient_balance",
            )
        )
    limit = leave_type.attachment_required_after_days
    calendar_days = (draft.end_date - draft.start_date).days + 1
    if limit is not None and calendar_days > limit and not draft.attachment:
        problems.append(
            LeaveError(
                f"{leave_type.name} longer than {limit} days needs a supporting document (PDF, PNG or JPEG).",
                field="attachment",
                code="attachment_required",
            )
        )
    return problems


def _draft(*, user, leave_type, start_date, end_date, start_part, end_part, hours, reason="", attachment=None):
    return Draft(
        user=user,
        leave_type=leave_type,
        start_date=start_date,
        end_date=end_date,
        start_part=start_part or StartPart.FULL,
        end_part=end_part or EndPart.FULL,
        hours=hours,
        reason=(reason or "").strip(),
        attachment=attachment,
    )


def leave_request_preview(
    *, user, leave_type, start_date, end_date, start_part=StartPart.FULL, end_part=EndPart.FULL, hours=None
):
    """The amount and the warnings of a draft, without writing anything.

    Returns the Draft; `draft.problems` lists what submit would refuse. Shape errors
    (end before start, ...) are raised like in submit.
    """
    draft = _draft(
        user=user,
        leave_type=leave_type,
        start_date=start_date,
        end_date=end_date,
        start_part=start_part,
        end_part=end_part,
        hours=hours,
        attachment=None,
    )
    _check_shape(draft)
    try:
        _compute_amount(draft)
    except LeaveError as error:
        draft.problems = [error]
        return draft
    # The attachment is not known to a preview: warn only that one will be needed.
    draft.problems = _problems(draft)
    return draft


def validate_attachment(upload):
    """PDF, PNG or JPEG by content (the name is not trusted), at most 5 MB. Returns the extension."""
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise LeaveError("The attachment is larger than 5 MB.", field="attachment", code="attachment_too_large")
    if upload.size == 0:
        raise LeaveError("The attachment is empty.", field="attachment", code="attachment_empty")
    upload.seek(0)
    head = upload.read(262)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ATTACHMENT_TYPES:
        raise LeaveError("The attachment must be a PDF, PNG or JPEG file.", field="attachment", code="attachment_type")
    return ATTACHMENT_TYPES[kind.mime]


def _store_attachment(leave_request, upload):
    extension = validate_attachment(upload)
    leave_request.attachment_name = (getattr(upload, "name", "") or "attachment")[-255:]
    # Stored through Django storage under a random name with the extension of the content.
    leave_request.attachment.save(f"upload.{extension}", upload, save=False)


def _record(leave_request, event, *, actor, before_status=None):
    """Audit trail and webhook outbox for a request's transition, in the caller's transaction."""
    from accounts.services import audit_record
    from webhooks.services import outbox_publish

    audit_record(
        actor=actor,
        action=f"leave_request.{event}",
        obj=leave_request,
        changes={"status": [before_status, leave_request.status]},
    )
    outbox_publish(
        event_type=f"leave_request.{event}",
        payload={
            "id": leave_request.pk,
            "user_id": leave_request.user_id,
            "leave_type": leave_request.leave_type.code,
            "start_date": leave_request.start_date,
            "end_date": leave_request.end_date,
            "amount": leave_request.amount,
            "status": leave_request.status,
        },
    )


def _lock_user(user_id):
    # Every change to a user's requests or ledger locks the user's row first: two
    # submissions (or a submission and an approval) for the same person at the same time
    # would otherwise both pass the overlap and balance checks before either is written.
    User = get_user_model()
    return User.objects.select_for_update().get(pk=user_id)


@transaction.atomic
def leave_request_submit(
    *,
    user,
    leave_type,
    start_date,
    end_date,
    start_part=StartPart.FULL,
    end_part=EndPart.FULL,
    hours=None,
    reason="",
    attachment=None,
):
    """Create a request. Types that need no approval are approved (and booked) at once."""
    draft = _draft(
        user=user,
        leave_type=leave_type,
        start_date=start_date,
        end_date=end_date,
        start_part=start_part,
        end_part=end_part,
        hours=hours,
        reason=reason,
        attachment=attachment,
    )
    if len(draft.reason) > 500:
        raise LeaveError("Keep the reason under 500 characters.", field="reason")
    _check_shape(draft)
    if attachment:
        validate_attachment(attachment)
    _compute_amount(draft)
    _lock_user(user.pk)
    problems = _problems(draft)
    if problems:
        raise problems[0]
    leave_request = LeaveRequest(
        user=user,
        leave_type=leave_type,
        start_date=start_date,
        end_date=end_date,
        start_part=draft.start_part,
        end_part=draft.end_part,
        hours=hours,
        amount=draft.amount,
        reason=draft.reason,
    )
    if attachment:
        _store_attachment(leave_request, attachment)
    try:
        with transaction.atomic():
            leave_request.save()
    except IntegrityError as error:  # PostgreSQL's exclusion constraint, should the lock ever be bypassed
        if leave_request.attachment:
            leave_request.attachment.delete(save=False)  # no orphan file for a refused request
        raise LeaveConflict("This overlaps another of your requests.", code="overlap") from error
    _record(leave_request, "submitted", actor=user)
    if not leave_type.requires_approval:
        _approve(leave_request, decided_by=None, note="Approved automatically.")
        _notify_approvers(leave_request, automatic=True)
    else:
        _notify_approvers(leave_request)
    return leave_request


@transaction.atomic
def leave_request_attach(*, leave_request, actor, upload):
    """Add or replace the document of a request (the requester, while it is not closed)."""
    leave_request = LeaveRequest.objects.select_for_update().get(pk=leave_request.pk)
    if actor.pk != leave_request.user_id and not actor.is_hr:
        raise LeaveForbidden("Only the requester or HR can attach a document.")
    if leave_request.status in (LeaveStatus.REJECTED, LeaveStatus.CANCELLED):
        raise LeaveConflict(f"This request is {leave_request.get_status_display().lower()}.", code="closed")
    old = leave_request.attachment.name if leave_request.attachment else None
    _store_attachment(leave_request, upload)
    leave_request.save(update_fields=["attachment", "attachment_name", "updated_at"])
    if old:
        storage = leave_request.attachment.storage
        transaction.on_commit(lambda: storage.delete(old))
    return leave_request


# --- Decisions ------------------------------------------------------------------------------


def can_decide(actor, leave_request):
    if actor.pk == leave_request.user_id:
        return False
    return actor.is_hr or leave_request.user.manager_id == actor.pk


def _locked_for_decision(leave_request_id, actor):
    # Lock the request row: two managers (or a manager and HR) deciding at the same time
    # are serialised here; the second sees the first's decision and gets a 409.
    leave_request = (
        LeaveRequest.objects.select_for_update(of=("self",))
        .select_related("user", "leave_type", "decided_by")
        .get(pk=leave_request_id)
    )
    if actor.pk == leave_request.user_id:
        raise LeaveForbidden("You cannot decide your own leave request.", code="own_request")
    if not can_decide(actor, leave_request):
        raise LeaveForbidden("Only the requester's manager or HR can decide this request.", code="not_approver")
    if leave_request.status != LeaveStatus.PENDING:
        by = f" by {leave_request.decided_by}" if leave_request.decided_by else ""
        raise LeaveConflict(
            f"This request was already {leave_request.get_status_display().lower()}{by}.", code="already_decided"
        )
    return leave_request


def _approve(leave_request, *, decided_by, note):
    leave_type = leave_request.leave_type
    _lock_user(leave_request.user_id)
    if leave_type.deducts_allowance:
        balance = _balance(user=leave_request.user, leave_type=leave_type, year=leave_request.start_date.year)
        if not leave_type.allow_negative and balance.balance - leave_request.amount < 0:
            raise LeaveError(
                f"Not enough {leave_type.name} left: {format_amount(balance.balance, leave_type.unit)} left, "
                f"{format_amount(leave_request.amount, leave_type.unit)} requested.",
                code="insufficient_balance",
            )
        LedgerEntry.objects.create(
            user_id=leave_request.user_id,
            leave_type=leave_type,
            year=leave_request.start_date.year,
            kind=EntryKind.USAGE,
            amount=-leave_request.amount,
            request=leave_request,
            created_by=decided_by,
        )
    leave_request.status = LeaveStatus.APPROVED
    leave_request.decided_by = decided_by
    leave_request.decided_at = timezone.now()
    leave_request.decision_note = note
    leave_request.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    _record(leave_request, "approved", actor=decided_by, before_status=LeaveStatus.PENDING)


@transaction.atomic
def leave_request_approve(*, leave_request_id, actor, note=""):
    note = (note or "").strip()
    if len(note) > 500:
        raise LeaveError("Keep the note under 500 characters.", field="note")
    leave_request = _locked_for_decision(leave_request_id, actor)
    _approve(leave_request, decided_by=actor, note=note)
    _notify_requester(leave_request)
    return leave_request


@transaction.atomic
def leave_request_reject(*, leave_request_id, actor, note=""):
    note = (note or "").strip()
    if not note:
        raise LeaveError("Say why the request is rejected.", field="note", code="note_required")
    if len(note) > 500:
        raise LeaveError("Keep the note under 500 characters.", field="note")
    leave_request = _locked_for_decision(leave_request_id, actor)
    leave_request.status = LeaveStatus.REJECTED
    leave_request.decided_by = actor
    leave_request.decided_at = timezone.now()
    leave_request.decision_note = note
    leave_request.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    _record(leave_request, "rejected", actor=actor, before_status=LeaveStatus.PENDING)
    _notify_requester(leave_request)
    return leave_request


@transaction.atomic
def leave_request_cancel(*, leave_request_id, actor):
    """The requester cancels a pending request or an approved one not yet started; HR anything open."""
    leave_request = (
        LeaveRequest.objects.select_for_update(of=("self",))
        .select_related("user", "leave_type")
        .get(pk=leave_request_id)
    )
    is_owner = actor.pk == leave_request.user_id
    if not is_owner and not actor.is_hr:
        raise LeaveForbidden("Only the requester or HR can cancel a request.", code="not_owner")
    if leave_request.status in (LeaveStatus.REJECTED, LeaveStatus.CANCELLED):
        raise LeaveConflict(f"This request is already {leave_request.get_status_display().lower()}.", code="closed")
    if (
        leave_request.status == LeaveStatus.APPROVED
        and not actor.is_hr
        and leave_request.start_date <= today_for(leave_request.user)
    ):
        raise LeaveConflict("This leave has already started: ask HR to cancel it.", code="already_started")
    was_approved = leave_request.status == LeaveStatus.APPROVED
    _lock_user(leave_request.user_id)
    if was_approved:
        usage = LedgerEntry.objects.filter(request=leave_request, kind=EntryKind.USAGE).first()
        if usage is not None:
            LedgerEntry.objects.create(
                user_id=leave_request.user_id,
                leave_type_id=leave_request.leave_type_id,
                year=usage.year,
                kind=EntryKind.RESTORATION,
                amount=-usage.amount,
                request=leave_request,
                created_by=actor,
            )
    leave_request.status = LeaveStatus.CANCELLED
    if not is_owner:
        leave_request.decided_by = actor
        leave_request.decided_at = timezone.now()
    leave_request.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    _record(
        leave_request,
        "cancelled",
        actor=actor,
        before_status=LeaveStatus.APPROVED if was_approved else LeaveStatus.PENDING,
    )
    if not is_owner:
        _notify_requester(leave_request)
    elif was_approved:
        _notify_approvers(leave_request, cancelled=True)
    return leave_request


@dataclass
class BulkResult:
    done: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (request, message)

    def summary(self, verb):
        text = f"{len(self.done)} {verb}"
        if self.skipped:
            reasons = {}
            for _request, message in self.skipped:
                reasons[message] = reasons.get(message, 0) + 1
            text += ", " + ", ".join(f"{count} skipped: {message}" for message, count in reasons.items())
        return text + "."


def leave_requests_decide(*, leave_request_ids, actor, approve, note=""):
    """Approve or reject many requests, each in its own transaction; report what happened to each."""
    result = BulkResult()
    decide = leave_request_approve if approve else leave_request_reject
    for pk in leave_request_ids:
        try:
            result.done.append(decide(leave_request_id=pk, actor=actor, note=note))
        except LeaveError as error:
            message = error.message.rstrip(".")
            if error.code == "insufficient_balance":
                message = "insufficient balance"
            result.skipped.append((pk, message))
    return result


# --- Ledger: allowances, adjustments, accrual, carry-over, expiry ------------------------------


def _round_half(amount):
    return (amount * 2).quantize(Decimal("1"), rounding=ROUND_HALF_UP) / 2


def _cents(amount):
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@transaction.atomic
def ledger_adjust(*, user, leave_type, year, amount, reason, actor=None):
    """A manual correction of a balance; it always needs a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise LeaveError("An adjustment needs a reason.", field="reason", code="reason_required")
    if len(reason) > 255:
        raise LeaveError("Keep the reason under 255 characters.", field="reason")
    if amount == 0:
        raise LeaveError("An adjustment of 0 changes nothing.", field="amount")
    if not 2000 <= year <= 2100:
        raise LeaveError("Choose a year between 2000 and 2100.", field="year")
    _lock_user(user.pk)
    if amount < 0 and not leave_type.allow_negative:
        balance = _balance(user=user, leave_type=leave_type, year=year)
        if balance.balance + amount < 0:
            raise LeaveError(
                f"This would leave {format_amount(balance.balance + amount, leave_type.unit)}; "
                f"{leave_type.name} cannot go below zero.",
                field="amount",
                code="insufficient_balance",
            )
    entry = LedgerEntry.objects.create(
        user=user,
        leave_type=leave_type,
        year=year,
        kind=EntryKind.ADJUSTMENT,
        amount=amount,
        reason=reason,
        created_by=actor,
    )
    from accounts.services import audit_record

    audit_record(
        actor=actor,
        action="leave_ledger.adjusted",
        obj=entry,
        changes={
            "user": [None, user.pk],
            "leave_type": [None, leave_type.code],
            "amount": [None, amount],
            "reason": [None, reason],
        },
    )
    return entry


def _book_once(*, user_id, leave_type, year, kind, period, amount, reason, actor=None):
    """Book a periodic row unless it exists. Returns True when booked.

    Idempotent even when two runs race: the unique constraint refuses the second row and
    get_or_create then reads the first one.
    """
    _entry, created = LedgerEntry.objects.get_or_create(
        user_id=user_id,
        leave_type=leave_type,
        year=year,
        kind=kind,
        period=period,
        defaults={"amount": amount, "reason": reason, "created_by": actor},
    )
    return created


@transaction.atomic
def allowance_assign(*, users, leave_type, year, amount, actor=None, reason=""):
    """Give many users their initial allowance of a type for a year (HR bulk action).

    Users who already have one for that year are skipped (correct them with an adjustment).
    Returns (assigned users, skipped users).
    """
    if amount < 0:
        raise LeaveError("An allowance cannot be negative.", field="amount")
    if not 2000 <= year <= 2100:
        raise LeaveError("Choose a year between 2000 and 2100.", field="year")
    assigned, skipped = [], []
    for user in users:
        booked = _book_once(
            user_id=user.pk,
            leave_type=leave_type,
            year=year,
            kind=EntryKind.INITIAL,
            period=0,
            amount=amount,
            reason=(reason or "Allowance assigned")[:255],
            actor=actor,
        )
        (assigned if booked else skipped).append(user)
    return assigned, skipped


def _joined(user):
    return timezone.localtime(user.date_joined, user.tzinfo).date()


def _eligible_users(year_end):
    User = get_user_model()
    return User.objects.filter(is_active=True, date_joined__date__lte=year_end).order_by("pk")


def _book_missing(entries):
    """Insert the periodic rows that do not exist yet; returns how many were missing.

    One query reads what exists, one inserts the rest. Idempotent even when two runs race:
    the unique constraint `ledger_periodic_once` refuses a duplicate, which
    ignore_conflicts skips instead of failing the whole batch.
    """
    if not entries:
        return 0
    existing = set(
        LedgerEntry.objects.filter(
            leave_type_id__in={e.leave_type_id for e in entries},
            year__in={e.year for e in entries},
            kind__in={e.kind for e in entries},
            user_id__in={e.user_id for e in entries},
        ).values_list("user_id", "leave_type_id", "year", "kind", "period")
    )
    missing = [e for e in entries if (e.user_id, e.leave_type_id, e.year, e.kind, e.period) not in existing]
    LedgerEntry.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


@transaction.atomic
def leave_run_accruals(*, today):
    """Book this year's allowances up to `today`: the yearly amount (pro-rated for joiners)
    or one accrual per month elapsed. Idempotent. Returns the number of rows booked."""
    year = today.year
    entries = []
    policies = AllowancePolicy.objects.select_related("leave_type").filter(leave_type__is_active=True)
    users = list(_eligible_users(today))
    for policy in policies:
        for user in users:
            joined = _joined(user)
            if joined.year > year:
                continue
            first_month = joined.month if (joined.year == year and policy.prorate_joiners) else 1
            common = {"user_id": user.pk, "leave_type_id": policy.leave_type_id, "year": year}
            if policy.accrual == AccrualMethod.YEARLY:
                share = Decimal(13 - first_month) / Decimal(12)
                reason = f"Allowance {year}" + (" (pro-rated)" if first_month > 1 else "")
                entries.append(
                    LedgerEntry(
                        **common,
                        kind=EntryKind.INITIAL,
                        period=0,
                        amount=_round_half(policy.yearly_amount * share),
                        reason=reason,
                    )
                )
                continue
            for month in range(first_month, today.month + 1):
                # Cumulative rounding: twelve monthly rows add up to the yearly amount exactly.
                amount = _cents(policy.yearly_amount * month / 12) - _cents(policy.yearly_amount * (month - 1) / 12)
                entries.append(
                    LedgerEntry(
                        **common,
                        kind=EntryKind.ACCRUAL,
                        period=month,
                        amount=amount,
                        reason=f"Accrual {year}-{month:02d}",
                    )
                )
    return _book_missing(entries)


@transaction.atomic
def leave_run_carry_over(*, today):
    """Move unused allowance of last year into this year, up to each policy's cap. Idempotent."""
    year = today.year
    entries = []
    policies = AllowancePolicy.objects.select_related("leave_type").filter(
        leave_type__is_active=True, carry_over_cap__gt=0
    )
    for policy in policies:
        remaining = (
            LedgerEntry.objects.filter(leave_type=policy.leave_type, year=year - 1)
            .values("user_id")
            .annotate(total=Sum("amount"))
        )
        for row in remaining:
            entries.append(
                LedgerEntry(
                    user_id=row["user_id"],
                    leave_type_id=policy.leave_type_id,
                    year=year,
                    kind=EntryKind.CARRY_OVER,
                    period=0,
                    amount=min(max(row["total"], ZERO), policy.carry_over_cap),
                    reason=f"Carried over from {year - 1} (cap {policy.carry_over_cap})",
                )
            )
    return _book_missing(entries)


@transaction.atomic
def leave_run_carry_over_expiry(*, today):
    """After the expiry date, carried-over days not used by then lapse. Idempotent: one row
    per user, type and year, booked even when nothing lapses, so a later cancellation
    cannot make a second run lapse days that were legitimately carried."""
    year = today.year
    entries = []
    for policy in AllowancePolicy.objects.select_related("leave_type").filter(carry_over_expiry_month__isnull=False):
        expiry = policy.expiry_date(year)
        if today <= expiry:
            continue
        carried = dict(
            LedgerEntry.objects.filter(leave_type=policy.leave_type, year=year, kind=EntryKind.CARRY_OVER)
            .exclude(amount=0)
            .values_list("user_id", "amount")
        )
        # Days taken by the expiry date use the carried days first: one grouped query for everyone.
        used_by_expiry = dict(
            LedgerEntry.objects.filter(
                user_id__in=list(carried),
                leave_type=policy.leave_type,
                year=year,
                kind__in=[EntryKind.USAGE, EntryKind.RESTORATION],
                request__start_date__lte=expiry,
            )
            .values("user_id")
            .annotate(total=Sum("amount"))
            .values_list("user_id", "total")
        )
        for user_id, amount in carried.items():
            used = max(-used_by_expiry.get(user_id, ZERO), ZERO)
            entries.append(
                LedgerEntry(
                    user_id=user_id,
                    leave_type_id=policy.leave_type_id,
                    year=year,
                    kind=EntryKind.CARRY_OVER_EXPIRY,
                    period=0,
                    amount=-max(amount - used, ZERO),
                    reason=f"Carried-over days not used by {expiry:%d %b %Y}",
                )
            )
    return _book_missing(entries)


def leave_run_policies(*, today):
    """Accrual, carry-over and expiry in order (the management command and the beat tasks)."""
    return {
        "carry_over": leave_run_carry_over(today=today),
        "accruals": leave_run_accruals(today=today),
        "expiry": leave_run_carry_over_expiry(today=today),
    }


# --- Calendar feeds ---------------------------------------------------------------------------


@transaction.atomic
def feed_token_get_or_create(*, user):
    token, _created = CalendarFeedToken.objects.get_or_create(
        user=user, defaults={"token": CalendarFeedToken.new_token()}
    )
    return token


@transaction.atomic
def feed_token_reset(*, user):
    """Revoke every feed URL handed out so far by choosing a new secret."""
    token, created = CalendarFeedToken.objects.select_for_update().get_or_create(
        user=user, defaults={"token": CalendarFeedToken.new_token()}
    )
    if not created:
        token.token = CalendarFeedToken.new_token()
        token.save(update_fields=["token", "created_at"])
    return token


def feed_token_revoke(*, user, **kwargs):
    """Revoke every feed URL of `user` (deactivation, HR's "revoke all access"): the secret is
    dropped; a new one is made only when the user opens their feeds page again. Connected to
    accounts.signals.access_revoked, so it runs in the revoking transaction."""
    CalendarFeedToken.objects.filter(user=user).delete()


# --- Notifications ----------------------------------------------------------------------------


def _email(user_id, subject, body):
    # In the decision's transaction: a rolled-back decision sends nothing, an outage loses nothing.
    email_queue(user_id=user_id, subject=subject, body=body)


def approvers_of(user):
    """Who decides `user`'s leave: their manager, or HR when they have none."""
    if user.manager_id:
        return [user.manager_id]
    User = get_user_model()
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=settings.HR_GROUP_NAME))
        .exclude(pk=user.pk)
        .values_list("pk", flat=True)
        .distinct()
    )


def _describe(leave_request):
    return (
        f"{leave_request.leave_type.name}, {leave_request.start_date:%a %d %b %Y} to "
        f"{leave_request.end_date:%a %d %b %Y} ({format_amount(leave_request.amount, leave_request.leave_type.unit)})"
    )


def _notify_approvers(leave_request, *, automatic=False, cancelled=False):
    who = leave_request.user
    if cancelled:
        subject = f"Leave cancelled: {who}"
        body = f"{who} cancelled approved leave: {_describe(leave_request)}."
    elif automatic:
        subject = f"Leave recorded: {who}"
        body = f"{who} recorded {_describe(leave_request)}. No approval is needed."
    else:
        subject = f"Leave request to approve: {who}"
        body = (
            f"{who} requests {_describe(leave_request)}.\n"
            f"Reason: {leave_request.reason or '-'}\n\nDecide it in the approvals page or the admin."
        )
    for approver_id in approvers_of(who):
        _email(approver_id, subject, body)


def _notify_requester(leave_request):
    status_text = leave_request.get_status_display().lower()
    subject = f"Your leave request was {status_text}"
    body = f"Your request for {_describe(leave_request)} was {status_text}"
    if leave_request.decided_by:
        body += f" by {leave_request.decided_by}"
    body += "." + (f"\nNote: {leave_request.decision_note}" if leave_request.decision_note else "")
    _email(leave_request.user_id, subject, body)


@transaction.atomic
def leave_send_pending_reminders(*, now=None, older_than_days=None):
    """E-mail approvers about requests pending longer than N days; at most one reminder per
    request per day, however often this runs. Returns the number of requests reminded."""
    now = now or timezone.now()
    days = settings.LEAVE_REMINDER_AFTER_DAYS if older_than_days is None else older_than_days
    due = (
        LeaveRequest.objects.pending()
        .filter(created_at__lte=now - timedelta(days=days))
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=now - timedelta(hours=20)))
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("user", "leave_type")
    )
    by_approver = {}
    reminded = []
    for leave_request in due:
        for approver_id in approvers_of(leave_request.user):
            by_approver.setdefault(approver_id, []).append(leave_request)
        reminded.append(leave_request.pk)
    for approver_id, requests in by_approver.items():
        lines = "\n".join(f"- {r.user}: {_describe(r)}, waiting since {r.created_at:%d %b %Y}" for r in requests)
        _email(approver_id, f"{len(requests)} leave request(s) waiting for you", f"Please decide:\n{lines}")
    LeaveRequest.objects.filter(pk__in=reminded).update(reminded_at=now)
    return len(reminded)
