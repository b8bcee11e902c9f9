"""Leave: types and their allowance policies, the balance ledger, company closures,
requests, and the calendar feed tokens. Every read shared by API, pages and admin is a
QuerySet method here."""

from __future__ import annotations

import calendar
import datetime
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from accounts.models import User

ZERO = Decimal("0")
DECIMAL_ZERO = models.Value(ZERO, output_field=models.DecimalField(max_digits=7, decimal_places=2))


class LeaveUnit(models.TextChoices):
    DAYS = "days", gettext_lazy("Days (half days allowed)")
    HOURS = "hours", gettext_lazy("Hours")


class LeaveTypeQuerySet(models.QuerySet["LeaveType"]):
    def active(self) -> Self:
        return self.filter(is_active=True)


class LeaveType(models.Model):
    name = models.CharField(max_length=100, verbose_name=gettext_lazy("name"))
    code = models.SlugField(
        max_length=20,
        unique=True,
        help_text=gettext_lazy("Short stable identifier, e.g. vacation."),
        verbose_name=gettext_lazy("code"),
    )
    color = models.CharField(
        max_length=7,
        default="#1e88e5",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "A colour like #1e88e5.")],
        verbose_name=gettext_lazy("color"),
    )
    paid = models.BooleanField(default=True, verbose_name=gettext_lazy("paid"))
    deducts_allowance = models.BooleanField(
        default=True,
        help_text=gettext_lazy("Approved requests are booked against the balance of this type."),
        verbose_name=gettext_lazy("deducts allowance"),
    )
    requires_approval = models.BooleanField(
        default=True,
        help_text=gettext_lazy("Off: requests are approved as soon as they are submitted (e.g. sick leave)."),
        verbose_name=gettext_lazy("requires approval"),
    )
    unit = models.CharField(
        max_length=5, choices=LeaveUnit.choices, default=LeaveUnit.DAYS, verbose_name=gettext_lazy("unit")
    )
    attachment_required_after_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=gettext_lazy(
            "A document (e.g. a sick note) is required for requests longer than this many calendar days."
        ),
        verbose_name=gettext_lazy("attachment required after days"),
    )
    allow_negative = models.BooleanField(
        default=False,
        help_text=gettext_lazy("Allow the balance to go below zero."),
        verbose_name=gettext_lazy("allow negative"),
    )
    is_active = models.BooleanField(default=True, verbose_name=gettext_lazy("is active"))

    objects = LeaveTypeQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("leave type")
        verbose_name_plural = gettext_lazy("leave types")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(unit__in=LeaveUnit.values), name="leave_type_unit_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class AccrualMethod(models.TextChoices):
    YEARLY = "yearly", gettext_lazy("Whole year up front (1 January)")
    MONTHLY = "monthly", gettext_lazy("Monthly accrual")


class AllowancePolicy(models.Model):
    """How much of a type every active user is entitled to, and what happens to the rest."""

    leave_type = models.OneToOneField(
        LeaveType, on_delete=models.CASCADE, related_name="policy", verbose_name=gettext_lazy("leave type")
    )
    yearly_amount = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("2000"))],
        help_text=gettext_lazy("Days (or hours) per year for a full year."),
        verbose_name=gettext_lazy("yearly amount"),
    )
    accrual = models.CharField(
        max_length=7, choices=AccrualMethod.choices, default=AccrualMethod.YEARLY, verbose_name=gettext_lazy("accrual")
    )
    prorate_joiners = models.BooleanField(
        default=True,
        help_text=gettext_lazy("People who join mid-year get a share."),
        verbose_name=gettext_lazy("prorate joiners"),
    )
    carry_over_cap = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        help_text=gettext_lazy("At most this much unused allowance moves into the next year (0: nothing)."),
        verbose_name=gettext_lazy("carry over cap"),
    )
    carry_over_expiry_month = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        verbose_name=gettext_lazy("carry over expiry month"),
    )
    carry_over_expiry_day = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=gettext_lazy(
            "Carried-over days not used by this day (e.g. 31 March) lapse. Empty: they never lapse."
        ),
        verbose_name=gettext_lazy("carry over expiry day"),
    )

    class Meta:
        verbose_name = gettext_lazy("allowance policy")
        verbose_name_plural = gettext_lazy("allowance policies")
        constraints = [
            models.CheckConstraint(condition=Q(yearly_amount__gte=0), name="policy_yearly_amount_positive"),
            models.CheckConstraint(condition=Q(carry_over_cap__gte=0), name="policy_carry_over_cap_positive"),
            models.CheckConstraint(
                condition=Q(carry_over_expiry_month__isnull=True, carry_over_expiry_day__isnull=True)
                | Q(carry_over_expiry_month__isnull=False, carry_over_expiry_day__isnull=False),
                name="policy_expiry_month_and_day_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leave_type}: {self.yearly_amount} per year ({self.get_accrual_display()})"

    def expiry_date(self, year: int) -> datetime.date | None:
        """The day after which carried-over days of `year` lapse, or None."""

        if not self.carry_over_expiry_month:
            return None
        assert self.carry_over_expiry_day is not None  # set with the month (policy_expiry_month_and_day_together)
        last = calendar.monthrange(year, self.carry_over_expiry_month)[1]
        return date(year, self.carry_over_expiry_month, min(self.carry_over_expiry_day, last))


class EntryKind(models.TextChoices):
    INITIAL = "initial", gettext_lazy("Initial allowance")
    ACCRUAL = "accrual", gettext_lazy("Monthly accrual")
    CARRY_OVER = "carry_over", gettext_lazy("Carry-over from last year")
    CARRY_OVER_EXPIRY = "carry_over_expiry", gettext_lazy("Carry-over expiry")
    USAGE = "usage", gettext_lazy("Usage (approved request)")
    RESTORATION = "restoration", gettext_lazy("Restoration (cancelled request)")
    ADJUSTMENT = "adjustment", gettext_lazy("Manual adjustment")


# Kinds booked at most once per user, type, year and period: this is what makes the
# accrual, carry-over and expiry tasks idempotent (running twice books nothing twice).
PERIODIC_KINDS = [EntryKind.INITIAL, EntryKind.ACCRUAL, EntryKind.CARRY_OVER, EntryKind.CARRY_OVER_EXPIRY]
ENTITLED_KINDS = [EntryKind.INITIAL, EntryKind.ACCRUAL, EntryKind.ADJUSTMENT]
CARRIED_KINDS = [EntryKind.CARRY_OVER, EntryKind.CARRY_OVER_EXPIRY]
USED_KINDS = [EntryKind.USAGE, EntryKind.RESTORATION]


@dataclass
class Balance:
    user_id: int
    leave_type: LeaveType
    year: int
    entitled: Decimal = ZERO
    carried: Decimal = ZERO
    used: Decimal = ZERO
    pending: Decimal = ZERO
    # A future year not booked yet: what its policy will book (leave.services.balances).
    projected: Decimal = ZERO
    projection: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def balance(self) -> Decimal:
        return self.entitled + self.projected + self.carried - self.used

    @property
    def available(self) -> Decimal:
        return self.balance - self.pending

    @property
    def unit(self) -> str:
        return self.leave_type.unit


class LedgerEntryQuerySet(models.QuerySet["LedgerEntry"]):
    def for_user(self, user: User) -> Self:
        return self.filter(user=user)

    def visible_to(self, user: User) -> Self:
        if user.is_hr:
            return self
        return self.filter(Q(user=user) | Q(user__manager=user))

    def total(self) -> Decimal:
        total: Decimal = self.aggregate(total=Coalesce(Sum("amount"), DECIMAL_ZERO))["total"]
        return total


class LedgerEntry(models.Model):
    """One change of one user's balance of one type for one year. A balance is a sum of rows;
    rows are never edited or deleted (corrections are new adjustment rows)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="leave_ledger",
        verbose_name=gettext_lazy("user"),
    )
    leave_type = models.ForeignKey(
        LeaveType, on_delete=models.PROTECT, related_name="ledger_entries", verbose_name=gettext_lazy("leave type")
    )
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)], verbose_name=gettext_lazy("year")
    )
    kind = models.CharField(max_length=20, choices=EntryKind.choices, verbose_name=gettext_lazy("kind"))
    period = models.PositiveSmallIntegerField(
        default=0,
        help_text=gettext_lazy("Month of a monthly accrual; 0 for yearly bookings."),
        verbose_name=gettext_lazy("period"),
    )
    amount = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        help_text=gettext_lazy("Days or hours; negative reduces."),
        verbose_name=gettext_lazy("amount"),
    )
    request = models.ForeignKey(
        "LeaveRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        verbose_name=gettext_lazy("request"),
    )
    reason = models.CharField(max_length=255, blank=True, verbose_name=gettext_lazy("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=gettext_lazy("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("ledger entry")
        ordering = ["-created_at", "-id"]
        verbose_name_plural = gettext_lazy("ledger entries")
        indexes = [
            # balances(): SUM(amount) GROUP BY type WHERE user = ? AND year = ?
            models.Index(fields=["user", "year", "leave_type"], name="leave_ledger_user_year"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EntryKind.values), name="ledger_kind_valid"),
            models.CheckConstraint(
                condition=~Q(kind=EntryKind.ADJUSTMENT) | ~Q(reason=""), name="ledger_adjustment_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[EntryKind.USAGE, EntryKind.CARRY_OVER_EXPIRY]) | Q(amount__lte=0),
                name="ledger_usage_and_expiry_negative",
            ),
            models.CheckConstraint(
                condition=~Q(
                    kind__in=[EntryKind.INITIAL, EntryKind.ACCRUAL, EntryKind.CARRY_OVER, EntryKind.RESTORATION]
                )
                | Q(amount__gte=0),
                name="ledger_credits_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=USED_KINDS) | Q(request__isnull=False), name="ledger_usage_has_request"
            ),
            models.UniqueConstraint(
                fields=["user", "leave_type", "year", "kind", "period"],
                condition=Q(kind__in=PERIODIC_KINDS),
                name="ledger_periodic_once",
            ),
            models.UniqueConstraint(
                fields=["request", "kind"], condition=Q(kind__in=USED_KINDS), name="ledger_request_booked_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.leave_type} {self.year}: {self.amount:+} ({self.get_kind_display()})"


class CompanyClosure(models.Model):
    """A day the company is closed (e.g. 24 December afternoon): not counted as leave."""

    date = models.DateField(verbose_name=gettext_lazy("date"))
    name = models.CharField(max_length=100, verbose_name=gettext_lazy("name"))
    half_day = models.BooleanField(
        default=False, help_text=gettext_lazy("Closed for half of the day only."), verbose_name=gettext_lazy("half day")
    )
    country = models.CharField(
        max_length=2,
        blank=True,
        help_text=gettext_lazy("Only for users in this country; empty: all."),
        verbose_name=gettext_lazy("country"),
    )

    class Meta:
        verbose_name = gettext_lazy("company closure")
        verbose_name_plural = gettext_lazy("company closures")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["date", "country"], name="closure_once_per_day_and_country")]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}{' (half day)' if self.half_day else ''}"


class LeaveStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("Pending")
    APPROVED = "approved", gettext_lazy("Approved")
    REJECTED = "rejected", gettext_lazy("Rejected")
    CANCELLED = "cancelled", gettext_lazy("Cancelled")


ACTIVE_STATUSES = [LeaveStatus.PENDING, LeaveStatus.APPROVED]


class StartPart(models.TextChoices):
    FULL = "full", gettext_lazy("Full day")
    AFTERNOON = "afternoon", gettext_lazy("Afternoon only")


class EndPart(models.TextChoices):
    FULL = "full", gettext_lazy("Full day")
    MORNING = "morning", gettext_lazy("Morning only")


class LeaveRequestQuerySet(models.QuerySet["LeaveRequest"]):
    def visible_to(self, user: User) -> Self:
        """Own requests; a manager also their reports'; HR everyone's."""
        if user.is_hr:
            return self
        return self.filter(Q(user=user) | Q(user__manager=user))

    def decidable_by(self, user: User) -> Self:
        """Requests `user` may approve or reject: their reports' (HR: everyone's), never their own."""
        queryset = self if user.is_hr else self.filter(user__manager=user)
        return queryset.exclude(user=user)

    def active(self) -> Self:
        return self.filter(status__in=ACTIVE_STATUSES)

    def pending(self) -> Self:
        return self.filter(status=LeaveStatus.PENDING)

    def overlapping(self, start: datetime.date, end: datetime.date) -> Self:
        return self.filter(start_date__lte=end, end_date__gte=start)

    def in_year(self, year: int) -> Self:
        return self.filter(start_date__year=year)

    def with_related(self) -> Self:
        return self.select_related("user", "user__manager", "leave_type", "decided_by")

    def with_substitutes(self) -> Self:
        """`substitute_links` (with their users) in the order named: one query for all the rows."""
        links = LeaveSubstitute.objects.select_related("user").order_by("position", "id")
        return self.prefetch_related(models.Prefetch("substitute_links", queryset=links))


def attachment_path(instance: LeaveRequest, filename: str) -> str:
    # The stored name never comes from the user: a random name with the detected extension.
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"leave/attachments/{uuid.uuid4().hex}.{extension}"


class LeaveRequest(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="leave_requests",
        verbose_name=gettext_lazy("user"),
    )
    leave_type = models.ForeignKey(
        LeaveType, on_delete=models.PROTECT, related_name="requests", verbose_name=gettext_lazy("leave type")
    )
    start_date = models.DateField(verbose_name=gettext_lazy("start date"))
    end_date = models.DateField(verbose_name=gettext_lazy("end date"))
    start_part = models.CharField(
        max_length=9, choices=StartPart.choices, default=StartPart.FULL, verbose_name=gettext_lazy("start part")
    )
    end_part = models.CharField(
        max_length=7, choices=EndPart.choices, default=EndPart.FULL, verbose_name=gettext_lazy("end part")
    )
    hours = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=gettext_lazy("For hourly types: hours taken that day."),
        verbose_name=gettext_lazy("hours"),
    )
    amount = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        help_text=gettext_lazy("Working days (or hours) computed at submission."),
        verbose_name=gettext_lazy("amount"),
    )
    reason = models.CharField(max_length=500, blank=True, verbose_name=gettext_lazy("reason"))
    status = models.CharField(
        max_length=9, choices=LeaveStatus.choices, default=LeaveStatus.PENDING, verbose_name=gettext_lazy("status")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leave_decisions",
        verbose_name=gettext_lazy("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("decided at"))
    decision_note = models.CharField(max_length=500, blank=True, verbose_name=gettext_lazy("decision note"))
    attachment = models.FileField(
        upload_to=attachment_path, blank=True, max_length=200, verbose_name=gettext_lazy("attachment")
    )
    attachment_name = models.CharField(
        max_length=255,
        blank=True,
        help_text=gettext_lazy("The file name as uploaded."),
        verbose_name=gettext_lazy("attachment name"),
    )
    reminded_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("reminded at"))
    substitutes: models.ManyToManyField[User, LeaveSubstitute] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="LeaveSubstitute",
        blank=True,
        related_name="covering_requests",
        help_text=gettext_lazy("Colleagues who cover while the requester is away."),
        verbose_name=gettext_lazy("substitutes"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    objects = LeaveRequestQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("leave request")
        verbose_name_plural = gettext_lazy("leave requests")
        ordering = ["-start_date", "-id"]
        indexes = [
            # Overlap check and calendar: WHERE user = ? AND start_date <= ? AND end_date >= ?
            models.Index(fields=["user", "start_date", "end_date"], name="leave_request_user_dates"),
            # Approval queues and reminders: WHERE status = 'pending'
            models.Index(fields=["status", "created_at"], name="leave_request_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="leave_end_after_start"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="leave_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=LeaveStatus.values), name="leave_status_valid"),
            models.CheckConstraint(condition=Q(hours__isnull=True) | Q(hours__gt=0), name="leave_hours_positive"),
            models.CheckConstraint(
                condition=Q(status=LeaveStatus.PENDING) | Q(decided_at__isnull=False) | Q(status=LeaveStatus.CANCELLED),
                name="leave_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.leave_type} · {self.start_date}–{self.end_date}"

    def get_absolute_url(self) -> str:
        return reverse("leave:index") + f"#request-{self.pk}"

    @property
    def unit(self) -> str:
        return self.leave_type.unit


class LeaveSubstitute(models.Model):
    """A colleague named on a leave request to cover (a deputy): told by e-mail when the leave is
    approved (`notified_at`) and reminded on their last working day before it starts (`reminded_at`)."""

    request = models.ForeignKey(
        LeaveRequest, on_delete=models.CASCADE, related_name="substitute_links", verbose_name=gettext_lazy("request")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="substitutions",
        verbose_name=gettext_lazy("user"),
    )
    position = models.PositiveSmallIntegerField(
        default=0,
        help_text=gettext_lazy("The order the requester named them in."),
        verbose_name=gettext_lazy("position"),
    )
    notified_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("notified at"))
    reminded_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("reminded at"))

    class Meta:
        verbose_name = gettext_lazy("leave substitute")
        verbose_name_plural = gettext_lazy("leave substitutes")
        ordering = ["request", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "user"], name="leave_substitute_once")]
        indexes = [
            # The reminder sweep: WHERE reminded_at IS NULL (joined to approved requests starting soon)
            models.Index(fields=["reminded_at", "request"], name="leave_substitute_reminder"),
        ]

    def __str__(self) -> str:
        return f"{self.user} covers {self.request}"


class CalendarFeedToken(models.Model):
    """The secret in a user's iCal feed URLs. Resetting it revokes every URL handed out."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leave_feed", verbose_name=gettext_lazy("user")
    )
    token = models.CharField(max_length=64, unique=True, verbose_name=gettext_lazy("token"))
    created_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("created at"))

    class Meta:
        verbose_name = gettext_lazy("calendar feed token")
        verbose_name_plural = gettext_lazy("calendar feed tokens")

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)


def team_of(user: User) -> models.QuerySet[User]:
    """The people whose leave `user` sees in the team calendar: themself, their manager and
    that manager's other reports (colleagues), and their own reports."""

    team = Q(pk=user.pk) | Q(manager_id=user.pk)
    if user.manager_id:
        team |= Q(pk=user.manager_id) | Q(manager_id=user.manager_id)
    members: models.QuerySet[User] = (
        get_user_model().objects.filter(team, is_active=True).order_by("first_name", "last_name", "username")
    )
    return members


# CalDAV push (leave/caldav_models.py): defined there to keep this module readable, registered here.
from leave.caldav_models import CalDAVPush as CalDAVPush  # noqa: E402
from leave.caldav_models import CalDAVTarget as CalDAVTarget  # noqa: E402
