"""iCalendar events of leave: one definition shared by the iCal feeds (leave/views.py) and the
CalDAV push (leave/services/caldav.py), so a request reads the same in every calendar."""

from datetime import date, timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from leave.models import EndPart, LeaveRequest, LeaveUnit, StartPart

PRODID = "-//Timetrack//Leave//EN"


def leave_request_uid(leave_request: LeaveRequest) -> str:
    """Stable for the life of the request: the feeds and every CalDAV PUT use it, so pushing a
    request again updates its event instead of adding a second one."""
    return f"leave-request-{leave_request.pk}@timetrack"


def calendar_of(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def all_day_event(uid: str, summary: str, start: date, end: date, status: str | None = None) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", start)
    event.add("dtend", end + timedelta(days=1))  # all-day events end on the next day, exclusive
    event.add("summary", summary)
    if status:
        event.add("status", status)
    return event


def part_of_day(leave_request: LeaveRequest) -> str:
    """ "morning" or "afternoon" for a one-day half-day request, else "": all-day events cannot
    say half a day, so the summary carries it."""
    if leave_request.start_date != leave_request.end_date:
        return ""
    if leave_request.end_part == EndPart.MORNING:
        return "morning"
    if leave_request.start_part == StartPart.AFTERNOON:
        return "afternoon"
    return ""


def leave_request_description(leave_request: LeaveRequest) -> str:
    """Half days and hours in words; "" for plain full days."""
    lines = []
    if leave_request.start_date != leave_request.end_date:
        if leave_request.start_part == StartPart.AFTERNOON:
            lines.append(f"Starts in the afternoon of {leave_request.start_date:%a %d %b %Y}.")
        if leave_request.end_part == EndPart.MORNING:
            lines.append(f"Ends at noon on {leave_request.end_date:%a %d %b %Y}.")
    elif part := part_of_day(leave_request):
        lines.append(f"Half a day: the {part}.")
    if leave_request.leave_type.unit == LeaveUnit.HOURS and leave_request.hours:
        lines.append(f"{leave_request.hours.normalize():f} hours.")
    return "\n".join(lines)


def leave_request_event(leave_request: LeaveRequest, *, summary: str, status: str) -> Event:
    """The all-day event of a leave request (UID, dates, half days); `summary` is the caller's,
    since who sees what differs between a personal and a shared calendar."""
    event = all_day_event(
        leave_request_uid(leave_request), summary, leave_request.start_date, leave_request.end_date, status
    )
    if description := leave_request_description(leave_request):
        event.add("description", description)
    return event
