"""What the page views share: the signed-in request type, the week in the query string, whose week,
a week's URL, the warnings a write raised."""

from datetime import date
from datetime import tzinfo as TimeZone

from django.contrib import messages
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from core.days import FIRST_DAY, LAST_DAY, week_start


class SignedInRequest(HttpRequest):
    """A page request: accounts.middleware.PageLoginRequiredMiddleware lets no anonymous one through."""

    user: User


def parse_week(value: str | None, tzinfo: TimeZone) -> date:
    """The Monday of the week containing `value` (YYYY-MM-DD), or of today in `tzinfo`."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        day = timezone.localdate(timezone=tzinfo)
    return week_start(day)


def target_user(request: SignedInRequest) -> User:
    """Whose week: yours, or (read-only) a report's for their manager, anyone's for HR. Else 404."""
    user_id = request.GET.get("user")
    if not user_id or user_id == str(request.user.pk):
        return request.user
    if not user_id.isdigit():
        raise Http404(gettext("No such user."))
    return get_object_or_404(User.objects.visible_to(request.user), pk=user_id)


def week_url_for(monday: date, user: User | None = None, viewer: User | None = None) -> str:
    url = f"{reverse('timetracking:week')}?week={monday.isoformat()}"
    if user is not None and viewer is not None and user.pk != viewer.pk:
        url += f"&user={user.pk}"
    return url


def entry_monday(entry):
    return week_start(timezone.localtime(entry.started_at, entry.user.tzinfo).date())


def warn_violations(request, entry):
    """Working-time violations the write created: shown, not blocking (unless the setting blocks)."""
    for violation in getattr(entry, "compliance_warnings", []):
        messages.warning(request, gettext("Working-time rule: {message}").format(message=violation.message))
