"""CalDAV push: where approved leave is written (`CalDAVTarget`) and the outbox of writes still to
make (`CalDAVPush`). leave/models.py re-exports both; leave/services/caldav.py writes them.

A push row is written in the same transaction as the leave change that calls for it, so a
rolled-back change pushes nothing and a committed one is never lost (broker or CalDAV server down:
the row waits, retried by its task and by the periodic sweep)."""

from typing import Self

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy


class CalDAVTarget(models.Model):
    class Mode(models.TextChoices):
        COMPANY = "company", gettext_lazy("One calendar for everyone")
        TEAM = "team", gettext_lazy("One calendar per team (manager)")
        USER = "user", gettext_lazy("One calendar per person")

    name = models.CharField(
        max_length=100,
        help_text=gettext_lazy("For people: e.g. “Company leave calendar”."),
        verbose_name=gettext_lazy("name"),
    )
    mode = models.CharField(max_length=7, choices=Mode.choices, default=Mode.COMPANY, verbose_name=gettext_lazy("mode"))
    url = models.CharField(
        gettext_lazy("calendar URL"),
        max_length=500,
        help_text=gettext_lazy(
            "http(s) URL of the calendar collection. Per team it contains {team} (the manager's user "
            "name), per person {user} (the user name): https://dav.example.com/leave/{user}/"
        ),
    )
    username = models.CharField(max_length=150, blank=True, verbose_name=gettext_lazy("username"))
    # Stored as given: the CalDAV server needs it in clear at every push. Never shown back (the
    # admin form leaves it empty) and never logged.
    password = models.CharField(max_length=500, blank=True, verbose_name=gettext_lazy("password"))
    show_leave_type = models.BooleanField(
        default=False,
        help_text=gettext_lazy(
            "Shared calendars (everyone, per team) show “Away” unless this is on; a personal calendar "
            "always shows the leave type."
        ),
        verbose_name=gettext_lazy("show leave type"),
    )
    is_enabled = models.BooleanField(gettext_lazy("enabled"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    class Meta:
        ordering = ["name"]
        verbose_name = gettext_lazy("CalDAV calendar")
        verbose_name_plural = gettext_lazy("CalDAV calendars")

    def __str__(self) -> str:
        return self.name


class CalDAVPushQuerySet(models.QuerySet["CalDAVPush"]):
    def pending(self) -> Self:
        return self.filter(status=CalDAVPush.Status.PENDING)

    def due(self, now=None) -> Self:
        """Pending rows whose next attempt is due: what the periodic sweep queues again."""
        return self.pending().filter(next_attempt_at__lte=now or timezone.now())


class CalDAVPush(models.Model):
    class Action(models.TextChoices):
        PUT = "put", gettext_lazy("Create or update")
        DELETE = "delete", gettext_lazy("Delete")

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Pending")
        DONE = "done", gettext_lazy("Done")
        SUPERSEDED = "superseded", gettext_lazy("Superseded by a later change")

    target = models.ForeignKey(
        CalDAVTarget, on_delete=models.CASCADE, related_name="pushes", verbose_name=gettext_lazy("target")
    )
    leave_request = models.ForeignKey(
        "leave.LeaveRequest",
        on_delete=models.CASCADE,
        related_name="caldav_pushes",
        verbose_name=gettext_lazy("leave request"),
    )
    action = models.CharField(max_length=6, choices=Action.choices, verbose_name=gettext_lazy("action"))
    uid = models.CharField(
        max_length=200,
        help_text=gettext_lazy("The event's UID, derived from the request: a retry is the same."),
        verbose_name=gettext_lazy("uid"),
    )
    calendar_url = models.CharField(
        max_length=600,
        help_text=gettext_lazy("The calendar collection, as routed when queued."),
        verbose_name=gettext_lazy("calendar URL"),
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name=gettext_lazy("status")
    )
    attempts = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("attempts"))
    last_error = models.CharField(max_length=500, blank=True, verbose_name=gettext_lazy("last error"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("next attempt at"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("created at"))
    done_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("done at"))

    objects = CalDAVPushQuerySet.as_manager()

    class Meta:
        verbose_name_plural = gettext_lazy("cal DAV pushes")
        ordering = ["-id"]
        verbose_name = gettext_lazy("CalDAV push")
        indexes = [
            # The sweep: WHERE status = 'pending' AND next_attempt_at <= now
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="caldav_push_due_idx"),
            # A delivery locks and reads the rows of one request and target, newest first.
            models.Index(fields=["leave_request", "target", "id"], name="caldav_push_request_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=["put", "delete"]), name="caldav_push_action_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "done", "superseded"]), name="caldav_push_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.uid} → {self.target}"
