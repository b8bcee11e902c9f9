"""{% recent_entries %}: the user's recent entries with ▶ continue, wherever a page wants them
(the dashboard's panel, the timesheet). Two queries (TimeEntryQuerySet.recent_combinations)."""

from django import template

from timetracking.models import TimeEntry

register = template.Library()

RECENT = 10


@register.inclusion_tag("timetracking/_recent.html", takes_context=True)
def recent_entries(context, heading_level=2):
    request = context["request"]
    entries = TimeEntry.objects.for_user(request.user).recent_combinations(limit=RECENT)
    return {
        "recent": entries,
        "heading_level": heading_level,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
