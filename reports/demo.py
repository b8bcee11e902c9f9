"""The reports' part of `manage.py seed_demo`: nothing to write (the overtime balances come from
the time tracking demo's days, which aim at the contract with each person's habit: alice and
the manager a little over, carol a little under), and a summary of each person's weeks as the
reports count them (expected hours after holidays, closures and approved leave)."""

from reports import overtime
from timetracking.demo import first_day_for


def summary(stdout, users):
    """Per person: worked / expected hours for each week of the demo history, and the balance."""
    for user in users.values():
        today = overtime.today_for(user)
        report = overtime.overtime_report(user, first_day_for(user), today, period="week", today=today)
        weeks = "  ".join(
            f"{row['period']:%d %b} {row['actual_hours']:.1f}/{row['expected_hours']:.1f}" for row in report["rows"]
        )
        stdout.write(f"  hours {user.username:<8} {weeks}  balance {report['closing_balance_hours']:+.1f} h")
