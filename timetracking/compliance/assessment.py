"""What the working-time rules read: the rules' names, a violation, the configured limits and one
user's prepared work (`Assessment`), with the small figures helpers the rules share."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import tzinfo as TimeZone
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.days import week_start


class Rule(models.TextChoices):
    DAILY_HOURS = "daily_hours", gettext_lazy("Maximum daily working time")
    BREAKS = "breaks", gettext_lazy("Breaks")
    DAILY_REST = "daily_rest", gettext_lazy("Minimum daily rest")
    WEEKLY_REST = "weekly_rest", gettext_lazy("Minimum weekly rest")
    AVERAGE_WEEKLY_HOURS = "average_weekly_hours", gettext_lazy("Average weekly working time")


Interval = tuple[datetime, datetime]  # (started_at, ended_at), aware

MINUTE = Decimal(60)
# Entries are read this far around the assessed days, so that rests and weeks at the edges see
# their neighbours (a day in any time zone lies within one day of the same UTC date).
EDGE = timedelta(days=9)


@dataclass(frozen=True)
class Violation:
    """One breach of one rule by one user: the local days it concerns and the figures."""

    rule: str
    user_id: int
    period_start: date  # local days, inclusive
    period_end: date
    actual: Decimal  # in `unit`
    limit: Decimal
    unit: str  # "hours" or "minutes"
    message: str
    starts_at: datetime | None = None  # the exact stretch, when the rule is about one (a rest)
    ends_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> tuple[str, int, date, date]:
        return (self.rule, self.user_id, self.period_start, self.period_end)

    @property
    def rule_label(self) -> str:
        return str(Rule(self.rule).label)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "rule_label": self.rule_label,
            "user": self.user_id,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "actual": str(self.actual),
            "limit": str(self.limit),
            "unit": self.unit,
            "message": self.message,
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
        }


@dataclass(frozen=True)
class Limits:
    """The configured limits, in seconds (the reference period in weeks)."""

    max_daily: int
    min_daily_rest: int
    min_weekly_rest: int
    short_break_after: int  # work beyond this needs `short_break`...
    short_break: int
    long_break_after: int  # ... and beyond this `long_break`
    long_break: int
    min_break_block: int  # a gap shorter than this is no break
    max_in_a_row: int  # the most work without such a break
    max_weekly: int
    reference_weeks: int


def limits() -> Limits:
    """The limits as configured now (settings are read at each call)."""
    return Limits(
        max_daily=settings.WORKING_TIME_MAX_DAILY_HOURS * 3600,
        min_daily_rest=settings.WORKING_TIME_MIN_DAILY_REST_HOURS * 3600,
        min_weekly_rest=(settings.WORKING_TIME_MIN_WEEKLY_REST_HOURS + settings.WORKING_TIME_MIN_DAILY_REST_HOURS)
        * 3600,
        short_break_after=settings.WORKING_TIME_BREAK_AFTER_6H_HOURS * 3600,
        short_break=settings.WORKING_TIME_BREAK_AFTER_6H_MINUTES * 60,
        long_break_after=settings.WORKING_TIME_BREAK_AFTER_9H_HOURS * 3600,
        long_break=settings.WORKING_TIME_BREAK_AFTER_9H_MINUTES * 60,
        min_break_block=settings.WORKING_TIME_BREAK_MIN_MINUTES * 60,
        max_in_a_row=settings.WORKING_TIME_MAX_HOURS_IN_A_ROW * 3600,
        max_weekly=settings.WORKING_TIME_MAX_WEEKLY_HOURS * 3600,
        reference_weeks=max(1, settings.WORKING_TIME_REFERENCE_WEEKS),
    )


def minutes(seconds: float) -> Decimal:
    return (Decimal(int(seconds)) / MINUTE).quantize(Decimal("1"))


def fmt(seconds: float) -> str:
    minutes = int(seconds) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


def work_seconds(intervals: list[Interval]) -> float:
    return sum((end - start).total_seconds() for start, end in intervals)


@dataclass(frozen=True)
class Assessment:
    """What every rule reads: one user's work, in UTC and sorted, grouped by local day; the assessed
    local days [first_day, last_day] and the Mondays of their weeks; the limits."""

    user_id: int
    tzinfo: TimeZone
    first_day: date
    last_day: date
    intervals: list[Interval]
    by_day: dict[date, list[Interval]]  # local day -> its intervals, in start order
    weeks: list[date]
    limits: Limits

    @classmethod
    def prepare(
        cls, intervals: Iterable[Interval], *, user_id: int, tzinfo: TimeZone, first_day: date, last_day: date
    ) -> "Assessment":
        # In UTC: subtracting two datetimes of the same zone is wall-clock arithmetic (wrong across DST).
        in_utc = sorted((start.astimezone(UTC), end.astimezone(UTC)) for start, end in intervals)
        by_day: dict[date, list[Interval]] = defaultdict(list)
        for start, end in in_utc:
            by_day[timezone.localtime(start, tzinfo).date()].append((start, end))
        weeks = []
        monday = week_start(first_day)
        while monday <= last_day:
            weeks.append(monday)
            monday += timedelta(days=7)
        return cls(
            user_id=user_id,
            tzinfo=tzinfo,
            first_day=first_day,
            last_day=last_day,
            intervals=in_utc,
            by_day=dict(by_day),
            weeks=weeks,
            limits=limits(),
        )

    def in_range(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def assessed_days(self) -> list[date]:
        """The assessed days with work, in order."""
        return sorted(day for day in self.by_day if self.in_range(day))
