"""Users, their roles and their team (the manager relation)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Self

import holidays
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.functional import cached_property
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from core.durations import DurationFormat

ISO_WEEKDAYS = "1234567"  # Monday = 1 ... Sunday = 7, as date.isoweekday()


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            gettext("{value} is not an IANA time zone (e.g. Europe/Berlin).").format(value=repr(value))
        )


def validate_country(value: str) -> None:

    if value and value not in holidays.list_supported_countries():
        raise ValidationError(
            gettext("{value} is not a supported ISO 3166 country code for public holidays.").format(value=repr(value))
        )


validate_working_weekdays = RegexValidator(
    r"^(?!.*(.).*\1)[1-7]{0,7}$",
    "Working weekdays are ISO weekday digits without repeats, e.g. 12345 for Monday to Friday.",
)


class UserQuerySet(models.QuerySet["User"]):
    def visible_to(self, user: User) -> Self:
        """The users `user` may see: HR everyone, a manager themself and their reports."""
        if user.is_hr:
            return self
        return self.filter(Q(pk=user.pk) | Q(manager=user))

    def reports_of(self, manager: User) -> Self:
        return self.filter(manager=manager)

    def approvers_of(self, user: User) -> Self:
        """Who decides `user`'s leave and weeks: their manager, or everyone in HR (and superusers)
        when they have none; active people only, never `user` themself."""
        active = self.filter(is_active=True).exclude(pk=user.pk)
        if user.manager_id:
            return active.filter(pk=user.manager_id)
        hr_membership = User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=settings.HR_GROUP_NAME)
        return active.filter(Q(is_superuser=True) | Exists(hr_membership))

    def annotate_roles(self) -> Self:
        """Fill `is_hr` and `is_manager` in the same query (one query per list, not per row)."""
        hr_membership = User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name=settings.HR_GROUP_NAME)
        return self.annotate(
            is_hr=ExpressionWrapper(Q(is_superuser=True) | Exists(hr_membership), output_field=BooleanField()),
            is_manager=Exists(User.objects.filter(manager_id=OuterRef("pk"))),
        )


if TYPE_CHECKING:
    # For mypy only: the django-stubs plugin builds no class for `UserManager.from_queryset` in this
    # module (django.contrib.auth and the user model are one import cycle to it), so it is told the
    # same thing another way: a manager with UserQuerySet's methods, and UserManager's own.
    _ManagerWithUserQuerySet = models.Manager.from_queryset(UserQuerySet)

    class CustomUserManager(_ManagerWithUserQuerySet["User"], UserManager["User"]):
        pass

else:

    class CustomUserManager(UserManager.from_queryset(UserQuerySet)):
        pass


# Salaries are in one currency for the whole company, yearly and gross (the payroll's terms); a
# company paying in several currencies would need a currency per position, which nobody asked for.
SALARY_CURRENCY = "EUR"


class Position(models.Model):
    """A job people hold (TimelogApi's positions): its title and description are for everyone to
    read; its salary is HR's only (accounts.api.PositionViewSet, the admin, never in the audit trail)."""

    title = models.CharField(
        max_length=100,
        help_text=gettext_lazy("Unique, whatever the case: 'Developer' and 'developer' are one."),
        verbose_name=gettext_lazy("title"),
    )
    description = models.TextField(blank=True, max_length=2000, verbose_name=gettext_lazy("description"))
    salary = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=format_lazy(
            gettext_lazy("Yearly gross salary in {SALARY_CURRENCY}; empty if not set. Only HR sees it."),
            SALARY_CURRENCY=SALARY_CURRENCY,
        ),
        verbose_name=gettext_lazy("salary"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    class Meta:
        verbose_name = gettext_lazy("position")
        verbose_name_plural = gettext_lazy("positions")
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                Lower("title"),
                name="position_title_unique_ci",
                violation_error_code="unique",
                violation_error_message="A position with this title exists already.",
            ),
            models.CheckConstraint(
                condition=Q(salary__gte=0) | Q(salary__isnull=True), name="position_salary_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class User(AbstractUser):
    email = models.EmailField(gettext_lazy("email address"), unique=True)
    timezone = models.CharField(
        verbose_name=gettext_lazy("time zone"),
        max_length=64,
        default="Europe/Berlin",
        validators=[validate_timezone],
        help_text=gettext_lazy("IANA time zone; days and weeks in reports are this user's local calendar."),
    )
    country = models.CharField(
        verbose_name=gettext_lazy("country"),
        max_length=2,
        default="DE",
        validators=[validate_country],
        help_text=gettext_lazy("ISO 3166 country code whose public holidays apply."),
    )
    subdivision = models.CharField(
        verbose_name=gettext_lazy("state or region"),
        max_length=10,
        blank=True,
        help_text=gettext_lazy("State or region for public holidays, e.g. BY or CA."),
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=gettext_lazy("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        help_text=gettext_lazy("Approves this user's leave and weeks."),
    )
    # PROTECT: a position people hold cannot be deleted (the service answers 409 `in_use`); HR moves
    # them to another position first, so nobody silently loses theirs.
    position = models.ForeignKey(
        Position,
        verbose_name=gettext_lazy("position"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="holders",
        help_text=gettext_lazy("The job they hold."),
    )
    weekly_hours = models.DecimalField(
        verbose_name=gettext_lazy("contract hours per week"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("40.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("80"))],
        help_text=gettext_lazy("Contract hours per week."),
    )
    working_weekdays = models.CharField(
        verbose_name=gettext_lazy("working days"),
        max_length=7,
        default="12345",
        validators=[validate_working_weekdays],
        help_text=gettext_lazy("ISO weekday digits the user works on (1 = Monday ... 7 = Sunday)."),
    )

    duration_format = models.CharField(
        verbose_name=gettext_lazy("durations shown as"),
        max_length=10,
        choices=DurationFormat.choices,
        default=DurationFormat.HOURS_MINUTES,
        db_default=DurationFormat.HOURS_MINUTES,  # rows written outside the ORM (the benchmark) too
        help_text=gettext_lazy("How pages show durations: hours and minutes (1:30) or decimal hours (1.50 h)."),
    )
    language = models.CharField(
        verbose_name=gettext_lazy("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        db_default="",  # rows written outside the ORM (the benchmark) follow the browser too
        help_text=gettext_lazy(
            "The language of pages, e-mails and API messages; blank follows the browser (Accept-Language)."
        ),
    )
    # E-mails about weekly timesheets (timetracking.services.period_notifications), each switchable
    # on the Preferences page.
    notify_week_submitted = models.BooleanField(
        gettext_lazy("e-mail me weeks to approve"),
        default=True,
        db_default=True,
        help_text=gettext_lazy("An e-mail when someone you decide for submits a week."),
    )
    notify_week_decided = models.BooleanField(
        gettext_lazy("e-mail me decisions on my weeks"),
        default=True,
        db_default=True,
        help_text=gettext_lazy("An e-mail when your week is approved, sent back or reopened."),
    )

    sso_subject = models.CharField(
        gettext_lazy("single sign-on subject"),
        max_length=255,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=gettext_lazy("The company identity provider's id of this person (set at their first SSO login)."),
    )

    session_generation = models.PositiveIntegerField(
        verbose_name=gettext_lazy("session generation"),
        default=0,
        db_default=0,  # rows written outside the ORM (the benchmark's generator) start at 0 too
        editable=False,
        help_text=gettext_lazy("Raised by 'log out everywhere': every older session ends."),
    )

    invited_at = models.DateTimeField(
        verbose_name=gettext_lazy("invited at"),
        null=True,
        blank=True,
        editable=False,
        help_text=gettext_lazy("When the pending invitation was sent; empty once it is accepted or revoked."),
    )

    objects: ClassVar[CustomUserManager] = CustomUserManager()

    # Set by AbstractBaseUser.set_password (missing from the stubs), and by from_db below.
    _password: str | None
    _stored_is_active: bool | None
    # Set on a deactivation: what the apps did for the leaver (accounts.services.user_leaving_steps).
    leaving_results: dict[str, int]
    # Who deactivates, when a service knows (accounts.services.user_deactivate); None from the admin.
    deactivated_by: User | None = None

    class Meta:
        verbose_name = gettext_lazy("user")
        verbose_name_plural = gettext_lazy("users")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekly_hours__gte=0) & Q(weekly_hours__lte=80), name="user_weekly_hours_range"
            ),
            models.CheckConstraint(condition=~Q(manager=models.F("pk")), name="user_not_own_manager"),
            models.CheckConstraint(
                condition=Q(duration_format__in=DurationFormat.values), name="user_duration_format_known"
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any]) -> Self:
        instance = super().from_db(db, field_names, values)
        instance._stored_is_active = instance.__dict__.get("is_active")
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Whichever path sets a password (the password pages, the admin, a reset, `changepassword`)
        or deactivates the user, their API access is revoked in the same transaction: a new password
        blacklists every refresh token (access tokens carry a digest of the password and end too);
        a deactivation also revokes every API key and calendar feed URL, stops the running timer and
        withdraws pending leave requests (accounts.services.user_leaving_steps), from the admin too."""
        from accounts import services  # cycle: accounts.services imports this module

        update_fields = kwargs.get("update_fields")
        adding = self._state.adding
        password_changed = (
            not adding and self._password is not None and (update_fields is None or "password" in update_fields)
        )
        deactivated = (
            not adding
            and not self.is_active
            and getattr(self, "_stored_is_active", True) is not False
            and (update_fields is None or "is_active" in update_fields)
        )
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)
            if password_changed:
                services.user_revoke_refresh_tokens(user=self)
            if deactivated:
                services.user_revoke_access(user=self, actor=None, reason="deactivated", keys_and_feeds=True)
                self.leaving_results = services.user_leaving_steps(user=self)
        self._stored_is_active = self.is_active

    def _get_session_auth_hash(self, secret: str | bytes | None = None) -> str:
        """Django's session hash (from the password), mixed with `session_generation` once 'log
        out everywhere' raised it: a session whose stored hash no longer matches is ended."""
        if not self.session_generation:
            # Private to Django, so missing from django-stubs.
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc,no-any-return]
        return salted_hmac(
            "accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def set_notifications(self, *, week_submitted: bool, week_decided: bool) -> None:
        """Save which timesheet e-mails the user wants (a preference: no rule, so no service)."""
        self.notify_week_submitted, self.notify_week_decided = bool(week_submitted), bool(week_decided)
        self.save(update_fields=["notify_week_submitted", "notify_week_decided"])

    def set_duration_format(self, duration_format: str) -> None:
        """Save the user's choice of how durations read (a preference: no rule beyond its choices,
        so no service). Raises ValidationError for a value that is not a DurationFormat."""
        self.duration_format = duration_format
        self.clean_fields(exclude=[field.name for field in self._meta.fields if field.name != "duration_format"])
        self.save(update_fields=["duration_format"])

    def set_language(self, language: str) -> None:
        """Save the user's language ("" = follow the browser; a preference: no rule beyond its
        choices, so no service). Raises ValidationError for a language the product does not speak."""
        self.language = language
        self.clean_fields(exclude=[field.name for field in self._meta.fields if field.name != "language"])
        self.save(update_fields=["language"])

    def clean(self) -> None:
        super().clean()
        if self.manager_id and self.manager_id == self.pk:
            raise ValidationError({"manager": gettext("A user cannot be their own manager.")})
        self.subdivision = (self.subdivision or "").upper()
        if self.subdivision and self.country:
            supported = holidays.list_supported_countries().get(self.country, [])
            if self.subdivision not in supported:
                raise ValidationError(
                    {
                        "subdivision": gettext("{subdivision} is not a subdivision of {country}.").format(
                            subdivision=repr(self.subdivision), country=self.country
                        )
                    }
                )

    @cached_property
    def group_names(self) -> frozenset[str]:
        """The names of the user's groups, read once per user object (a request's)."""
        return frozenset(self.groups.values_list("name", flat=True))

    @cached_property
    def is_hr(self) -> bool:
        return self.is_superuser or settings.HR_GROUP_NAME in self.group_names

    @cached_property
    def in_billing_group(self) -> bool:
        """A member of BILLING_GROUP_NAME (who may invoice beside HR: billing.services.invoices)."""
        return settings.BILLING_GROUP_NAME in self.group_names

    @cached_property
    def is_manager(self) -> bool:
        return self.reports.exists()

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def start_date(self) -> date:
        """The first day of work: the local date (in the user's time zone) they joined."""
        return timezone.localtime(self.date_joined, self.tzinfo).date()

    @property
    def has_started(self) -> bool:
        """False before the start date: the account exists (HR prepares it, invites them) but no
        way in lets them log in yet (accounts.backends)."""
        return self.start_date <= timezone.localtime(timezone.now(), self.tzinfo).date()

    @property
    def workdays(self) -> set[int]:
        """ISO weekday numbers this user works on."""
        return {int(day) for day in self.working_weekdays}

    def can_see(self, other: User) -> bool:
        """May this user see `other`'s data (entries, leave)?"""
        return other.pk == self.pk or other.manager_id == self.pk or self.is_hr


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def older_than(self, cutoff: datetime) -> Self:
        return self.filter(created_at__lt=cutoff)

    def for_object(self, obj: models.Model) -> Self:
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditEvent(models.Model):
    """One write with a business meaning. Append-only: database triggers refuse UPDATE and
    DELETE (see migration 0003); only the retention purge removes rows, through a permit."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=gettext_lazy("created at"))
    # No database FK: the trail outlives the users it names and must never be rewritten
    # by an ON DELETE SET NULL.
    actor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=gettext_lazy("actor"),
    )
    actor_username = models.CharField(max_length=150, blank=True, verbose_name=gettext_lazy("actor username"))
    action = models.CharField(
        max_length=64,
        db_index=True,
        help_text=gettext_lazy("e.g. time_entry.created, auth.login_failed"),
        verbose_name=gettext_lazy("action"),
    )
    object_type = models.CharField(
        max_length=100, blank=True, help_text=gettext_lazy("app_label.model"), verbose_name=gettext_lazy("object type")
    )
    object_id = models.CharField(max_length=64, blank=True, verbose_name=gettext_lazy("object ID"))
    changes = models.JSONField(
        default=dict,
        blank=True,
        help_text=gettext_lazy('{"field": [before, after]}'),
        verbose_name=gettext_lazy("changes"),
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True, verbose_name=gettext_lazy("IP address"))
    request_id = models.CharField(max_length=64, blank=True, verbose_name=gettext_lazy("request ID"))

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("audit event")
        verbose_name_plural = gettext_lazy("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            # audit-events/?object_type=&object_id= (the history of one object)
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            # audit-events/?actor= ordered by time
            models.Index(fields=["actor", "created_at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action}"


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def usable(self) -> Self:
        """Keys that authenticate now: not revoked, not expired, owner active."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class ApiKey(models.Model):
    """A key for scripts: `Authorization: Api-Key <prefix>.<secret>`.

    Only a SHA-256 hash of the whole key is stored (the key is 256 random bits, so a slow
    hash adds nothing); the prefix finds the row without scanning.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys", verbose_name=gettext_lazy("user"))
    name = models.CharField(max_length=100, verbose_name=gettext_lazy("name"))
    prefix = models.CharField(max_length=16, unique=True, editable=False, verbose_name=gettext_lazy("prefix"))
    key_hash = models.CharField(max_length=64, editable=False, verbose_name=gettext_lazy("key hash"))
    read_only = models.BooleanField(
        default=False,
        help_text=gettext_lazy("Only GET, HEAD and OPTIONS requests."),
        verbose_name=gettext_lazy("read only"),
    )
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("expires at"))
    last_used_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=gettext_lazy("last used at")
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=gettext_lazy("revoked at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = gettext_lazy("api keys")
        ordering = ["-created_at"]
        verbose_name = gettext_lazy("API key")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an `Idempotency-Key`, replayed on retries."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", gettext_lazy("In progress")
        DONE = "done", gettext_lazy("Done")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=gettext_lazy("user"))
    key = models.CharField(max_length=255, verbose_name=gettext_lazy("key"))
    fingerprint = models.CharField(
        max_length=64,
        help_text=gettext_lazy("SHA-256 of method, path and body."),
        verbose_name=gettext_lazy("fingerprint"),
    )
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.IN_PROGRESS, verbose_name=gettext_lazy("state")
    )
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=gettext_lazy("status code"))
    content_type = models.CharField(max_length=100, blank=True, verbose_name=gettext_lazy("content type"))
    location = models.CharField(max_length=500, blank=True, verbose_name=gettext_lazy("location"))
    body = models.BinaryField(null=True, blank=True, verbose_name=gettext_lazy("body"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=gettext_lazy("created at"))

    class Meta:
        verbose_name = gettext_lazy("idempotency record")
        verbose_name_plural = gettext_lazy("idempotency records")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class OutgoingEmailQuerySet(models.QuerySet["OutgoingEmail"]):
    def due(self, moment: datetime) -> Self:
        """Waiting e-mails whose (next) attempt is due at `moment`, oldest first."""
        return self.filter(status=OutgoingEmail.Status.PENDING, next_attempt_at__lte=moment).order_by("id")


class OutgoingEmail(models.Model):
    """An e-mail to a user, written in the transaction of the change it tells about and sent
    afterwards by a Celery task (`accounts.services.emails_send_due`): a rolled-back change sends
    none, and a broker, Redis or SMTP outage delays it but never loses it."""

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Waiting to be sent")
        SENT = "sent", gettext_lazy("Sent")
        SKIPPED = "skipped", gettext_lazy("Not sent: the user is deactivated or has no address")
        FAILED = "failed", gettext_lazy("Gave up after repeated SMTP errors")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=gettext_lazy("user"))
    subject = models.CharField(max_length=200, verbose_name=gettext_lazy("subject"))
    body = models.TextField(verbose_name=gettext_lazy("body"))
    status = models.CharField(
        max_length=7, choices=Status.choices, default=Status.PENDING, verbose_name=gettext_lazy("status")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=gettext_lazy("attempts"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("next attempt at"))
    last_error = models.CharField(max_length=500, blank=True, verbose_name=gettext_lazy("last error"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("sent at"))

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("outgoing email")
        verbose_name_plural = gettext_lazy("outgoing emails")
        indexes = [
            # emails_send_due: WHERE status = 'pending' AND next_attempt_at <= now ORDER BY id
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="outgoing_email_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "skipped", "failed"]), name="outgoing_email_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.user_id} ({self.status})"


# Two-factor recovery codes (accounts/two_factor_models.py): defined there, registered here.
from accounts.two_factor_models import RecoveryCode as RecoveryCode  # noqa: E402
