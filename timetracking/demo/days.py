"""The demo's days: which days each user works (holidays, closures, leave), and each day's plan of
blocks (start, lunch, activities), deterministic per user and date; the deliberate violations' days."""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

import holidays
from django.apps import apps
from django.utils import timezone

from core.days import week_start
from timetracking.demo.people import DELIBERATE_BY_USER, PROFILES, STANDUP, WEEKS_BACK, Activity

# --- Days ---------------------------------------------------------------------------------------


def first_day_for(user):
    """The first day of the demo history of `user` (their local calendar)."""
    return week_start(timezone.localdate(timezone=user.tzinfo)) - timedelta(days=7 * WEEKS_BACK)


@dataclass
class DayOff:
    """The part of a working day not worked: on leave, or a company closure."""

    fraction: Decimal = Decimal(0)  # of the day
    morning: bool = False  # the morning is the part off (the day's work starts after lunch)
    hours: Decimal = Decimal(0)  # hourly leave


def days_off_of(user, first_day, last_day):
    """{date: DayOff} for the user's pending/approved leave and the company closures, if the leave
    app is installed (time tracking does not import it: the leave demo runs first)."""
    try:
        leave_request = apps.get_model("leave", "LeaveRequest")
        company_closure = apps.get_model("leave", "CompanyClosure")
    except LookupError:
        return {}
    off = {}
    for closure in company_closure.objects.filter(date__range=(first_day, last_day), country__in=["", user.country]):
        off[closure.date] = DayOff(Decimal("0.5") if closure.half_day else Decimal(1))
    requests = leave_request.objects.filter(user=user).active().overlapping(first_day, last_day)
    for request in requests.select_related("leave_type"):
        day = request.start_date
        while day <= request.end_date:
            entry = off.setdefault(day, DayOff())
            if request.hours:
                entry.hours += request.hours
            elif day == request.start_date and request.start_part == "afternoon":
                entry.fraction = min(Decimal(1), entry.fraction + Decimal("0.5"))
            elif day == request.end_date and request.end_part == "morning":
                entry.fraction = min(Decimal(1), entry.fraction + Decimal("0.5"))
                entry.morning = True
            else:
                entry.fraction = Decimal(1)
            day += timedelta(days=1)
    return off


def public_holidays_of(user, first_day, last_day):
    if not user.country:
        return set()
    years = set(range(first_day.year, last_day.year + 1))
    try:
        return set(holidays.country_holidays(user.country, subdiv=user.subdivision or None, years=years))
    except NotImplementedError:
        return set()


@dataclass(frozen=True)
class Block:
    started_at: datetime
    ended_at: datetime
    activity: Activity


def _is_meeting(activity):
    return "meeting" in activity.tags


def _weighted(rng, activities, avoid=()):
    choices = [activity for activity in activities if activity not in avoid] or list(activities)
    return rng.choices(choices, weights=[activity.weight for activity in choices])[0]


def _day_minutes(user, profile, rng, off):
    """How long the day's work is: the contract's day, the person's habit and the day's mood,
    within 7-9 h for a full day (at most 9 h: more would need a 45-minute break)."""
    contract = float(user.weekly_hours) * 60 / max(1, len(user.workdays))
    worked_part = 1 - float(off.fraction) if off else 1
    minutes = (contract + profile.bias_minutes + rng.randint(-30, 30)) * worked_part
    minutes = max(420 * worked_part, min(540 * worked_part, minutes))
    minutes -= float(off.hours) * 60 if off else 0  # hourly leave comes off the day
    return max(0, int(round(minutes / 5) * 5))


def day_plan(user, profile, day, off=None, *, first_start=None):
    """The day's blocks of work (local, aware): rituals first, then the week's focus and the
    person's other activities; lunch (30-60 min) after 3:15-4:15 h, short gaps between blocks."""
    rng = random.Random(f"timetracking-demo-{user.username}-{day.isoformat()}")
    # The week's focus is work, not a meeting: it comes back day after day.
    focus_choices = [activity for activity in profile.work if not _is_meeting(activity)] or profile.work
    focus = _weighted(random.Random(f"timetracking-demo-{user.username}-week-{week_start(day)}"), focus_choices)
    total = _day_minutes(user, profile, rng, off)
    if total < 60:
        return []
    tzinfo = user.tzinfo
    earliest, latest = profile.first_start
    if first_start is None:
        span = (latest.hour * 60 + latest.minute) - (earliest.hour * 60 + earliest.minute)
        first_minute = earliest.hour * 60 + earliest.minute + 5 * rng.randint(0, span // 5)
        if off and off.morning:  # the morning on leave: the day starts after lunch
            first_minute = 12 * 60 + 30 + 5 * rng.randint(0, 12)
        first_start = time(first_minute // 60, first_minute % 60)

    today_rituals = [ritual for ritual in profile.rituals if ritual[0] in (None, day.isoweekday())]
    items = [(activity, minutes) for _weekday, activity, minutes in today_rituals if minutes <= total / 3]
    remaining = total - sum(minutes for _, minutes in items)
    work = []
    previous = None
    while remaining > 0:
        # Never the same twice in a row, and a meeting at most once a day.
        avoid = {previous} | {activity for activity, _minutes in work if _is_meeting(activity)}
        activity = focus if rng.random() < 0.4 and focus not in avoid else _weighted(rng, profile.work, avoid)
        length = rng.choice([60, 75, 90] if _is_meeting(activity) else [105, 120, 150, 180, 210])
        if remaining - length < 45:
            length = remaining
        work.append((activity, length))
        previous = activity
        remaining -= length
    if first_start < time(8, 45) and items and work:
        # An early start works a while before the stand-up.
        head_activity, head_minutes = work.pop(0)
        early = min(head_minutes, (9 * 60 + 15) - (first_start.hour * 60 + first_start.minute))
        items.insert(0, (head_activity, early))
        if head_minutes - early:
            work.insert(0, (head_activity, head_minutes - early))
    items += work

    lunch_after = rng.randint(39, 51) * 5  # 3:15-4:15 h of work before lunch
    blocks = []
    moment = datetime.combine(day, first_start, tzinfo=tzinfo)
    worked = 0
    lunch_taken = total <= 360  # up to 6 h of work needs no break
    for activity, minutes in items:
        while minutes > 0:
            if not lunch_taken and worked >= lunch_after:
                moment += timedelta(minutes=rng.choice([30, 30, 40, 45, 45, 60]))
                lunch_taken = True
            length = minutes
            if not lunch_taken and worked + minutes > lunch_after:
                length = lunch_after - worked  # lunch in the middle of this block
                if length < 20:  # no sliver before lunch: lunch before the block
                    lunch_after = worked
                    continue
                if minutes - length < 20:  # nor after it: lunch after the block
                    length, lunch_after = minutes, worked + minutes
            blocks.append(Block(moment, moment + timedelta(minutes=length), activity))
            moment += timedelta(minutes=length)
            worked += length
            minutes -= length
        moment += timedelta(minutes=rng.choice([0, 0, 5, 5, 10]))
    return _merged(blocks)


def _merged(blocks):
    """Adjacent blocks of the same activity with no gap are one entry."""
    merged = []
    for block in blocks:
        if merged and merged[-1].activity == block.activity and merged[-1].ended_at == block.started_at:
            merged[-1] = Block(merged[-1].started_at, block.ended_at, block.activity)
        else:
            merged.append(block)
    return merged


def _at(day, tzinfo, hour, minute):
    return datetime.combine(day, time(hour, minute), tzinfo=tzinfo)


def deliberate_plan(user, profile, day, kind):
    """The blocks of a deliberate violation's day (see DELIBERATE)."""
    tzinfo = user.tzinfo
    marker = DELIBERATE_BY_USER[user.username].marker
    if kind == "release":  # bob: 10:45 h with an hour's lunch and a coffee (only the daily maximum is breached)
        release = Activity("GLX-APP", "Android", marker, ("planning",))
        return [
            Block(_at(day, tzinfo, 8, 0), _at(day, tzinfo, 8, 15), STANDUP),
            Block(_at(day, tzinfo, 8, 15), _at(day, tzinfo, 12, 30), release),
            Block(_at(day, tzinfo, 13, 30), _at(day, tzinfo, 17, 0), release),
            Block(_at(day, tzinfo, 17, 15), _at(day, tzinfo, 20, 0), PROFILES["bob"].work[0]),
        ]
    if kind == "evening":  # carol: 7 h, then 2 h in the evening: 9 h in the day, ending at 23:00
        hotfix = Activity("SPR-DASH", "Data import", marker, ("support", "bugfix"))
        return [
            Block(_at(day, tzinfo, 8, 30), _at(day, tzinfo, 8, 45), STANDUP),
            Block(_at(day, tzinfo, 8, 45), _at(day, tzinfo, 12, 30), profile.work[0]),
            Block(_at(day, tzinfo, 13, 0), _at(day, tzinfo, 16, 15), profile.work[1]),
            Block(_at(day, tzinfo, 21, 0), _at(day, tzinfo, 23, 0), hotfix),
        ]
    if kind == "workshop":  # alice: 6:45 h without a break, then an hour after a short one
        workshop = Activity("ACME-WEB", "Design", marker, ("meeting",))
        review = Activity("ACME-WEB", "Frontend", "Code review", ("review",))
        return [
            Block(_at(day, tzinfo, 9, 0), _at(day, tzinfo, 15, 45), workshop),
            Block(_at(day, tzinfo, 16, 0), _at(day, tzinfo, 16, 30), review),
        ]
    raise ValueError(kind)


def deliberate_days(user, candidates, today):
    """{day: kind of plan} of the user's deliberate violation, or {} (see DELIBERATE).

    `candidates`: the past full working days without leave that are free to plan."""
    last_monday = week_start(today) - timedelta(days=7)
    last_week = [day for day in candidates if last_monday <= day < last_monday + timedelta(days=7)]

    def preferred(weekdays):
        for weekday in weekdays:
            for day in last_week:
                if day.isoweekday() == weekday:
                    return day
        return None

    if user.username == "bob" and (day := preferred([4, 3, 2, 5, 1])):
        return {day: "release"}
    if user.username == "alice" and (day := preferred([3, 2, 4, 1, 5])):
        return {day: "workshop"}
    if user.username == "carol":
        recent = sorted((day for day in candidates if day >= last_monday), reverse=True)
        for day in recent:
            if day - timedelta(days=1) in candidates:
                return {day - timedelta(days=1): "evening", day: "early"}
    return {}
