"""Rates with their history, and the billing settings of clients and projects.

Billing sits above time tracking: it reads clients, projects, tasks and entries; timetracking knows
nothing of it. So a client's currency and a project's rounding live here, one-to-one with the
client and the project, instead of as columns on timetracking's tables.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy

from billing.currencies import CURRENCY_CHOICES
from billing.rounding import MODES, SCOPES, STEPS_MINUTES, Rounding
from timetracking.models import Client, Project, Task

if TYPE_CHECKING:
    from accounts.models import User


class RateKind(models.TextChoices):
    BILLABLE = "billable", gettext_lazy("Billable (what the client pays per hour)")
    COST = "cost", gettext_lazy("Cost (what an hour costs the company)")


class RateLevel(models.TextChoices):
    """From the most general to the most specific; the most specific valid rate wins."""

    COMPANY = "company", gettext_lazy("Company default")
    CLIENT = "client", gettext_lazy("Client")
    PROJECT = "project", gettext_lazy("Project")
    TASK = "task", gettext_lazy("Task")
    USER_ON_PROJECT = "user_on_project", gettext_lazy("Person on a project")


# The order the resolver tries the levels in: the most specific first.
LEVELS_MOST_SPECIFIC_FIRST = (
    RateLevel.USER_ON_PROJECT,
    RateLevel.TASK,
    RateLevel.PROJECT,
    RateLevel.CLIENT,
    RateLevel.COMPANY,
)
# The target fields each level sets; every other target field is empty.
LEVEL_TARGETS: dict[str, tuple[str, ...]] = {
    RateLevel.COMPANY: (),
    RateLevel.CLIENT: ("client",),
    RateLevel.PROJECT: ("project",),
    RateLevel.TASK: ("task",),
    RateLevel.USER_ON_PROJECT: ("user", "project"),
}
TARGET_FIELDS = ("client", "project", "task", "user")
RATE_DECIMAL_PLACES = 3  # the most minor units of a currency billing knows (KWD, BHD)


def _targets_condition(level: str) -> Q:
    condition = Q(level=level)
    for name in TARGET_FIELDS:
        condition &= Q(**{f"{name}__isnull": name not in LEVEL_TARGETS[level]})
    return condition


def _unique_per_level(level: str, fields: tuple[str, ...], name: str) -> models.UniqueConstraint:
    # Per level with a condition: NULLs are distinct in a unique index, so one index over all the
    # target columns would let two company rates share a day.
    return models.UniqueConstraint(
        fields=["kind", *fields, "valid_from"],
        condition=Q(level=level),
        name=name,
        violation_error_code="duplicate",
        violation_error_message="A rate of this kind for this target is already valid from this day.",
    )


def managed_projects(user: User) -> models.QuerySet[Project]:
    """The projects `user` manages: those with a member who reports to them. Time tracking has no
    project manager of its own; a project's team is its members, and their managers manage it.
    HR manages every project."""
    if user.is_hr:
        return Project.objects.all()
    members = Project.members.through.objects.filter(project_id=OuterRef("pk"), user__manager=user)
    return Project.objects.filter(Exists(members))


class RateQuerySet(models.QuerySet["Rate"]):
    def valid_on(self, day: date) -> Self:
        """The rates in force on `day`: each target's latest rate from that day or before."""
        later = Rate.objects.filter(
            kind=OuterRef("kind"),
            level=OuterRef("level"),
            currency=OuterRef("currency"),
            valid_from__gt=OuterRef("valid_from"),
            valid_from__lte=day,
        )
        for name in TARGET_FIELDS:
            # One level leaves the same targets empty on both sides, and NULL = NULL is never true.
            later = later.filter(Q(**{f"{name}_id": OuterRef(f"{name}_id")}) | Q(**{f"{name}__isnull": True}))
        return self.filter(valid_from__lte=day).exclude(Exists(later))

    def visible_to(self, user: User) -> Self:
        """HR: every rate. A project's managers: the rates of the projects they manage (its own, its
        tasks', its people's), and the company's and clients' billable rates. Employees: billable
        rates only, and only when BILLING_EMPLOYEES_SEE_RATES is on; never a cost rate."""
        if user.is_hr:
            return self
        billable_context = Q(kind=RateKind.BILLABLE, level__in=[RateLevel.COMPANY, RateLevel.CLIENT])
        if user.is_manager:
            managed = managed_projects(user).values("pk")
            return self.filter(billable_context | Q(project__in=managed) | Q(task__project__in=managed))
        if not settings.BILLING_EMPLOYEES_SEE_RATES:
            return self.none()
        return self.filter(kind=RateKind.BILLABLE).filter(~Q(level=RateLevel.USER_ON_PROJECT) | Q(user=user))


class Rate(models.Model):
    """An hourly rate of one kind for one target, valid from `valid_from` until the next rate of the
    same kind and target (a change never rewrites the days before it)."""

    kind = models.CharField(max_length=10, choices=RateKind.choices, verbose_name=gettext_lazy("kind"))
    level = models.CharField(max_length=20, choices=RateLevel.choices, verbose_name=gettext_lazy("level"))
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rates",
        verbose_name=gettext_lazy("client"),
    )
    project = models.ForeignKey(
        Project,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rates",
        verbose_name=gettext_lazy("project"),
    )
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.CASCADE, related_name="rates", verbose_name=gettext_lazy("task")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rates",
        verbose_name=gettext_lazy("user"),
    )
    amount = models.DecimalField(
        max_digits=12,
        decimal_places=RATE_DECIMAL_PLACES,
        validators=[MinValueValidator(0)],
        help_text=gettext_lazy("Per hour, in `currency`."),
        verbose_name=gettext_lazy("amount"),
    )
    currency = models.CharField(
        max_length=3,
        choices=CURRENCY_CHOICES,
        help_text=gettext_lazy("ISO 4217; the client's currency (company rates: any)."),
        verbose_name=gettext_lazy("currency"),
    )
    valid_from = models.DateField(
        help_text=gettext_lazy("The first local day the rate applies to."), verbose_name=gettext_lazy("valid from")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    objects = RateQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("rate")
        verbose_name_plural = gettext_lazy("rates")
        ordering = ["kind", "level", "valid_from", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="rate_amount_not_negative"),
            models.CheckConstraint(condition=Q(kind__in=RateKind.values), name="rate_kind_known"),
            models.CheckConstraint(
                condition=(
                    _targets_condition(RateLevel.COMPANY)
                    | _targets_condition(RateLevel.CLIENT)
                    | _targets_condition(RateLevel.PROJECT)
                    | _targets_condition(RateLevel.TASK)
                    | _targets_condition(RateLevel.USER_ON_PROJECT)
                ),
                name="rate_targets_match_level",
                violation_error_message="The rate's client, project, task and person do not fit its level.",
            ),
            # A company default per currency: entries are billed in their client's currency.
            _unique_per_level(RateLevel.COMPANY, ("currency",), "rate_unique_company_day"),
            _unique_per_level(RateLevel.CLIENT, ("client",), "rate_unique_client_day"),
            _unique_per_level(RateLevel.PROJECT, ("project",), "rate_unique_project_day"),
            _unique_per_level(RateLevel.TASK, ("task",), "rate_unique_task_day"),
            _unique_per_level(RateLevel.USER_ON_PROJECT, ("user", "project"), "rate_unique_user_on_project_day"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency}/h, {self.level} from {self.valid_from}"


class ClientBilling(models.Model):
    """How a client is billed: its currency (the company default when there is no row)."""

    client = models.OneToOneField(
        Client, primary_key=True, on_delete=models.CASCADE, related_name="billing", verbose_name=gettext_lazy("client")
    )
    currency = models.CharField(
        max_length=3,
        choices=CURRENCY_CHOICES,
        help_text=gettext_lazy("ISO 4217, e.g. EUR."),
        verbose_name=gettext_lazy("currency"),
    )

    class Meta:
        verbose_name_plural = gettext_lazy("client billings")
        verbose_name = gettext_lazy("client billing")

    def __str__(self) -> str:
        return f"{self.client}: {self.currency}"


class ProjectBilling(models.Model):
    """How a project's time is billed: its rounding (the company default BILLING_ROUNDING when there is no row)."""

    project = models.OneToOneField(
        Project,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="billing",
        verbose_name=gettext_lazy("project"),
    )
    rounding_mode = models.CharField(
        max_length=10,
        choices=[(mode, mode) for mode in MODES],
        default="none",
        verbose_name=gettext_lazy("rounding mode"),
    )
    rounding_minutes = models.PositiveSmallIntegerField(
        choices=[(step, f"{step} min") for step in STEPS_MINUTES],
        default=15,
        verbose_name=gettext_lazy("rounding minutes"),
    )
    rounding_scope = models.CharField(
        max_length=10,
        choices=[(scope, scope) for scope in SCOPES],
        default="entry",
        verbose_name=gettext_lazy("rounding scope"),
    )

    class Meta:
        verbose_name_plural = gettext_lazy("project billings")
        verbose_name = gettext_lazy("project billing")
        constraints = [
            models.CheckConstraint(condition=Q(rounding_mode__in=MODES), name="projectbilling_mode_known"),
            models.CheckConstraint(condition=Q(rounding_minutes__in=STEPS_MINUTES), name="projectbilling_step_known"),
            models.CheckConstraint(condition=Q(rounding_scope__in=SCOPES), name="projectbilling_scope_known"),
        ]

    def __str__(self) -> str:
        return f"{self.project}: {self.rounding}"

    @property
    def rounding(self) -> Rounding:
        return Rounding(mode=self.rounding_mode, minutes=self.rounding_minutes, scope=self.rounding_scope)


# Invoices live in their own module; imported here so that Django finds their models.
from billing.budget_models import Budget, BudgetAlert, BudgetPeriod  # noqa: E402,F401
from billing.invoice_models import (  # noqa: E402,F401
    Invoice,
    InvoicedEntry,
    InvoiceGrouping,
    InvoiceKind,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceSequence,
    InvoiceStatus,
)
from billing.price_models import PricingState  # noqa: E402,F401
