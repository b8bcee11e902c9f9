from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (label, URL name, who sees it). A page that does not exist yet is simply left out. The admin is
# in the user's menu (base.html): nine links wrapped the header into two rows at 1366 px.
NAVIGATION = [
    (_("Dashboard"), "dashboard", "all"),
    (_("Timesheet"), "timetracking:week", "all"),
    (_("Leave"), "leave:index", "all"),
    (_("Calendar"), "leave:calendar", "all"),
    (_("Approvals"), "leave:approvals", "manager"),
    (_("Team"), "timetracking:team", "manager"),
    (_("Reports"), "reports:index", "all"),
    (_("Factories"), "sprockets:factory-list", "all"),
    (_("People"), "accounts:people", "hr"),
]


def _allowed(user, audience):
    if audience == "all":
        return True
    if audience == "staff":
        return user.is_staff
    if audience == "manager":
        return user.is_manager or user.is_hr
    if audience == "hr":
        return user.is_hr
    return False


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    items = []
    for label, url_name, audience in NAVIGATION:
        if not _allowed(user, audience):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        current = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"label": label, "url": url, "current": current})
    return {"navigation": items}
