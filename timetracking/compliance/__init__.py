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
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from datetime import tzinfo as TimeZone

from accounts.models import User
from core.days import week_start
from timetracking.compliance.assessment import EDGE, Assessment, Interval, Limits, Rule, Violation, limits
from timetracking.compliance.rules import (
    _ORDER,
    CHECKS,
    average_weekly_hours_violations,
    breaks_violations,
    daily_hours_violations,
    daily_rest_violations,
    weekly_rest_violations,
)
from timetracking.models import TimeEntry

__all__ = [
    "CHECKS",
    "EDGE",
    "Assessment",
    "Interval",
    "Limits",
    "Rule",
    "Violation",
    "average_weekly_hours_violations",
    "breaks_violations",
    "daily_hours_violations",
    "daily_rest_violations",
    "evaluate",
    "fetch_window",
    "limits",
    "violations_for",
    "weekly_rest_violations",
]


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
