"""The timer in the header of every signed-in page (templates/timetracking/_header_timer.html)."""

from functools import cached_property

from django.http import HttpRequest
from django.utils import timezone

from timetracking.models import TimeEntry


class HeaderTimer:
    """What the header shows of the user's timer, read only when a template asks for it (the admin
    and the API render templates too, and must not pay for it): one query, the running entry with
    its project and task. Tags are left out: the header does not show them."""

    def __init__(self, request: HttpRequest):
        self.request = request

    @cached_property
    def running(self) -> TimeEntry | None:
        user = self.request.user
        if not user.is_authenticated:
            return None
        return TimeEntry.objects.for_user(user).running().select_related("project", "task").first()

    @cached_property
    def elapsed_seconds(self) -> int:
        running = self.running
        return max(0, int((timezone.now() - running.started_at).total_seconds())) if running else 0

    @cached_property
    def title(self) -> str:
        """What the tab title names beside the clock: the description, else the project."""
        running = self.running
        if running is None:
            return ""
        return running.description or (running.project.name if running.project else "Timer")


def request_timer(request: HttpRequest) -> HeaderTimer:
    """The request's one HeaderTimer: every template it renders (the dashboard's cards, the header)
    and the dashboard's overtime card read one running entry, with one query."""
    timer = request.__dict__.get("_header_timer")
    if timer is None:
        timer = request.__dict__["_header_timer"] = HeaderTimer(request)
    return timer


def header_timer(request: HttpRequest) -> dict[str, HeaderTimer]:
    return {"header_timer": request_timer(request)}
