"""Demo data for the reports: a few late release evenings, so that the overtime balance on
/reports/ and the dashboard is not just "a bit under contract" for everyone. Idempotent: an
evening that already has its entry is left alone; entries go through the time tracking
service (overlap rules apply)."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from timetracking import services as timetracking_services
from timetracking.models import Project, TimeEntry

DESCRIPTION = "Release work (evening)"
# username -> how many of their most recent worked days get an evening of 2.5 hours
EVENINGS = {"alice": 8, "bob": 3}


def seed(stdout, users):
    project = Project.objects.filter(code="ACME-WEB").first()
    for username, count in EVENINGS.items():
        user = users[username]
        tzinfo = user.tzinfo
        today = timezone.localdate(timezone=tzinfo)
        worked_days = sorted(
            {
                timezone.localtime(started_at, tzinfo).date()
                for started_at in TimeEntry.objects.for_user(user)
                .filter(started_at__gte=timezone.now() - timedelta(days=35))
                .values_list("started_at", flat=True)
            }
            - {today},
            reverse=True,
        )[:count]
        created = 0
        for day in worked_days:
            start = datetime.combine(day, time(19, 45), tzinfo=tzinfo)
            if TimeEntry.objects.for_user(user).filter(description=DESCRIPTION, started_at=start).exists():
                continue
            try:
                timetracking_services.entry_create(
                    user=user,
                    started_at=start,
                    ended_at=start + timedelta(hours=2, minutes=30),
                    project=project,
                    description=DESCRIPTION,
                    billable=True,
                )
            except timetracking_services.TimeTrackingError as error:
                stdout.write(f"  evening {username} {day} skipped: {error.message}")
                continue
            created += 1
        stdout.write(f"  overtime evenings {username:<8} {created} created")
