"""The dashboard panel: this week's actual vs expected hours and the overtime balance."""

from django.utils import timezone

from core.days import week_days
from reports import overtime
from timetracking.context_processors import request_timer


def widget(request):
    user = request.user
    today = overtime.today_for(user)
    monday, sunday = week_days(today)
    report = overtime.overtime_report(user, monday, sunday, period="day", today=today, with_seconds=True)
    days = {row["period"]: row for row in report["rows"]}
    # The overtime report counts finished entries only; the Time card beside this one counts the
    # running timer up to now. The same read as that card (this week's local days, the running
    # entry's time to now), so the two cards agree while a timer runs: the entry the header
    # shows, if it started this week.
    running = request_timer(request).running  # the header's read: one query for both
    if running and not monday <= timezone.localtime(running.started_at, user.tzinfo).date() <= sunday:
        running = None
    running_seconds = max(0, int((timezone.now() - running.started_at).total_seconds())) if running else 0
    balance_seconds = report["closing_balance_seconds"] + running_seconds
    if running and timezone.localtime(running.started_at, user.tzinfo).date() == today and today in days:
        # Today counts its expected time as far as it is worked (reports.overtime): the running
        # time also fills today's share before it counts as ahead.
        expected, worked = days[today]["expected_seconds"], days[today]["actual_seconds"]
        balance_seconds -= min(expected, worked + running_seconds) - min(expected, worked)
    return {
        "template": "reports/_dashboard.html",
        "context": {
            "week_start": monday,
            # Seconds, shown with `hm` like the Time card beside it (hours to two decimals would
            # round 29:18 to 29:19 there).
            "actual_seconds": report["actual_seconds"] + running_seconds,
            "expected_seconds": report["expected_seconds"],
            "balance_seconds": balance_seconds,
        },
    }
