"""CalDAV push: approved leave written to CalDAV calendars, through an outbox.

`caldav_record` runs inside every leave transition (`common._record`): for each enabled target it
writes a `CalDAVPush` row in the same transaction — PUT while the request is approved, DELETE
once it no longer is — and queues its delivery after the commit. `caldav_push_deliver` sends one
row. Idempotent by construction: the event's URL and UID come from the request, so a PUT sent twice
updates one event, and deleting an event already gone counts as done. Rows left pending (broker or
server down, retries used up) are queued again by `caldav_sweep` (Celery beat, leave/apps.py).
"""

import logging
import re
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from core.tasks import enqueue_on_commit, publish
from leave.caldav_models import CalDAVPush, CalDAVTarget
from leave.ical import calendar_of, leave_request_event, leave_request_uid, part_of_day
from leave.models import LeaveRequest, LeaveStatus
from leave.services.common import LeaveError

if TYPE_CHECKING:
    from caldav.davclient import DAVClient

logger = logging.getLogger(__name__)

PLACEHOLDERS: dict[str, str] = {
    CalDAVTarget.Mode.COMPANY: "",
    CalDAVTarget.Mode.TEAM: "{team}",
    CalDAVTarget.Mode.USER: "{user}",
}
TIMEOUT_SECONDS = 10
BACKOFF_SECONDS = 30  # then 60, 120, ... up to MAX_BACKOFF_SECONDS between attempts
MAX_BACKOFF_SECONDS = 3600
SWEEP_PERIOD_SECONDS = 300.0  # the periodic sweep (leave/apps.py)


# --- Configuration -----------------------------------------------------------------------------


def caldav_target_validate(*, mode: str, url: str) -> str:
    """The calendar URL for `mode`, or LeaveError on `url`: http(s) with a host, no credentials in
    it (they belong in the username and password fields, which are never shown back), and exactly
    the placeholder the mode needs."""
    url = (url or "").strip()
    if mode not in PLACEHOLDERS:
        raise LeaveError(gettext("Choose how leave is spread over calendars."), field="mode")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LeaveError(gettext("The calendar URL must start with http:// or https:// and name a host."), field="url")
    if "@" in parts.netloc:
        raise LeaveError(gettext("Put the user name and password in their own fields, not in the URL."), field="url")
    placeholder = PLACEHOLDERS[mode]
    found = re.findall(r"\{[^{}]*\}", url)
    if url.count("{") != len(found) or url.count("}") != len(found):
        raise LeaveError(gettext("Unbalanced braces in the calendar URL."), field="url")
    wanted = [placeholder] if placeholder else []
    if found != wanted:
        if placeholder:
            raise LeaveError(
                gettext("This mode needs {placeholder} once in the URL, and no other placeholder.").format(
                    placeholder=placeholder
                ),
                field="url",
            )
        raise LeaveError(gettext("One calendar for everyone takes a URL without placeholders."), field="url")
    return url


def calendar_url_for(target: CalDAVTarget, user: User) -> str:
    """The calendar collection of `user`'s leave on `target`. Per team: the manager's user name;
    someone without a manager is in the team they lead (their own name)."""
    if target.mode == CalDAVTarget.Mode.USER:
        url = target.url.replace("{user}", quote(user.username, safe=""))
    elif target.mode == CalDAVTarget.Mode.TEAM:
        lead = user.manager.username if user.manager_id and user.manager else user.username
        url = target.url.replace("{team}", quote(lead, safe=""))
    else:
        url = target.url
    return url if url.endswith("/") else url + "/"


def event_url(push: CalDAVPush) -> str:
    return push.calendar_url + quote(push.uid.split("@", 1)[0], safe="") + ".ics"


# --- The outbox --------------------------------------------------------------------------------


def caldav_record(leave_request: LeaveRequest, *, targets: list[CalDAVTarget] | None = None) -> list[CalDAVPush]:
    """In the caller's transaction: the pushes `leave_request`'s current state calls for, one per
    enabled target, queued after the commit. Approved → PUT (created or updated); otherwise → DELETE,
    only where something was pushed before, and from the calendar it was pushed to."""
    if targets is None:
        targets = list(CalDAVTarget.objects.filter(is_enabled=True))
    if not targets:
        return []
    approved = leave_request.status == LeaveStatus.APPROVED
    uid = leave_request_uid(leave_request)
    pushes = []
    for target in targets:
        earlier = CalDAVPush.objects.filter(target=target, leave_request=leave_request)
        pushed_to = set(earlier.filter(action=CalDAVPush.Action.PUT).values_list("calendar_url", flat=True))
        writes = []
        if approved:
            calendar_url = calendar_url_for(target, leave_request.user)
            writes.append((CalDAVPush.Action.PUT, calendar_url))
            pushed_to.discard(calendar_url)  # left: calendars it was routed to before (a new manager)
        # Taken back from every calendar it may have reached; deleting what is not there is harmless.
        writes += [(CalDAVPush.Action.DELETE, url) for url in sorted(pushed_to)]
        if not writes:
            continue  # never pushed: nothing to take back
        # The new rows describe the request as it is now: older pending ones need not be sent. (A
        # delivery in flight holds their locks; this waits for it, at most its network timeout.)
        earlier.pending().update(status=CalDAVPush.Status.SUPERSEDED, done_at=timezone.now())
        pushes += [
            CalDAVPush.objects.create(
                target=target, leave_request=leave_request, action=action, uid=uid, calendar_url=calendar_url
            )
            for action, calendar_url in writes
        ]
    from leave.tasks import caldav_deliver  # cycle: leave.tasks imports leave.services

    for push in pushes:
        enqueue_on_commit(caldav_deliver, push.pk, lost="the CalDAV sweep pushes it later")
    return pushes


# --- Delivery ----------------------------------------------------------------------------------


def _summary(push: CalDAVPush) -> str:
    leave_request = push.leave_request
    personal = push.target.mode == CalDAVTarget.Mode.USER
    label = leave_request.leave_type.name if personal or push.target.show_leave_type else "Away"
    summary = label if personal else f"{leave_request.user}: {label}"
    if part := part_of_day(leave_request):
        summary += f" ({part})"
    return summary


def _ical(push: CalDAVPush) -> str:
    calendar = calendar_of(push.target.name)
    calendar.add_component(leave_request_event(push.leave_request, summary=_summary(push), status="CONFIRMED"))
    return str(calendar.to_ical().decode())


def _client(target: CalDAVTarget) -> "DAVClient":
    # Imported here: only a worker that pushes needs the CalDAV client (and its HTTP stack).
    from caldav.davclient import DAVClient

    # No DNS discovery (RFC 6764): the URL is the calendar, and nothing else is asked.
    return DAVClient(
        url=target.url.split("{", 1)[0],
        username=target.username or None,
        password=target.password or None,
        timeout=TIMEOUT_SECONDS,
        enable_rfc6764=False,
    )


def _send(push: CalDAVPush) -> None:
    """PUT or DELETE the event of `push`; raises on failure. A calendar collection that does not
    exist yet (a new person or team) is made (MKCALENDAR) and the PUT sent again."""
    from caldav.calendarobjectresource import Event
    from caldav.lib import error

    client = _client(push.target)
    calendar = client.calendar(url=push.calendar_url)
    url = event_url(push)
    if push.action == CalDAVPush.Action.DELETE:
        # Unconditional; a 404 (deleted already, or never arrived) counts as done.
        Event(client=client, url=url, parent=calendar).delete()
        return
    data = _ical(push)
    try:
        Event(client=client, url=url, data=data, parent=calendar).save()
    except (error.PutError, error.NotFoundError):
        client.mkcalendar(push.calendar_url)
        Event(client=client, url=url, data=data, parent=calendar).save()


def _failure(failure: Exception, password: str) -> str:
    """What went wrong, for the admin and the log: the type and the server's reason, never the
    password (it travels in a header, and validation keeps credentials out of the URL; masked here
    all the same, should a server ever echo it)."""
    text = f"{type(failure).__name__}: {failure}"
    if password:
        text = text.replace(password, "***")
    return text[:500]


def caldav_push_deliver(*, push_id: int) -> bool:
    """Send one push. True when done (sent, superseded or already done); False to retry later."""
    from caldav.lib import error

    with transaction.atomic():
        push = CalDAVPush.objects.select_related("target").filter(pk=push_id).first()
        if push is None or push.status != CalDAVPush.Status.PENDING:
            return True  # gone with its request, or a duplicate task run: nothing twice
        # Lock every row of this request and target: a PUT still on its way and the DELETE of a
        # cancellation that follows it would otherwise race, and the event could outlive the leave.
        rows = list(
            CalDAVPush.objects.select_for_update()
            .filter(leave_request_id=push.leave_request_id, target_id=push.target_id)
            .order_by("id")
        )
        push = next(row for row in rows if row.pk == push_id)
        if push.status != CalDAVPush.Status.PENDING:
            return True
        push.target = CalDAVTarget.objects.get(pk=push.target_id)
        push.leave_request = LeaveRequest.objects.select_related("user", "leave_type").get(pk=push.leave_request_id)
        try:
            _send(push)
        except (error.DAVError, OSError, ValueError) as failure:
            message = _failure(failure, push.target.password)
            delay = min(BACKOFF_SECONDS * 2**push.attempts, MAX_BACKOFF_SECONDS)
            CalDAVPush.objects.filter(pk=push.pk).update(
                attempts=push.attempts + 1,
                last_error=message,
                next_attempt_at=timezone.now() + timedelta(seconds=delay),
            )
            logger.warning("CalDAV push %s (%s) not delivered: %s", push.pk, push.calendar_url, message)
            return False
        CalDAVPush.objects.filter(pk=push.pk).update(
            status=CalDAVPush.Status.DONE, attempts=push.attempts + 1, last_error="", done_at=timezone.now()
        )
    return True


def caldav_sweep(*, limit: int = 500) -> int:
    """Queue again the pending pushes whose next attempt is due (Celery beat): what a broker outage,
    a lost message or used-up retries left behind. Returns how many were queued."""
    from leave.tasks import caldav_deliver

    ids = list(CalDAVPush.objects.due().order_by("id").values_list("pk", flat=True)[:limit])
    for push_id in ids:
        publish(caldav_deliver, push_id, lost="the next sweep queues it again")
    return len(ids)


@transaction.atomic
def caldav_target_resync(*, target: CalDAVTarget) -> int:
    """Push every approved request that has not ended yet to `target` (after adding a calendar or
    changing its URL). Returns how many were queued."""
    if not target.is_enabled:
        raise LeaveError(gettext("Enable the calendar first."), field="is_enabled")
    today = timezone.localdate()
    requests = LeaveRequest.objects.filter(status=LeaveStatus.APPROVED, end_date__gte=today).select_related(
        "user", "user__manager"
    )
    count = 0
    for leave_request in requests:
        count += len(caldav_record(leave_request, targets=[target]))
    return count
