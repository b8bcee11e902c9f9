"""Each finished entry's money is stored on the entry's own row (timetracking.TimeEntry's `price_*`
columns: billed seconds, amount, cost, currency): what billing.pricing computes for it, written with
the entry and rewritten whenever what it depends on changes (its rates, its project's rounding and
client, its client's currency, its owner's time zone, the company defaults) by billing.services.prices.

Reports sum them in the same scan as the hours (make bench (k) against (f)); the entries list,
invoices and budgets price live, and the tests compare both (billing/tests/test_stored_prices.py).
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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
