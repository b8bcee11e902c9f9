"""Working-time compliance: the rules of the EU Working Time Directive (and common national law),
checked against the tracked time. Pure reads: nothing here writes.

Rules (limits from settings, read at each call so they can be changed per deployment):
- `daily_hours`: work on one day at most WORKING_TIME_MAX_DAILY_HOURS (10 h).
- `breaks` (§ 4 ArbZG): only a gap of at least WORKING_TIME_BREAK_MIN_MINUTES (15) between two
  entries is a break; a shorter one is neither work nor break. A day with more than
  WORKING_TIME_BREAK_AFTER_6H_HOURS (6) h of work needs WORKING_TIME_BREAK_AFTER_6H_MINUTES (30) of
  such breaks, more than WORKING_TIME_BREAK_AFTER_9H_HOURS (9) h needs
  WORKING_TIME_BREAK_AFTER_9H_MINUTES (45); and nobody works more than
  WORKING_TIME_MAX_HOURS_IN_A_ROW (6) h in a row without one. A stretch in a row runs across
  entries and across midnight (22:00-00:00 and 00:00-03:00 are five hours in a row) and belongs to
  the day it starts on; one violation per day says what is missing.
- `daily_rest`: between two working days at least WORKING_TIME_MIN_DAILY_REST_HOURS (11 h) off.
- `weekly_rest`: in every ISO week at least WORKING_TIME_MIN_WEEKLY_REST_HOURS + the daily rest
  (24 + 11 = 35 h) off in one stretch. A stretch counts for every week it touches, so a rest from
  Sunday to Tuesday serves both weeks.
- `average_weekly_hours`: the average week over the WORKING_TIME_REFERENCE_WEEKS (17) weeks ending
  with the assessed week at most WORKING_TIME_MAX_WEEKLY_HOURS (48 h). Weeks without work count as 0.

Days and weeks are the user's local calendar days / ISO weeks. An entry belongs, whole, to the
local day it starts on (as on the timesheet and in the reports): a night shift from 22:00 to 06:00
is 8 hours of the evening's day, and the rest after it runs from 06:00. Durations and rests are
real elapsed time (computed in UTC), so across a DST change a night shift from 22:00 to 06:00 is
7 or 9 hours, not 8, and a "day" is 23 or 25 hours long. Each user is assessed in their own time
zone. Running timers are not counted until they are stopped.

Each rule is one function taking the same prepared `Assessment` and returning its violations;
`evaluate` prepares it once and composes them.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from datetime import tzinfo as TimeZone
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import User
from core.days import week_start
from core.durations import hours_from_seconds
from timetracking.models import TimeEntry, local_day_bounds


class Rule(models.TextChoices):
    DAILY_HOURS = "daily_hours", "Maximum daily working time"
    BREAKS = "breaks", "Breaks"
    DAILY_REST = "daily_rest", "Minimum daily rest"
    WEEKLY_REST = "weekly_rest", "Minimum weekly rest"
    AVERAGE_WEEKLY_HOURS = "average_weekly_hours", "Average weekly working time"


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


def _minutes(seconds: float) -> Decimal:
    return (Decimal(int(seconds)) / MINUTE).quantize(Decimal("1"))


def _fmt(seconds: float) -> str:
    minutes = int(seconds) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


def _work(intervals: list[Interval]) -> float:
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


def daily_hours_violations(assessment: Assessment) -> list[Violation]:
    """Days with more work than the daily maximum."""
    limit = assessment.limits.max_daily
    violations = []
    for day in assessment.assessed_days():
        work = _work(assessment.by_day[day])
        if work > limit:
            violations.append(
                Violation(
                    rule=Rule.DAILY_HOURS,
                    user_id=assessment.user_id,
                    period_start=day,
                    period_end=day,
                    actual=hours_from_seconds(work),
                    limit=hours_from_seconds(limit),
                    unit="hours",
                    message=f"{day:%a %d %b}: {_fmt(work)} h of work, more than the {_fmt(limit)} h allowed in a day.",
                )
            )
    return violations


def _breaks_taken(intervals: list[Interval], min_block: int) -> float:
    """Seconds of breaks between `intervals` (sorted): the gaps of at least `min_block` seconds."""
    gaps = ((later[0] - earlier[1]).total_seconds() for earlier, later in pairwise(intervals))
    return sum(gap for gap in gaps if gap >= min_block)


def _longest_stretches(assessment: Assessment) -> dict[date, tuple[float, datetime, datetime]]:
    """{local day: (work seconds, start, end)} of the longest run of work starting on that day with no
    break (gap of at least the minimum block) inside it, over every entry, so across midnight too."""
    min_block = assessment.limits.min_break_block
    longest: dict[date, tuple[float, datetime, datetime]] = {}
    runs: list[list[Interval]] = []
    for start, end in assessment.intervals:
        if runs and (start - runs[-1][-1][1]).total_seconds() < min_block:
            runs[-1].append((start, end))
        else:
            runs.append([(start, end)])
    for run in runs:
        day = timezone.localtime(run[0][0], assessment.tzinfo).date()
        work = _work(run)
        if day not in longest or work > longest[day][0]:
            longest[day] = (work, run[0][0], max(end for _, end in run))
    return longest


def breaks_violations(assessment: Assessment) -> list[Violation]:
    """Days whose work needs more breaks (gaps of at least the minimum block) than they had, or with
    a stretch of work longer than the most allowed in a row."""
    limit = assessment.limits
    stretches = _longest_stretches(assessment)
    violations = []
    for day in assessment.assessed_days():
        day_intervals = assessment.by_day[day]
        work = _work(day_intervals)
        if work > limit.long_break_after:
            required = limit.long_break
        elif work > limit.short_break_after:
            required = limit.short_break
        else:
            required = 0
        taken = _breaks_taken(day_intervals, limit.min_break_block)
        in_a_row, row_start, row_end = stretches.get(day, (0.0, None, None))
        too_long = in_a_row > limit.max_in_a_row
        if taken >= required and not too_long:
            continue
        problems = []
        if taken < required:
            problems.append(
                f"{_fmt(work)} h of work with {int(taken // 60)} min of breaks; at least {required // 60} min are "
                f"needed (breaks count from {limit.min_break_block // 60} min)."
            )
        if too_long and row_start is not None:
            problems.append(
                f"{_fmt(in_a_row)} h of work in a row from {timezone.localtime(row_start, assessment.tzinfo):%H:%M} "
                f"without a break of {limit.min_break_block // 60} min; at most {_fmt(limit.max_in_a_row)} h "
                "are allowed."
            )
        violations.append(
            Violation(
                rule=Rule.BREAKS,
                user_id=assessment.user_id,
                period_start=day,
                period_end=day,
                actual=_minutes(taken),
                limit=_minutes(max(required, limit.min_break_block if too_long else 0)),
                unit="minutes",
                message=f"{day:%a %d %b}: " + " ".join(problems),
                starts_at=row_start if too_long else None,
                ends_at=row_end if too_long else None,
                details={"longest_in_a_row_seconds": int(in_a_row)},
            )
        )
    return violations


def daily_rest_violations(assessment: Assessment) -> list[Violation]:
    """Too short rests from the last end of one working day to the first start of the next."""
    limit = assessment.limits.min_daily_rest
    by_day = assessment.by_day
    violations = []
    for earlier, later in pairwise(sorted(by_day)):
        if not assessment.in_range(later):
            continue
        rest_start = max(end for _, end in by_day[earlier])
        rest_end = by_day[later][0][0]
        rest = (rest_end - rest_start).total_seconds()
        if rest < limit:
            violations.append(
                Violation(
                    rule=Rule.DAILY_REST,
                    user_id=assessment.user_id,
                    period_start=earlier,
                    period_end=later,
                    actual=hours_from_seconds(rest),
                    limit=hours_from_seconds(limit),
                    unit="hours",
                    message=f"Only {_fmt(rest)} h of rest before {later:%a %d %b}; at least "
                    f"{_fmt(limit)} h are needed between two working days.",
                    starts_at=rest_start,
                    ends_at=rest_end,
                )
            )
    return violations


def weekly_rest_violations(assessment: Assessment) -> list[Violation]:
    """Weeks whose longest stretch off (of those touching the week) is shorter than the weekly rest."""
    intervals = assessment.intervals
    if not intervals:
        return []
    limit = assessment.limits.min_weekly_rest
    # The stretches off, None where one has no work before or after it.
    gaps: list[tuple[datetime | None, datetime | None]] = [(None, intervals[0][0])]
    latest_end = intervals[0][1]
    for start, end in intervals[1:]:
        if start > latest_end:
            gaps.append((latest_end, start))
        latest_end = max(latest_end, end)
    gaps.append((latest_end, None))
    violations = []
    for monday in assessment.weeks:
        week_begins, week_ends = local_day_bounds(monday, monday + timedelta(days=6), assessment.tzinfo)
        touching = [
            (start, end)
            for start, end in gaps
            if (start is None or start < week_ends) and (end is None or end > week_begins)
        ]
        bounded = [(start, end) for start, end in touching if start is not None and end is not None]
        if len(bounded) < len(touching):
            continue  # a stretch off without an end in sight (no work before or after it)
        longest = max(bounded, key=lambda gap: gap[1] - gap[0], default=None)
        length = (longest[1] - longest[0]).total_seconds() if longest else 0
        if length < limit:
            violations.append(
                Violation(
                    rule=Rule.WEEKLY_REST,
                    user_id=assessment.user_id,
                    period_start=monday,
                    period_end=monday + timedelta(days=6),
                    actual=hours_from_seconds(length),
                    limit=hours_from_seconds(limit),
                    unit="hours",
                    message=f"Week of {monday:%d %b}: the longest rest was {_fmt(length)} h; at least "
                    f"{_fmt(limit)} h in one stretch are needed every week.",
                    starts_at=longest[0] if longest else None,
                    ends_at=longest[1] if longest else None,
                )
            )
    return violations


def average_weekly_hours_violations(assessment: Assessment) -> list[Violation]:
    """Weeks ending a reference period whose average week is above the weekly maximum."""
    limit = assessment.limits.max_weekly
    reference = assessment.limits.reference_weeks
    week_seconds: dict[date, float] = defaultdict(float)
    for day, day_intervals in assessment.by_day.items():
        week_seconds[week_start(day)] += _work(day_intervals)
    violations = []
    for monday in assessment.weeks:
        first_monday = monday - timedelta(days=7 * (reference - 1))
        total = sum(seconds for week, seconds in week_seconds.items() if first_monday <= week <= monday)
        if total > limit * reference:
            average = total / reference
            violations.append(
                Violation(
                    rule=Rule.AVERAGE_WEEKLY_HOURS,
                    user_id=assessment.user_id,
                    period_start=monday,
                    period_end=monday + timedelta(days=6),
                    actual=hours_from_seconds(average),
                    limit=hours_from_seconds(limit),
                    unit="hours",
                    message=f"Week of {monday:%d %b}: {_fmt(average)} h a week on average over the {reference} "
                    f"weeks since {first_monday:%d %b %Y}, more than {_fmt(limit)} h.",
                    details={"reference_start": first_monday, "reference_weeks": reference},
                )
            )
    return violations


# Each rule's check, in the order violations of one period are listed.
CHECKS: dict[Rule, Callable[[Assessment], list[Violation]]] = {
    Rule.DAILY_HOURS: daily_hours_violations,
    Rule.BREAKS: breaks_violations,
    Rule.DAILY_REST: daily_rest_violations,
    Rule.WEEKLY_REST: weekly_rest_violations,
    Rule.AVERAGE_WEEKLY_HOURS: average_weekly_hours_violations,
}
_ORDER = {rule: index for index, rule in enumerate(Rule.values)}


def evaluate(
    intervals: Iterable[Interval],
    *,
    user_id: int,
    tzinfo: TimeZone,
    first_day: date,
    last_day: date,
    rules: Iterable[str] | None = None,
) -> list[Violation]:
    """The violations of one user's `intervals` [(started_at, ended_at), ...] (aware, any order)
    concerning the local days [first_day, last_day] in `tzinfo`.

    `intervals` must hold every entry from `first_day - reference weeks - EDGE` to `last_day + EDGE`.
    """
    selected = set(rules or Rule.values)
    assessment = Assessment.prepare(intervals, user_id=user_id, tzinfo=tzinfo, first_day=first_day, last_day=last_day)
    violations = [violation for rule, check in CHECKS.items() if rule in selected for violation in check(assessment)]
    violations.sort(key=lambda violation: (violation.period_end, violation.period_start, _ORDER[violation.rule]))
    return violations


def fetch_window(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The UTC instants between which entries are read to assess the local days [first_day, last_day]."""
    reference = limits().reference_weeks
    start_day = week_start(first_day) - timedelta(days=7 * (reference - 1))
    start = datetime.combine(start_day, time.min, tzinfo=UTC) - EDGE
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=UTC) + EDGE
    return start, end


def violations_for(
    users: Iterable[User], first_day: date, last_day: date, *, rules: Iterable[str] | None = None
) -> list[Violation]:
    """Violations of each of `users` (User objects, their own time zones) on the days [first_day, last_day].

    One query for the entries of all of them, whatever their number.
    """
    users = list(users)
    if not users:
        return []
    start, end = fetch_window(first_day, last_day)
    intervals: dict[int, list[Interval]] = defaultdict(list)
    rows = TimeEntry.objects.filter(user_id__in=[user.pk for user in users]).intervals(start, end)
    for user_id, _entry_id, started_at, ended_at in rows:
        intervals[user_id].append((started_at, ended_at))
    found = []
    for user in users:
        found.extend(
            evaluate(
                intervals.get(user.pk, []),
                user_id=user.pk,
                tzinfo=user.tzinfo,
                first_day=first_day,
                last_day=last_day,
                rules=rules,
            )
        )
    return found
