"""The dashboard panel: this week's actual vs expected hours and the overtime balance."""

from django.utils import timezone

from core.days import week_days
from core.durations import hours_from_seconds
from reports import overtime
from timetracking.models import TimeEntry


def widget(request):
    user = request.user
    today = overtime.today_for(user)
    monday, sunday = week_days(today)
    report = overtime.overtime_report(user, monday, sunday, period="week", today=today, with_seconds=True)
    week = report["rows"][0] if report["rows"] else None
    # The overtime report counts finished entries only; the Time card beside this one counts the
    # running timer up to now. The same read as that card (this week's local days, the running
    # entry's time to now), so the two cards agree while a timer runs.
    running = TimeEntry.objects.for_user(user).running().on_local_days(monday, sunday, user.tzinfo).first()
    running_seconds = max(0, int((timezone.now() - running.started_at).total_seconds())) if running else 0
    actual_seconds = (week["actual_seconds"] if week else 0) + running_seconds
    return {
        "template": "reports/_dashboard.html",
        "context": {
            "week_start": monday,
            "actual_hours": hours_from_seconds(actual_seconds),
            "expected_hours": week["expected_hours"] if week else 0,
            "balance_hours": hours_from_seconds(report["closing_balance_seconds"] + running_seconds),
        },
    }
