"""Each finished entry's money, stored: what billing.pricing computes for it (billed seconds, amount,
cost, currency), written with the entry and rewritten whenever what it depends on changes (its rates,
its project's rounding and client, its client's currency, its owner's time zone, the company defaults).

Reports sum these rows in the same query as the hours (make bench (k) against (f)); the entries
list, invoices and budgets price live, and the tests compare both (billing/tests/test_stored_prices.py).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.currencies import CURRENCY_CHOICES
from timetracking.models import TimeEntry

# Six places cover every currency's minor unit (at most 4, e.g. CLF) with room: amounts are rounded
# to their currency before they are stored, so sums need no rounding of their own.
MONEY_DECIMAL_PLACES = 6


class EntryPrice(models.Model):
    """A finished entry's money. `amount` is None without a billable rate, `cost` without a cost rate;
    a non-billable entry bills 0 seconds. A running entry has no row."""

    entry = models.OneToOneField(
        TimeEntry, primary_key=True, on_delete=models.CASCADE, related_name="price", verbose_name=_("entry")
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    billed_seconds = models.PositiveIntegerField(_("billed seconds"))
    amount = models.DecimalField(_("amount"), max_digits=20, decimal_places=MONEY_DECIMAL_PLACES, null=True, blank=True)
    cost = models.DecimalField(_("cost"), max_digits=20, decimal_places=MONEY_DECIMAL_PLACES, null=True, blank=True)

    class Meta:
        verbose_name = _("entry price")
        verbose_name_plural = _("entry prices")
        indexes = [
            # The priced summary joins a month of entries to their prices, one probe per entry: with
            # the money in the index, PostgreSQL reads it alone (an index-only scan), not the table
            # too (make bench (k): 1.5x the unpriced summary's query instead of 1.8x).
            models.Index(
                fields=["entry"], include=["currency", "billed_seconds", "amount", "cost"], name="entryprice_money"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0) | Q(amount__isnull=True), name="entryprice_amount_sign"),
            models.CheckConstraint(condition=Q(cost__gte=0) | Q(cost__isnull=True), name="entryprice_cost_sign"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}: {self.billed_seconds} s, {self.amount} {self.currency}"


class PricingState(models.Model):
    """One row: the company defaults (BILLING_DEFAULT_CURRENCY, BILLING_ROUNDING) the stored prices
    were computed with. `migrate` reprices every entry when the settings differ (billing.signals)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    currency = models.CharField(_("currency"), max_length=3)
    rounding = models.CharField(_("rounding"), max_length=40)
    priced_at = models.DateTimeField(_("priced at"), auto_now=True)

    class Meta:
        verbose_name = _("pricing state")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="pricingstate_single_row")]

    def __str__(self) -> str:
        return f"{self.currency}, {self.rounding}"
