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
# Pages of a few, in the user's menu beside the admin: one more link wraps HR's header at 1366 px.
MENU_LINKS = [
    (_("Invoices"), "invoices:list", "billing"),
]


def _allowed(user, audience):
    is_hr = user.is_hr
    if audience == "all":
        return True
    if audience == "staff":
        return user.is_staff
    if audience == "manager":
        return is_hr or user.is_manager
    if audience == "hr":
        return is_hr
    if audience == "billing":  # HR and the billing group (billing.services.invoices.can_invoice)
        return is_hr or user.in_billing_group
    return False


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": [], "menu_links": []}
    # Once per request: a page renders several templates (its dashboard cards) with the request.
    cached = getattr(request, "_navigation_links", None)
    if cached is None:
        cached = request._navigation_links = {
            "navigation": _links(request, user, NAVIGATION),
            "menu_links": _links(request, user, MENU_LINKS),
        }
    return cached


def _links(request, user, links):
    items = []
    for label, url_name, audience in links:
        if not _allowed(user, audience):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        current = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"label": label, "url": url, "current": current})
    return items
