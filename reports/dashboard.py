"""The dashboard panel: this week's actual vs expected hours and the overtime balance."""

from core.days import week_days
from reports import overtime


def widget(request):
    user = request.user
    today = overtime.today_for(user)
    monday, sunday = week_days(today)
    report = overtime.overtime_report(user, monday, sunday, period="week", today=today)
    week = report["rows"][0] if report["rows"] else None
    return {
        "template": "reports/_dashboard.html",
        "context": {
            "week_start": monday,
            "actual_hours": week["actual_hours"] if week else 0,
            "expected_hours": week["expected_hours"] if week else 0,
            "balance_hours": report["closing_balance_hours"],
        },
    }
