"""Invoices: drafting from a client's billable entries, editing a draft, issuing it with the next
number of the year's gap-free sequence, and cancelling it by a credit note. Every write is audited;
issuing and crediting publish webhook events.

Who: HR, and members of the `BILLING_GROUP_NAME` group (default "billing"). Everyone else gets 404
for an invoice (it is not theirs to see) and 403 when creating one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_changes, audit_record
from billing.currencies import round_money
from billing.models import (
    Invoice,
    InvoicedEntry,
    InvoiceGrouping,
    InvoiceKind,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceSequence,
    InvoiceStatus,
    RateLevel,
)
from billing.pricing import EntryPrice, local_day, price_entries
from billing.services.errors import BillingConflict, BillingError, BillingForbidden
from billing.services.settings import client_currency
from core.errors import NotFound
from timetracking.models import Client, TimeEntry
from timetracking.services.common import TimeTrackingConflict
from webhooks.services import outbox_publish

HOUR = Decimal(3600)
QUANTITY_PLACES = Decimal("0.0001")
MAX_LINES = 500
MAX_RANGE_DAYS = 366
LINE_FIELDS = ("description", "quantity", "unit_price")


class Invoiced(TimeTrackingConflict, BillingConflict):
    """An entry on an invoice may not change (409 `invoiced`). A time tracking conflict too: the
    entry write it refuses is shown where the pages show their own (the week page, the grid)."""

    default_code = "invoiced"


# --- Who ------------------------------------------------------------------------------------------


def can_invoice(user: User) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_hr or user.in_billing_group


def invoices_visible_to(user: User) -> QuerySet[Invoice]:
    return Invoice.objects.all() if can_invoice(user) else Invoice.objects.none()


def _require(actor: User) -> None:
    if not can_invoice(actor):
        raise BillingForbidden(_("Only HR and the billing group write invoices."))


def _locked_draft(invoice: Invoice) -> Invoice:
    locked = Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
    if locked is None:
        raise NotFound(_("No such invoice."))
    if not locked.is_draft:
        raise BillingConflict(_("Invoice %(number)s is issued: it never changes.") % {"number": locked.number},
                              code="issued")  # fmt: skip
    return locked


# --- The lock on entries (registered with timetracking by billing's AppConfig) ---------------------


def refuse_invoiced_entries(entry_ids: Collection[int]) -> None:
    """Refuse (409 `invoiced`) a change to any of the entries when it is on an invoice."""
    if not entry_ids:
        return
    held = (
        InvoicedEntry.objects.filter(entry_id__in=list(entry_ids))
        .values_list("invoice__number", "invoice_id", "invoice__status")
        .first()
    )
    if held is None:
        return
    number, invoice_id, status = held
    if status == InvoiceStatus.ISSUED:
        message = _("This entry is on invoice %(number)s and can no longer change.") % {"number": number}
    else:
        message = _(
            "This entry is on the draft invoice %(id)s: remove its line from the draft, or delete the draft, first."
        ) % {"id": invoice_id}
    raise Invoiced(message)


def refuse_invoiced_rate_change(*, rate: Any, day: date) -> None:
    """A rate written from `day` on (of the rate's target) would reprice entries on an invoice."""
    entries = InvoicedEntry.objects.filter(invoice__period_to__gte=day)
    if rate.level == "client":
        entries = entries.filter(entry__project__client_id=rate.client_id)
    elif rate.level == "project":
        entries = entries.filter(entry__project_id=rate.project_id)
    elif rate.level == "task":
        entries = entries.filter(entry__task_id=rate.task_id)
    elif rate.level == "user_on_project":
        entries = entries.filter(entry__project_id=rate.project_id, entry__user_id=rate.user_id)
    else:
        entries = entries.filter(invoice__currency=rate.currency)
    held = entries.values_list("invoice__number", "invoice_id").first()
    if held is not None:
        name = held[0] or _("draft %(id)s") % {"id": held[1]}
        raise Invoiced(
            _("Entries from %(day)s priced by this rate are on invoice %(name)s: a rate change would reprice them.")
            % {"day": day.isoformat(), "name": name},
            field="valid_from",
        )


# --- Drafting -------------------------------------------------------------------------------------


@dataclass
class _Group:
    description: str
    project_id: int | None
    task_id: int | None
    unit_price: Decimal
    entries: list[tuple[int, EntryPrice, int]]  # (entry id, price, tracked seconds)


def _billable_rows(client: Client, period_from: date, period_to: date) -> list[Any]:
    # Local days of any zone lie within a day of the UTC ones; the exact local day is checked below.
    start = datetime.combine(period_from - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(period_to + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    rows = (
        TimeEntry.objects.finished()
        .filter(project__client=client, billable=True, started_at__gte=start, started_at__lt=end)
        .filter(invoicing__isnull=True)
        .order_by("started_at", "id")
        .values(
            "id", "user_id", "user__timezone", "user__first_name", "user__last_name", "user__username",
            "project_id", "project__name", "task_id", "task__name", "started_at", "ended_at", "billable",
            "description",
        )
    )  # fmt: skip
    return [row for row in rows if period_from <= local_day(row["started_at"], row["user__timezone"]) <= period_to]


def _personal(price: EntryPrice) -> bool:
    return price.rate is not None and price.rate.level == RateLevel.USER_ON_PROJECT


def _group_key(row: Mapping[str, Any], price: EntryPrice, grouping: str) -> tuple[Any, ...]:
    assert price.rate is not None
    if grouping == InvoiceGrouping.ENTRY:
        return (row["id"],)
    # A person's own rate on the project: their own line, named after them.
    person = row["user_id"] if _personal(price) else None
    if grouping == InvoiceGrouping.TASK:
        return (row["project_id"], row["task_id"], price.rate.amount, person)
    return (row["project_id"], price.rate.amount, person)


def _person_name(row: Mapping[str, Any]) -> str:
    return f"{row['user__first_name']} {row['user__last_name']}".strip() or str(row["user__username"])


def _description(row: Mapping[str, Any], price: EntryPrice, grouping: str) -> str:
    if grouping == InvoiceGrouping.ENTRY:
        day = local_day(row["started_at"], row["user__timezone"])
        text = row["description"] or row["task__name"] or row["project__name"]
        return f"{day.isoformat()} · {row['project__name']} · {text}"[:500]
    parts = [str(row["project__name"])]
    if grouping == InvoiceGrouping.TASK and row["task__name"]:
        parts.append(str(row["task__name"]))
    if _personal(price):
        parts.append(_person_name(row))
    return " · ".join(parts)[:500]


def _hours(seconds: int) -> Decimal:
    return (Decimal(seconds) / HOUR).quantize(QUANTITY_PLACES)


def _totals(invoice: Invoice, lines: Iterable[InvoiceLine]) -> None:
    net = sum((line.amount for line in lines), Decimal("0"))
    invoice.net = round_money(net, invoice.currency)
    invoice.tax = round_money(invoice.net * invoice.tax_rate / 100, invoice.currency)
    invoice.gross = invoice.net + invoice.tax


def _check_period(period_from: Any, period_to: Any) -> tuple[date, date]:
    if not isinstance(period_from, date) or not isinstance(period_to, date):
        raise BillingError(_("Give the first and the last day."), field="from", code="required")
    if period_to < period_from:
        raise BillingError(_("The last day is before the first."), field="to")
    if (period_to - period_from).days >= MAX_RANGE_DAYS:
        raise BillingError(_("An invoice covers at most a year."), field="to")
    return period_from, period_to


def _check_tax_rate(value: Any) -> Decimal:
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise BillingError(_("A tax rate is a number of per cent."), field="tax_rate") from None
    if not rate.is_finite() or rate < 0 or rate > 100 or rate != rate.quantize(Decimal("0.01")):
        raise BillingError(_("A tax rate lies between 0 and 100 %, with at most two decimals."), field="tax_rate")
    return rate


@transaction.atomic
def invoice_draft_create(
    *,
    actor: User,
    client: Client,
    period_from: date,
    period_to: date,
    grouping: str = InvoiceGrouping.PROJECT,
    tax_rate: Any = None,
    note: str = "",
) -> Invoice:
    """A draft with one line per group of the client's billable, finished, not-yet-invoiced entries
    whose local day lies in the range; the entries are reserved for it. Refused when an entry has no
    billable rate (400 `unpriced`: an invoice never bills time at 0 silently) or none is left."""
    _require(actor)
    period_from, period_to = _check_period(period_from, period_to)
    if grouping not in InvoiceGrouping.values:
        raise BillingError(_("Group by project, task or entry."), field="grouping", code="invalid_choice")
    rate = _check_tax_rate(settings.BILLING_TAX_RATE if tax_rate is None else tax_rate)
    # Locked: two drafts of the same client at once would reserve the same entries (the unique
    # entry of InvoicedEntry refuses the second anyway; the lock makes it wait instead).
    Client.objects.select_for_update().get(pk=client.pk)
    rows = _billable_rows(client, period_from, period_to)
    if not rows:
        raise BillingError(
            _("%(client)s has no billable, uninvoiced time from %(from)s to %(to)s.")
            % {"client": client.name, "from": period_from.isoformat(), "to": period_to.isoformat()},
            field="from",
            code="empty",
        )
    prices = price_entries(rows)
    unpriced = [row for row in rows if prices[row["id"]].rate is None]
    if unpriced:
        raise BillingError(
            _("%(count)d billable entries in the range have no billable rate: set a rate first.")
            % {"count": len(unpriced)},
            field="from",
            code="unpriced",
        )
    groups: dict[tuple[Any, ...], _Group] = {}
    for row in rows:
        price = prices[row["id"]]
        assert price.rate is not None and price.billed_seconds is not None
        key = _group_key(row, price, grouping)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(
                description=_description(row, price, grouping),
                project_id=row["project_id"],
                task_id=row["task_id"] if grouping != InvoiceGrouping.PROJECT else None,
                unit_price=price.rate.amount,
                entries=[],
            )
        tracked = int((row["ended_at"] - row["started_at"]).total_seconds())
        group.entries.append((row["id"], price, tracked))
    if len(groups) > MAX_LINES:
        raise BillingError(
            _("That makes more than %(max)d lines: group by project or task.") % {"max": MAX_LINES},
            field="grouping",
        )
    currency = client_currency(client)
    invoice = Invoice.objects.create(
        client=client,
        period_from=period_from,
        period_to=period_to,
        grouping=grouping,
        currency=currency,
        tax_rate=rate,
        note=str(note or "")[:2000],
        created_by=actor,
    )
    lines = []
    for position, group in enumerate(groups.values(), start=1):
        billed = sum(price.billed_seconds or 0 for _, price, _ in group.entries)
        lines.append(
            InvoiceLine(
                invoice=invoice,
                position=position,
                kind=InvoiceLineKind.TIME,
                description=group.description,
                project_id=group.project_id,
                task_id=group.task_id,
                quantity=_hours(billed),
                unit_price=group.unit_price,
                amount=sum((price.amount or Decimal("0") for _, price, _ in group.entries), Decimal("0")),
                tracked_seconds=sum(tracked for _, _, tracked in group.entries),
                billed_seconds=billed,
            )
        )
    InvoiceLine.objects.bulk_create(lines)
    reserved = [
        InvoicedEntry(
            entry_id=entry_id,
            invoice=invoice,
            line=line,
            amount=price.amount or Decimal("0"),
            billed_seconds=price.billed_seconds or 0,
        )
        for line, group in zip(lines, groups.values(), strict=True)
        for entry_id, price, _ in group.entries
    ]
    try:
        with transaction.atomic():
            InvoicedEntry.objects.bulk_create(reserved)
    except IntegrityError:
        raise BillingConflict(
            _("Some of these entries were just put on another invoice: try again."), code="invoiced"
        ) from None
    _totals(invoice, lines)
    invoice.save(update_fields=["net", "tax", "gross", "updated_at"])
    audit_record(
        actor=actor,
        action="billing.invoice_drafted",
        obj=invoice,
        changes={
            "client": [None, client.pk],
            "period": [None, f"{period_from}..{period_to}"],
            "lines": [None, len(lines)],
            "entries": [None, len(reserved)],
            "net": [None, str(invoice.net)],
        },
    )
    return invoice


def _line_values(data: Mapping[str, Any], currency: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "description" in data:
        description = " ".join(str(data["description"] or "").split())
        if not description:
            raise BillingError(_("A line needs a description."), field="description", code="required")
        values["description"] = description[:500]
    for name, places in (("quantity", QUANTITY_PLACES), ("unit_price", Decimal("0.001"))):
        if name not in data:
            continue
        try:
            number = Decimal(str(data[name]))
        except (InvalidOperation, ValueError):
            raise BillingError(_("Give a number."), field=name) from None
        if not number.is_finite() or abs(number) >= Decimal("1e8"):
            raise BillingError(_("Give a number below 100,000,000."), field=name)
        if name == "unit_price" and number < 0:
            raise BillingError(_("A unit price is not negative: give a negative quantity for a discount."),
                               field=name)  # fmt: skip
        values[name] = number.quantize(places)
    return values


def _relines(invoice: Invoice) -> None:
    lines = list(invoice.lines.all())
    _totals(invoice, lines)
    invoice.save(update_fields=["net", "tax", "gross", "updated_at"])


@transaction.atomic
def invoice_update(*, actor: User, invoice: Invoice, data: Mapping[str, Any]) -> Invoice:
    """Change a draft's tax rate or note."""
    _require(actor)
    invoice = _locked_draft(invoice)
    before = {"tax_rate": str(invoice.tax_rate), "note": invoice.note}
    if "tax_rate" in data:
        invoice.tax_rate = _check_tax_rate(data["tax_rate"])
    if "note" in data:
        invoice.note = str(data["note"] or "")[:2000]
    _relines(invoice)
    invoice.save(update_fields=["tax_rate", "note", "updated_at"])
    changes = audit_changes(before, {"tax_rate": str(invoice.tax_rate), "note": invoice.note})
    if changes:
        audit_record(actor=actor, action="billing.invoice_updated", obj=invoice, changes=changes)
    return invoice


@transaction.atomic
def invoice_line_add(*, actor: User, invoice: Invoice, data: Mapping[str, Any]) -> InvoiceLine:
    """A fixed line on a draft: description, quantity, unit price."""
    _require(actor)
    invoice = _locked_draft(invoice)
    missing = [name for name in LINE_FIELDS if data.get(name) in (None, "")]
    if missing:
        raise BillingError(_("This field is required."), field=missing[0], code="required")
    values = _line_values(data, invoice.currency)
    if invoice.lines.count() >= MAX_LINES:
        raise BillingError(_("An invoice has at most %(max)d lines.") % {"max": MAX_LINES}, code="too_many")
    last = invoice.lines.order_by("-position").values_list("position", flat=True).first() or 0
    line = InvoiceLine.objects.create(
        invoice=invoice,
        position=last + 1,
        kind=InvoiceLineKind.FIXED,
        amount=round_money(values["quantity"] * values["unit_price"], invoice.currency),
        **values,
    )
    _relines(invoice)
    audit_record(
        actor=actor,
        action="billing.invoice_line_added",
        obj=invoice,
        changes={"line": [None, f"{line.description}: {line.quantity} × {line.unit_price}"]},
    )
    return line


def _line_of(invoice: Invoice, line_id: Any) -> InvoiceLine:
    line = InvoiceLine.objects.filter(invoice=invoice, pk=line_id).first() if str(line_id).isdigit() else None
    if line is None:
        raise NotFound(_("This invoice has no such line."))
    return line


@transaction.atomic
def invoice_line_update(*, actor: User, invoice: Invoice, line_id: Any, data: Mapping[str, Any]) -> InvoiceLine:
    """Edit a draft's line. A changed quantity or unit price makes its amount quantity × unit price."""
    _require(actor)
    invoice = _locked_draft(invoice)
    line = _line_of(invoice, line_id)
    before = {name: str(getattr(line, name)) for name in (*LINE_FIELDS, "amount")}
    values = _line_values(data, invoice.currency)
    for name, value in values.items():
        setattr(line, name, value)
    if "quantity" in values or "unit_price" in values:
        line.amount = round_money(line.quantity * line.unit_price, invoice.currency)
    line.save()
    _relines(invoice)
    changes = audit_changes(before, {name: str(getattr(line, name)) for name in (*LINE_FIELDS, "amount")})
    if changes:
        audit_record(actor=actor, action="billing.invoice_line_updated", obj=invoice, changes=changes)
    return line


@transaction.atomic
def invoice_line_delete(*, actor: User, invoice: Invoice, line_id: Any) -> None:
    """Remove a draft's line; its entries are released (they may be invoiced later)."""
    _require(actor)
    invoice = _locked_draft(invoice)
    line = _line_of(invoice, line_id)
    released = line.entries.count()
    description = line.description
    line.delete()  # its InvoicedEntry rows go with it (CASCADE)
    _relines(invoice)
    audit_record(
        actor=actor,
        action="billing.invoice_line_deleted",
        obj=invoice,
        changes={"line": [description, None], "entries_released": [None, released]},
    )


@transaction.atomic
def invoice_draft_delete(*, actor: User, invoice: Invoice) -> None:
    _require(actor)
    invoice = _locked_draft(invoice)
    released = invoice.entries.count()
    audit_record(
        actor=actor, action="billing.invoice_draft_deleted", obj=invoice, changes={"entries_released": [released, 0]}
    )
    invoice.delete()


# --- Issuing and crediting ------------------------------------------------------------------------


def format_number(year: int, sequence: int) -> str:
    return str(settings.BILLING_INVOICE_NUMBER_FORMAT).format(year=year, number=sequence)


def _next_number(year: int) -> tuple[int, str]:
    """The next number of `year`, taken under the sequence row's lock (held to the commit)."""
    InvoiceSequence.objects.get_or_create(year=year)
    sequence = InvoiceSequence.objects.select_for_update().get(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return sequence.last, format_number(year, sequence.last)


def _stamp(invoice: Invoice, actor: User) -> None:
    today = timezone.localdate(timezone=actor.tzinfo)
    invoice.sequence, invoice.number = _next_number(today.year)
    invoice.year, invoice.issued_on = today.year, today
    invoice.issued_at, invoice.issued_by = timezone.now(), actor
    invoice.status = InvoiceStatus.ISSUED


def _payload(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.pk,
        "kind": invoice.kind,
        "number": invoice.number,
        "client": invoice.client_id,
        "from": invoice.period_from.isoformat(),
        "to": invoice.period_to.isoformat(),
        "currency": invoice.currency,
        "net": str(invoice.net),
        "tax_rate": str(invoice.tax_rate),
        "tax": str(invoice.tax),
        "gross": str(invoice.gross),
        "issued_on": invoice.issued_on.isoformat() if invoice.issued_on else None,
        "credited_invoice": invoice.credited_invoice_id,
    }


@transaction.atomic
def invoice_issue(*, actor: User, invoice: Invoice) -> Invoice:
    """Give the draft the next number of the year's sequence and lock its entries for good. Refused
    (409 `issued`) when it is issued already, 400 `empty` without a line."""
    _require(actor)
    invoice = _locked_draft(invoice)
    lines = list(invoice.lines.all())
    if not lines:
        raise BillingError(_("An invoice without lines cannot be issued."), code="empty")
    _totals(invoice, lines)
    _stamp(invoice, actor)
    invoice.save()
    audit_record(
        actor=actor,
        action="billing.invoice_issued",
        obj=invoice,
        changes={"number": [None, invoice.number], "gross": [None, str(invoice.gross)]},
    )
    outbox_publish(event_type="invoice.issued", payload=_payload(invoice))
    return invoice


@transaction.atomic
def invoice_cancel(*, actor: User, invoice: Invoice, note: str = "") -> Invoice:
    """Cancel an issued invoice by a credit note: an issued document of its own (the next number),
    its lines the invoice's negated, which releases the invoice's entries. Refused (409) for a
    draft (delete it instead), a credit note, or an invoice credited already."""
    _require(actor)
    original = Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
    if original is None:
        raise NotFound(_("No such invoice."))
    if original.is_draft:
        raise BillingConflict(_("A draft is deleted, not cancelled."), code="draft")
    if original.kind == InvoiceKind.CREDIT_NOTE:
        raise BillingConflict(_("A credit note cannot be cancelled."), code="credit_note")
    if Invoice.objects.filter(credited_invoice=original).exists():
        raise BillingConflict(_("This invoice is cancelled already."), code="cancelled")
    credit = Invoice(
        kind=InvoiceKind.CREDIT_NOTE,
        client_id=original.client_id,
        period_from=original.period_from,
        period_to=original.period_to,
        grouping=original.grouping,
        currency=original.currency,
        tax_rate=original.tax_rate,
        note=str(note or "")[:2000] or _("Cancels invoice %(number)s.") % {"number": original.number},
        credited_invoice=original,
        created_by=actor,
    )
    lines = [
        InvoiceLine(
            position=line.position,
            kind=line.kind,
            description=line.description,
            project_id=line.project_id,
            task_id=line.task_id,
            quantity=-line.quantity,
            unit_price=line.unit_price,
            amount=-line.amount,
            tracked_seconds=-line.tracked_seconds,
            billed_seconds=-line.billed_seconds,
        )
        for line in original.lines.all()
    ]
    _totals(credit, lines)
    _stamp(credit, actor)
    # Lines are written while the credit note is a draft: an issued invoice's lines never change.
    credit.status, number, sequence = InvoiceStatus.DRAFT, credit.number, credit.sequence
    credit.number = credit.sequence = None
    credit.save()
    for line in lines:
        line.invoice = credit
    InvoiceLine.objects.bulk_create(lines)
    credit.status, credit.number, credit.sequence = InvoiceStatus.ISSUED, number, sequence
    credit.save()
    released = InvoicedEntry.objects.filter(invoice=original).delete()[0]
    audit_record(
        actor=actor,
        action="billing.invoice_cancelled",
        obj=original,
        changes={"credit_note": [None, credit.number], "entries_released": [None, released]},
    )
    outbox_publish(event_type="invoice.cancelled", payload=_payload(credit))
    return credit
