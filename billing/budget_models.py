"""Budgets of projects and clients, and the alerts sent when their usage crosses a threshold.

A budget caps a project's (or a client's, over all its projects) time in hours, its billable amount
in money (the client's currency), or both, over its whole life (`total`) or per month (`month`: the
entries' local month, each entry on its owner's local day as billing prices it). Its thresholds are
percentages of the cap (default 80 and 100); each is alerted once per period, which the unique
constraint on BudgetAlert holds whatever runs at once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Self

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.currencies import CURRENCY_CHOICES, round_money
from timetracking.models import Client, Project

if TYPE_CHECKING:
    from accounts.models import User

DEFAULT_THRESHOLDS = [80, 100]
THRESHOLD_MIN, THRESHOLD_MAX = 1, 1000  # percent
BUDGET_HOURS_MAX_DIGITS, BUDGET_AMOUNT_MAX_DIGITS = 10, 15


def default_thresholds() -> list[int]:
    return list(DEFAULT_THRESHOLDS)


class BudgetPeriod(models.TextChoices):
    TOTAL = "total", _("Total (the whole life of the project)")
    MONTH = "month", _("Per month")


class BudgetQuerySet(models.QuerySet["Budget"]):
    def visible_to(self, user: User) -> Self:
        """HR: every budget. A project's managers: their projects' budgets. Employees: none (a
        budget is a commercial figure; the projects list shows them the hours side)."""
        from billing.models import managed_projects  # billing.models imports this module at its end

        if user.is_hr:
            return self
        if not user.is_manager:
            return self.none()
        return self.filter(project__in=managed_projects(user).values("pk"))


class Budget(models.Model):
    """The budget of one project or one client: hours, money or both, total or per month."""

    project = models.OneToOneField(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="budget", verbose_name=_("project")
    )
    client = models.OneToOneField(
        Client, null=True, blank=True, on_delete=models.CASCADE, related_name="budget", verbose_name=_("client")
    )
    hours = models.DecimalField(
        max_digits=BUDGET_HOURS_MAX_DIGITS,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The hours the budget allows (billed hours: tracked, rounded as billed)."),
        verbose_name=_("hours"),
    )
    amount = models.DecimalField(
        max_digits=BUDGET_AMOUNT_MAX_DIGITS,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("The billable amount the budget allows, in `currency`."),
        verbose_name=_("amount"),
    )
    currency = models.CharField(
        max_length=3,
        choices=CURRENCY_CHOICES,
        help_text=_("ISO 4217: the client's currency when it was set."),
        verbose_name=_("currency"),
    )
    period = models.CharField(
        max_length=10, choices=BudgetPeriod.choices, default=BudgetPeriod.TOTAL, verbose_name=_("period")
    )
    thresholds = models.JSONField(
        default=default_thresholds,
        help_text=_("Percentages of the budget that send an alert, e.g. [80, 100]."),
        verbose_name=_("thresholds"),
    )
    refuse_when_exceeded = models.BooleanField(
        default=False,
        help_text=_("Refuse new time on the project once the budget is used up (409)."),
        verbose_name=_("refuse when exceeded"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    objects = BudgetQuerySet.as_manager()

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(project__isnull=False) & Q(client__isnull=True))
                | (Q(project__isnull=True) & Q(client__isnull=False)),
                name="budget_one_target",
                violation_error_message=_("A budget is of a project or of a client."),
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=False) | Q(amount__isnull=False),
                name="budget_hours_or_amount",
                violation_error_message=_("A budget has hours, an amount or both."),
            ),
            models.CheckConstraint(condition=Q(hours__isnull=True) | Q(hours__gte=0), name="budget_hours_not_negative"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="budget_amount_not_negative"
            ),
            models.CheckConstraint(condition=Q(period__in=BudgetPeriod.values), name="budget_period_known"),
        ]

    def __str__(self) -> str:
        target = self.project if self.project_id else self.client
        return f"{target}: {self.limits_text}"

    @property
    def rounded_amount(self) -> Decimal | None:
        """The money limit as its currency writes it (JPY 50000, EUR 500.00)."""
        return None if self.amount is None else round_money(Decimal(self.amount), self.currency)

    @property
    def limits_text(self) -> str:
        parts = []
        if self.hours is not None:
            parts.append(f"{self.hours} h")
        if self.amount is not None:
            parts.append(f"{self.amount} {self.currency}")
        return " / ".join(parts) + f" ({self.period})"


class BudgetAlert(models.Model):
    """A threshold alert sent for one period of a budget. The row is the promise that the e-mails and
    the webhook event were queued (in its own transaction); its unique constraint is why two checks at
    once never send twice."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("budget"))
    period_start = models.DateField(
        help_text=_("The first day of the month (total budgets: 2000-01-01)."), verbose_name=_("period start")
    )
    threshold = models.PositiveSmallIntegerField(help_text=_("Percent."), verbose_name=_("threshold"))
    used_percent = models.DecimalField(max_digits=8, decimal_places=1, verbose_name=_("used percent"))
    sent_at = models.DateTimeField(auto_now_add=True, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("budget alert")
        verbose_name_plural = _("budget alerts")
        ordering = ["budget", "period_start", "threshold"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "period_start", "threshold"], name="budgetalert_once_per_threshold_and_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.budget}: {self.threshold} % from {self.period_start}"
