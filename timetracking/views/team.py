"""The manager's (or HR's) team page: hours vs contract so far, violations, the week's status."""

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from core.durations import seconds_from_hours, to_the_minute
from timetracking import compliance, timesheet
from timetracking.models import TimeEntry, TimesheetPeriod
from timetracking.views.common import parse_week, week_url_for

# --- Team page --------------------------------------------------------------------------------


def team(request):
    """A manager's (or HR's) view of their people's week: hours vs contract, working-time violations,
    the week's status with approve/reject/reopen, and every submitted week waiting for them."""
    viewer = request.user
    if not (viewer.is_manager or viewer.is_hr):
        raise PermissionDenied(gettext("The team page is for managers and HR."))
    monday = parse_week(request.GET.get("week"), viewer.tzinfo)
    sunday = monday + timedelta(days=6)
    members = User.objects.filter(is_active=True).exclude(pk=viewer.pk).order_by("last_name", "first_name", "username")
    members = list(members if viewer.is_hr else members.filter(manager=viewer))
    # One query for everyone's entries of the week (a day of margin for time zones), one for the
    # violations, one for the week's periods, one for the waiting ones: none per person.
    margin = timedelta(days=1)
    start = datetime.combine(monday, time.min, tzinfo=UTC) - margin
    end = datetime.combine(sunday + timedelta(days=1), time.min, tzinfo=UTC) + margin
    seconds = defaultdict(int)
    seconds_today = defaultdict(int)
    by_pk = {member.pk: member for member in members}
    rows = (
        TimeEntry.objects.filter(user_id__in=by_pk)
        .in_range(start, end)
        .values_list("user_id", "started_at", "ended_at")
    )
    now = timezone.now()
    for user_id, started_at, ended_at in rows:
        tzinfo = by_pk[user_id].tzinfo
        day = timezone.localtime(started_at, tzinfo).date()
        if monday <= day <= sunday:
            entry_seconds = int(((ended_at or now) - started_at).total_seconds())
            seconds[user_id] += entry_seconds
            if day == timezone.localdate(now, timezone=tzinfo):
                seconds_today[user_id] += entry_seconds
    violations = defaultdict(list)
    for violation in compliance.violations_for(members, monday, sunday):
        violations[violation.user_id].append(violation)
    periods = {
        period.user_id: period
        for period in TimesheetPeriod.objects.filter(user_id__in=by_pk, week_start=monday).select_related("user")
    }
    people = []
    for member in members:
        # Against the contract so far: on a Wednesday, Monday and Tuesday's share and Wednesday's
        # as far as it is worked, not the whole week. Shown to the minute; the difference is of
        # the figures shown, so they add up.
        today = timezone.localdate(now, timezone=member.tzinfo)
        expected = to_the_minute(
            timesheet.expected_seconds_so_far(member, monday, today, worked_today=seconds_today[member.pk])
        )
        worked = to_the_minute(seconds[member.pk])
        people.append(
            {
                "user": member,
                "seconds": worked,
                "expected": expected,
                "week_expected": to_the_minute(seconds_from_hours(member.weekly_hours)),
                "difference": worked - expected,
                "violations": violations[member.pk],
                "period": periods.get(member.pk),
                "week_url": week_url_for(monday, member, viewer),
            }
        )
    waiting = list(TimesheetPeriod.objects.awaiting_decision_by(viewer).select_related("user").order_by("week_start"))
    context = {
        "monday": monday,
        "sunday": sunday,
        "people": people,
        "waiting": waiting,
        "violation_count": sum(len(found) for found in violations.values()),
        "previous_url": f"{reverse('timetracking:team')}?week={(monday - timedelta(days=7)).isoformat()}",
        "next_url": f"{reverse('timetracking:team')}?week={(monday + timedelta(days=7)).isoformat()}",
        "here": request.get_full_path(),
    }
    return render(request, "timetracking/team.html", context)
