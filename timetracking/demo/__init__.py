"""Demo data for `manage.py seed_demo`: clients, projects, tasks, tags and a realistic month of time
for every demo user, in their own time zone, up to the moment of seeding.

What it shows, relative to the day it runs (so `make run` on any day gives the same picture):
- Every working day since the Monday four weeks before this week's: public holidays of the user's
  country/region, company closures and their leave (seeded by the leave demo first) are days off;
  a half day of leave is half a day of work. A day starts between 07:30 and 09:30 (each person has
  their habits), has a lunch break and lasts 7 to 9 hours around the contract's day (alice and the
  manager do a little more, carol a little less), built from each person's usual activities: a
  stand-up and the Monday team meeting, the week's focus topic, reviews, support, hiring, ...
  so that "recent entries" offers about ten distinct project/task/description combinations.
- Today up to the moment of seeding, and alice's timer running since 40 minutes before it.
- Weeks: alice's week three weeks ago approved (locked); bob's and carol's last week submitted,
  waiting for the manager.
- Exactly three deliberate working-time violations (DELIBERATE below), in this week or last, so
  each of alice, bob and carol finds one warning on the dashboard and the manager sees two in
  the weeks waiting for approval. Everything else complies with every rule by construction:
  days of at most 9 hours with at least 30 minutes of lunch, ending by 19:30 and starting after
  07:30 (more than 11 hours of rest), free weekends. `summary()` prints every violation found,
  so a surprise shows at once (and the tests assert the exact set).

Every write goes through the services (entries_bulk_create, entry_create, timer_start,
period_submit, period_approve), so the rules, the audit trail and the webhook outbox apply. A
user's history is one entries_bulk_create call: one compliance review per person instead of one
per entry (in block mode it refuses a violating history like any import). The deliberate
violations are written after it with entry_create(check_compliance=False): the point is to
record them even where the settings block violations.

Idempotent: catalog rows are looked up by name or code, a day that already has entries for a user
is left alone (so a later run fills only the days since), a deliberate violation is written once
(its entry's description marks it), a running timer is kept, and a week that has a status keeps it.
Deterministic: each day's plan comes from a random.Random seeded with the user and the date.
"""

from django.utils import timezone

from timetracking import compliance
from timetracking.demo.days import first_day_for
from timetracking.demo.history import seed_catalog, seed_entries, seed_periods, seed_timer, stop_stale_timer
from timetracking.demo.people import DELIBERATE, DELIBERATE_BY_USER, PROFILES, TAGS, TIMER, TIMER_MINUTES_AGO
from timetracking.models import Tag, TimeEntry, TimesheetPeriod

__all__ = ["DELIBERATE", "PROFILES", "TIMER", "TIMER_MINUTES_AGO", "first_day_for", "seed", "summary", "violations"]


def seed(stdout, users):
    projects, tasks = seed_catalog(stdout, users)
    tags = {tag.name: tag for tag in Tag.objects.filter(name__in=TAGS)}
    stop_stale_timer(stdout, users["alice"])
    for username in PROFILES:
        seed_entries(stdout, users[username], projects, tasks, tags)
    seed_timer(stdout, users["alice"], projects, tasks, tags)
    seed_periods(stdout, users)


def violations(users):
    """Every working-time violation in the demo history (each user's own calendar)."""
    found = []
    for user in users.values():
        today = timezone.localdate(timezone=user.tzinfo)
        found += compliance.violations_for([user], first_day_for(user), today)
    return found


def summary(stdout, users):
    """What the demo shows: its violations (and why each is there), the timer, the weeks to approve."""
    names = {user.pk: user.username for user in users.values()}
    found = violations(users)
    stdout.write(f"  {len(found)} working-time violation(s) in the demo, on purpose:")
    for violation in found:
        username = names[violation.user_id]
        deliberate = DELIBERATE_BY_USER.get(username)
        why = deliberate.why if deliberate and deliberate.rule == violation.rule else "NOT PLANNED: check the demo"
        stdout.write(f"    {username:<8} {violation.rule_label}: {violation.message}")
        stdout.write(f"             why: {why}")
    for entry in TimeEntry.objects.filter(user__in=users.values()).running().select_related("user", "project"):
        stdout.write(
            f"  timer running: {entry.user.username} on {entry.project or 'no project'} ({entry.description}) "
            f"since {timezone.localtime(entry.started_at, entry.user.tzinfo):%H:%M}"
        )
    waiting = TimesheetPeriod.objects.awaiting_decision_by(users["manager"]).select_related("user")
    for period in waiting.order_by("user__username"):
        stdout.write(f"  week waiting for the manager: {period.user.username}, week of {period.week_start}")
