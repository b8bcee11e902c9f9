"""Leave requests: evaluating a draft (shared by preview and submit), submitting, and the
supporting document (validated by content, stored under a random name)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import filetype
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from accounts.models import User
from accounts.services import audit_record
from core.errors import NotFound
from leave import calendars
from leave.models import ZERO, Balance, EndPart, LeaveRequest, LeaveStatus, LeaveType, LeaveUnit, StartPart
from leave.services.balances import _balance
from leave.services.common import LeaveConflict, LeaveError, LeaveForbidden, _lock_user, _record, format_amount
from leave.services.decisions import _approve
from leave.services.notifications import _notify_approvers
from leave.services.substitutes import _substitutes_set, substitute_warnings, substitutes_check

ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENT_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
MAX_REQUEST_DAYS = 366


@dataclass
class Draft:
    user: User
    leave_type: LeaveType
    start_date: date
    end_date: date
    start_part: str = StartPart.FULL
    end_part: str = EndPart.FULL
    hours: Decimal | None = None
    reason: str = ""
    attachment: UploadedFile | None = None
    substitutes: list[User] = field(default_factory=list)
    amount: Decimal = ZERO
    days: list[calendars.Day] = field(default_factory=list)
    problems: list[LeaveError] = field(default_factory=list)
    # What the requester and the approver should know but that does not stop the request
    # (a substitute away at the same time).
    warnings: list[LeaveError] = field(default_factory=list)
    balance: Balance | None = None

    @property
    def unit(self) -> str:
        return self.leave_type.unit


def _check_shape(draft: Draft) -> None:
    """Refusals that make the amount meaningless: raised, never merely warned about."""
    if draft.leave_type is None or not draft.leave_type.is_active:
        raise LeaveError(gettext("Choose an active leave type."), field="leave_type", code="invalid_type")
    if draft.end_date < draft.start_date:
        raise LeaveError(
            gettext("The end date must be on or after the start date."), field="end_date", code="end_before_start"
        )
    if (draft.end_date - draft.start_date).days >= MAX_REQUEST_DAYS:
        raise LeaveError(gettext("A request can cover at most one year."), field="end_date", code="too_long")
    if draft.start_date.year != draft.end_date.year:
        raise LeaveError(
            gettext("A request cannot span two years: split it at 31 December."), field="end_date", code="spans_years"
        )
    if draft.start_part not in StartPart.values:
        raise LeaveError(gettext("Choose full day or afternoon only."), field="start_part")
    if draft.end_part not in EndPart.values:
        raise LeaveError(gettext("Choose full day or morning only."), field="end_part")
    if draft.unit == LeaveUnit.HOURS:
        if draft.start_date != draft.end_date:
            raise LeaveError(
                gettext("Hourly leave is requested one day at a time."), field="end_date", code="hours_one_day"
            )
        if draft.hours is None or draft.hours <= 0:
            raise LeaveError(gettext("Enter the number of hours (more than 0)."), field="hours", code="hours_required")
        if draft.hours > 24:
            raise LeaveError(gettext("A day has at most 24 hours."), field="hours", code="hours_too_many")
    else:
        if draft.hours is not None:
            raise LeaveError(
                gettext("{leave_type} is counted in days, not hours.").format(leave_type=draft.leave_type),
                field="hours",
                code="hours_not_allowed",
            )
        single = draft.start_date == draft.end_date
        if single and draft.start_part == StartPart.AFTERNOON and draft.end_part == EndPart.MORNING:
            raise LeaveError(
                gettext("A one-day request is either the morning or the afternoon, not both halves."),
                field="end_part",
                code="half_day_conflict",
            )


def _compute_amount(draft: Draft) -> None:
    draft.days = calendars.day_amounts(draft.user, draft.start_date, draft.end_date, draft.start_part, draft.end_part)
    working = sum((day.amount for day in draft.days), ZERO)
    if draft.unit == LeaveUnit.HOURS:
        # _check_shape refused an hourly draft without hours.
        draft.amount = draft.hours if working > 0 else ZERO  # type: ignore[assignment]
    else:
        draft.amount = working
    if draft.amount <= 0:
        raise LeaveError(
            gettext("This request covers no working day: only weekends, public holidays or company closures."),
            field="start_date",
            code="no_working_days",
        )


def _problems(draft: Draft) -> list[LeaveError]:
    """Refusals that depend on other data (overlap, balance, attachment), in the order submit reports them."""
    problems: list[LeaveError] = []
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
                gettext("This overlaps your {lower} request from {start_date:%d %b %Y} to {end_date:%d %b %Y}.").format(
                    lower=overlapping.get_status_display().lower(),
                    start_date=overlapping.start_date,
                    end_date=overlapping.end_date,
                ),
                code="overlap",
            )
        )
    leave_type = draft.leave_type
    draft.balance = _balance(
        user=draft.user, leave_type=leave_type, year=draft.start_date.year, through=draft.start_date
    )
    if leave_type.deducts_allowance and not leave_type.allow_negative and draft.amount > draft.balance.available:
        problems.append(
            LeaveError(
                gettext("Not enough {name} left: {format_amount} available, {format_amount2} requested.").format(
                    name=leave_type.name,
                    format_amount=format_amount(draft.balance.available, draft.unit),
                    format_amount2=format_amount(draft.amount, draft.unit),
                ),
                field="leave_type",
                code="insufficient_balance",
            )
        )
    limit = leave_type.attachment_required_after_days
    calendar_days = (draft.end_date - draft.start_date).days + 1
    if limit is not None and calendar_days > limit and not draft.attachment:
        problems.append(
            LeaveError(
                gettext("{name} longer than {limit} days needs a supporting document (PDF, PNG or JPEG).").format(
                    name=leave_type.name, limit=limit
                ),
                field="attachment",
                code="attachment_required",
            )
        )
    return problems


def _draft(
    *,
    user: User,
    leave_type: LeaveType,
    start_date: date,
    end_date: date,
    start_part: str | None,
    end_part: str | None,
    hours: Decimal | None,
    reason: str | None = "",
    attachment: UploadedFile | None = None,
    substitutes: Sequence[User] | None = None,
) -> Draft:
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
        substitutes=list(substitutes or []),
    )


def leave_request_preview(
    *,
    user: User,
    leave_type: LeaveType,
    start_date: date,
    end_date: date,
    start_part: str | None = StartPart.FULL,
    end_part: str | None = EndPart.FULL,
    hours: Decimal | None = None,
    substitutes: Sequence[User] | None = None,
) -> Draft:
    """The amount and the warnings of a draft, without writing anything.

    Returns the Draft; `draft.problems` lists what submit would refuse, `draft.warnings` what it
    would not (a substitute away too). Shape errors (end before start, a substitute from another
    team, ...) are raised like in submit.
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
        substitutes=substitutes,
    )
    _check_shape(draft)
    substitutes_check(requester=user, substitutes=draft.substitutes)
    draft.warnings = substitute_warnings(substitutes=draft.substitutes, start_date=start_date, end_date=end_date)
    try:
        _compute_amount(draft)
    except LeaveError as error:
        draft.problems = [error]
        return draft
    # The attachment is not known to a preview: warn only that one will be needed.
    draft.problems = _problems(draft)
    return draft


def validate_attachment(upload: UploadedFile) -> str:
    """PDF, PNG or JPEG by content (the name is not trusted), at most 5 MB. Returns the extension."""
    if upload.size > ATTACHMENT_MAX_BYTES:  # type: ignore[operator]  # an uploaded file has a size
        raise LeaveError(
            gettext("The attachment is larger than 5 MB."), field="attachment", code="attachment_too_large"
        )
    if upload.size == 0:
        raise LeaveError(gettext("The attachment is empty."), field="attachment", code="attachment_empty")
    upload.seek(0)
    head = upload.read(262)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ATTACHMENT_TYPES:
        raise LeaveError(
            gettext("The attachment must be a PDF, PNG or JPEG file."), field="attachment", code="attachment_type"
        )
    return ATTACHMENT_TYPES[kind.mime]


def _store_attachment(leave_request: LeaveRequest, upload: UploadedFile) -> None:
    extension = validate_attachment(upload)
    leave_request.attachment_name = (getattr(upload, "name", "") or "attachment")[-255:]
    # Stored through Django storage under a random name with the extension of the content.
    leave_request.attachment.save(f"upload.{extension}", upload, save=False)


@transaction.atomic
def leave_request_submit(
    *,
    user: User,
    leave_type: LeaveType,
    start_date: date,
    end_date: date,
    start_part: str | None = StartPart.FULL,
    end_part: str | None = EndPart.FULL,
    hours: Decimal | None = None,
    reason: str | None = "",
    attachment: UploadedFile | None = None,
    substitutes: Sequence[User] | None = None,
) -> LeaveRequest:
    """Create a request. Types that need no approval are approved (and booked) at once; its
    substitutes are told when it is approved."""
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
        substitutes=substitutes,
    )
    if len(draft.reason) > 500:
        raise LeaveError(gettext("Keep the reason under 500 characters."), field="reason")
    _check_shape(draft)
    substitutes_check(requester=user, substitutes=draft.substitutes)
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
        raise LeaveConflict(gettext("This overlaps another of your requests."), code="overlap") from error
    _substitutes_set(leave_request, draft.substitutes)
    _record(leave_request, "submitted", actor=user)
    if not leave_type.requires_approval:
        _approve(leave_request, decided_by=None, note="Approved automatically.")
        _notify_approvers(leave_request, automatic=True)
    else:
        _notify_approvers(leave_request)
    return leave_request


@transaction.atomic
def leave_request_attach(*, leave_request: LeaveRequest, actor: User, upload: UploadedFile) -> LeaveRequest:
    """Add or replace the document of a request (the requester, while it is not closed)."""
    leave_request = LeaveRequest.objects.select_for_update().get(pk=leave_request.pk)
    if actor.pk != leave_request.user_id and not actor.is_hr:
        raise LeaveForbidden(gettext("Only the requester or HR can attach a document."))
    if leave_request.status in (LeaveStatus.REJECTED, LeaveStatus.CANCELLED):
        raise LeaveConflict(
            gettext("This request is {lower}.").format(lower=leave_request.get_status_display().lower()), code="closed"
        )
    old = leave_request.attachment.name if leave_request.attachment else None
    _store_attachment(leave_request, upload)
    leave_request.save(update_fields=["attachment", "attachment_name", "updated_at"])
    if old:
        storage = leave_request.attachment.storage
        transaction.on_commit(lambda: storage.delete(old))
    return leave_request


@transaction.atomic
def leave_request_attachment_delete(*, leave_request: LeaveRequest, actor: User) -> LeaveRequest:
    """Remove the document of a pending request (its requester only): the stored file is deleted
    once the transaction commits, audited with the file's name. 404 when there is none (nothing to
    delete), 409 `not_pending` once the request is decided (the document is part of the decision)."""
    leave_request = LeaveRequest.objects.select_for_update().get(pk=leave_request.pk)
    if actor.pk != leave_request.user_id:
        raise LeaveForbidden(gettext("Only the requester can delete their document."), code="not_owner")
    if not leave_request.attachment:
        raise NotFound(gettext("This request has no attachment."))
    if leave_request.status != LeaveStatus.PENDING:
        raise LeaveConflict(
            gettext("This request is {lower}: only a pending request's document can be deleted.").format(
                lower=leave_request.get_status_display().lower()
            ),
            code="not_pending",
        )
    stored, name = leave_request.attachment.name, leave_request.attachment_name
    storage = leave_request.attachment.storage
    leave_request.attachment = None
    leave_request.attachment_name = ""
    leave_request.save(update_fields=["attachment", "attachment_name", "updated_at"])
    audit_record(
        actor=actor,
        action="leave_request.attachment_deleted",
        obj=leave_request,
        changes={"attachment_name": [name, ""]},
    )
    transaction.on_commit(lambda: storage.delete(stored))
    return leave_request
