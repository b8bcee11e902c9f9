"""{% recent_entries %}: the user's recent entries with ▶ continue, wherever a page wants them
(the dashboard's panel, the timesheet). Two queries (TimeEntryQuerySet.recent_combinations)."""

from django import template

from timetracking.models import TimeEntry

register = template.Library()

RECENT = 10


@register.inclusion_tag("timetracking/_recent.html", takes_context=True)
def recent_entries(context, heading_level=2, limit=RECENT):
    """The last `limit` different combinations, each with ▶ continue. The dashboard shows fewer
    (its card sits beside others) and links to the timesheet, which shows them all."""
    request = context["request"]
    entries = list(TimeEntry.objects.for_user(request.user).recent_combinations(limit=limit + 1))
    return {
        "recent": entries[:limit],
        "more": len(entries) > limit and limit < RECENT,
        "heading_level": heading_level,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }
