"""The dashboard panel: today's entries, this week's total, recent entries to continue (a template
tag), working-time violations of this week and last, and (managers, HR) the weeks waiting for
approval. The timer itself is in the header of every page (templates/timetracking/_header_timer.html)."""

from datetime import timedelta

from django.utils import timezone

from core.days import week_start
from core.durations import seconds_from_hours
from timetracking import compliance
from timetracking.models import TimeEntry, TimesheetPeriod


def widget(request):
    user = request.user
    tzinfo = user.tzinfo
    today = timezone.localdate(timezone=tzinfo)
    monday = week_start(today)
    now = timezone.now()
    # One query for the week; today's entries are a slice of it.
    week_entries = list(
        TimeEntry.objects.for_user(user).on_local_days(monday, monday + timedelta(days=6), tzinfo).with_details()
    )
    today_entries = []
    week_seconds = 0
    for entry in week_entries:
        entry.local_start = timezone.localtime(entry.started_at, tzinfo)
        entry.local_end = timezone.localtime(entry.ended_at, tzinfo) if entry.ended_at else None
        entry.seconds = int(((entry.ended_at or now) - entry.started_at).total_seconds())
        week_seconds += entry.seconds
        if entry.local_start.date() == today:
            today_entries.append(entry)
    today_entries.sort(key=lambda entry: entry.started_at)
    return {
        "template": "timetracking/_dashboard.html",
        "context": {
            "today_entries": today_entries,
            "today_seconds": sum(entry.seconds for entry in today_entries),
            "week_seconds": week_seconds,
            "expected_seconds": seconds_from_hours(user.weekly_hours),
            "violations": compliance.violations_for([user], monday - timedelta(days=7), today),
            "waiting_count": TimesheetPeriod.objects.awaiting_decision_by(user).count()
            if user.is_manager or user.is_hr
            else 0,
        },
    }
