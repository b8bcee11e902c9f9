"""One function per working-time rule, each over the same prepared `Assessment` (see the package's
docstring for the rules themselves)."""

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from itertools import pairwise

from django.utils import timezone

from core.days import week_start
from core.durations import hours_from_seconds
from timetracking.compliance.assessment import (
    Assessment,
    Interval,
    Rule,
    Violation,
    fmt,
    minutes,
    work_seconds,
)
from timetracking.models import local_day_bounds


def daily_hours_violations(assessment: Assessment) -> list[Violation]:
    """Days with more work than the daily maximum."""
    limit = assessment.limits.max_daily
    violations = []
    for day in assessment.assessed_days():
        work = work_seconds(assessment.by_day[day])
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
                    message=f"{day:%a %d %b}: {fmt(work)} h of work, more than the {fmt(limit)} h allowed in a day.",
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
        work = work_seconds(run)
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
        work = work_seconds(day_intervals)
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
                f"{fmt(work)} h of work with {int(taken // 60)} min of breaks; at least {required // 60} min are "
                f"needed (breaks count from {limit.min_break_block // 60} min)."
            )
        if too_long and row_start is not None:
            problems.append(
                f"{fmt(in_a_row)} h of work in a row from {timezone.localtime(row_start, assessment.tzinfo):%H:%M} "
                f"without a break of {limit.min_break_block // 60} min; at most {fmt(limit.max_in_a_row)} h "
                "are allowed."
            )
        violations.append(
            Violation(
                rule=Rule.BREAKS,
                user_id=assessment.user_id,
                period_start=day,
                period_end=day,
                actual=minutes(taken),
                limit=minutes(max(required, limit.min_break_block if too_long else 0)),
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
                    message=f"Only {fmt(rest)} h of rest before {later:%a %d %b}; at least "
                    f"{fmt(limit)} h are needed between two working days.",
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
                    message=f"Week of {monday:%d %b}: the longest rest was {fmt(length)} h; at least "
                    f"{fmt(limit)} h in one stretch are needed every week.",
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
        week_seconds[week_start(day)] += work_seconds(day_intervals)
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
                    message=f"Week of {monday:%d %b}: {fmt(average)} h a week on average over the {reference} "
                    f"weeks since {first_monday:%d %b %Y}, more than {fmt(limit)} h.",
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
