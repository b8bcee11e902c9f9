"""Invoices: a draft of a client's billable entries over a date range, issued with the next number of
a gap-free yearly sequence, and cancelled only by a credit note that releases its entries.

An entry is on at most one invoice (`InvoicedEntry.entry` is unique): a draft reserves its entries,
an issued invoice locks them (editing or deleting one is refused with 409 `invoiced`), a credit note
releases them. An issued invoice and its lines never change again: the database refuses it
(triggers of migration 0003, as for the audit trail), and "cancelled" is not a change of the invoice
but the existence of its credit note.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Self

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from billing.currencies import CURRENCY_CHOICES
from timetracking.models import Client, Project, Task, TimeEntry


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")


class InvoiceGrouping(models.TextChoices):
    """How a draft turns entries into lines: one line per project, per task, or per entry (each
    split further by hourly rate, so that a line's hours × its rate is its amount)."""

    PROJECT = "project", _("One line per project")
    TASK = "task", _("One line per task")
    ENTRY = "entry", _("One line per entry")


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def with_credit(self) -> Self:
        """Annotates `is_cancelled`: an issued invoice that a credit note cancels."""
        return self.annotate(is_cancelled=Exists(Invoice.objects.filter(credited_invoice=OuterRef("pk"))))

    def issued(self) -> Self:
        return self.filter(status=InvoiceStatus.ISSUED)


class Invoice(models.Model):
    kind = models.CharField(
        max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE, verbose_name=_("kind")
    )
    status = models.CharField(
        max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT, verbose_name=_("status")
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("client"))
    period_from = models.DateField(
        help_text=_("The first local day of the entries invoiced."), verbose_name=_("period from")
    )
    period_to = models.DateField(
        help_text=_("The last local day of the entries invoiced."), verbose_name=_("period to")
    )
    grouping = models.CharField(
        max_length=10, choices=InvoiceGrouping.choices, default=InvoiceGrouping.PROJECT, verbose_name=_("grouping")
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, verbose_name=_("currency"))
    tax_rate = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Per cent, e.g. 19.00."),
        verbose_name=_("tax rate"),
    )
    note = models.TextField(blank=True, max_length=2000, verbose_name=_("note"))
    # Given when issued: `sequence` is the gap-free number within `year`, `number` its formatted text.
    year = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("year"))
    sequence = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("sequence"))
    number = models.CharField(max_length=40, null=True, blank=True, unique=True, verbose_name=_("number"))
    issued_on = models.DateField(null=True, blank=True, verbose_name=_("issued on"))
    issued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
    )
    # A credit note: the invoice it cancels (one credit note per invoice).
    credited_invoice = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_note",
        verbose_name=_("credited invoice"),
    )
    net = models.DecimalField(max_digits=15, decimal_places=3, default=Decimal("0"), verbose_name=_("net"))
    tax = models.DecimalField(max_digits=15, decimal_places=3, default=Decimal("0"), verbose_name=_("tax"))
    gross = models.DecimalField(max_digits=15, decimal_places=3, default=Decimal("0"), verbose_name=_("gross"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(period_from__lte=models.F("period_to")), name="invoice_period_ordered"),
            models.CheckConstraint(condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="invoice_tax_rate_range"),
            models.CheckConstraint(condition=Q(status__in=InvoiceStatus.values), name="invoice_status_known"),
            models.CheckConstraint(condition=Q(kind__in=InvoiceKind.values), name="invoice_kind_known"),
            # Issued: numbered; a draft: not.
            models.CheckConstraint(
                condition=(
                    Q(status=InvoiceStatus.DRAFT, number__isnull=True, sequence__isnull=True)
                    | Q(status=InvoiceStatus.ISSUED, number__isnull=False, sequence__isnull=False, year__isnull=False)
                ),
                name="invoice_numbered_when_issued",
            ),
            models.CheckConstraint(
                condition=Q(kind=InvoiceKind.INVOICE, credited_invoice__isnull=True)
                | Q(kind=InvoiceKind.CREDIT_NOTE, credited_invoice__isnull=False),
                name="invoice_credit_note_credits",
            ),
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_sequence_unique"),
        ]
        indexes = [models.Index(fields=["client", "status"])]

    def __str__(self) -> str:
        return self.number or f"Draft {self.pk}"

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT


class InvoiceLineKind(models.TextChoices):
    TIME = "time", _("Time")
    FIXED = "fixed", _("Fixed")


class InvoiceLine(models.Model):
    """A line: hours (or units) × a unit price. A time line's amount is the sum of its entries'
    amounts (each rounded to the currency, as the entries list shows them); a line edited by hand or
    a fixed line: quantity × unit price, rounded."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice"))
    position = models.PositiveIntegerField(verbose_name=_("position"))
    kind = models.CharField(
        max_length=10, choices=InvoiceLineKind.choices, default=InvoiceLineKind.FIXED, verbose_name=_("kind")
    )
    description = models.CharField(max_length=500, verbose_name=_("description"))
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("project")
    )
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("task")
    )
    quantity = models.DecimalField(max_digits=12, decimal_places=4, verbose_name=_("quantity"))
    unit_price = models.DecimalField(max_digits=12, decimal_places=3, verbose_name=_("unit price"))
    amount = models.DecimalField(max_digits=15, decimal_places=3, verbose_name=_("amount"))
    tracked_seconds = models.BigIntegerField(
        default=0, help_text=_("Time lines: the tracked time, unrounded."), verbose_name=_("tracked seconds")
    )
    billed_seconds = models.BigIntegerField(
        default=0, help_text=_("Time lines: the billed (rounded) time."), verbose_name=_("billed seconds")
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoiceline_position_unique"),
            models.CheckConstraint(condition=Q(kind__in=InvoiceLineKind.values), name="invoiceline_kind_known"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice}: {self.description}"


class InvoicedEntry(models.Model):
    """An entry on an invoice (draft or issued): the reservation and the lock. Deleted when a credit
    note releases the invoice's entries or a draft is deleted."""

    entry = models.OneToOneField(TimeEntry, on_delete=models.PROTECT, related_name="invoicing", verbose_name=_("entry"))
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="entries", verbose_name=_("invoice"))
    line = models.ForeignKey(InvoiceLine, on_delete=models.CASCADE, related_name="entries", verbose_name=_("line"))
    amount = models.DecimalField(max_digits=15, decimal_places=3, verbose_name=_("amount"))
    billed_seconds = models.BigIntegerField(verbose_name=_("billed seconds"))

    class Meta:
        verbose_name = _("invoiced entry")
        verbose_name_plural = _("invoiced entries")

    def __str__(self) -> str:
        return f"{self.entry_id} on {self.invoice}"


class InvoiceSequence(models.Model):
    """The last number given in a year: locked (SELECT ... FOR UPDATE) by the issue that takes the
    next one, so numbers are consecutive and gap-free whatever issues run at once."""

    year = models.PositiveSmallIntegerField(primary_key=True, verbose_name=_("year"))
    last = models.PositiveIntegerField(default=0, verbose_name=_("last"))

    class Meta:
        verbose_name = _("invoice sequence")
        verbose_name_plural = _("invoice sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"
