"""The week timesheet: the grid, the day lists, entries added, edited and deleted in place, copy
last week, pinned rows.

Every change through htmx answers with the week's body (`_week_body.html`: totals, warnings, grid,
days) in one round trip, so totals and warnings follow without a page load; a refused change
comes back as 400/409 with the error at its field (base.html lets htmx swap those). Without
JavaScript the same forms post and redirect, as plain pages do."""

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.models import User
from core.days import FIRST_DAY, LAST_DAY, week_start
from core.durations import seconds_from_hours
from timetracking import compliance, services, timesheet
from timetracking.forms import EntryForm, row_choices
from timetracking.models import TimeEntry, TimesheetRow
from timetracking.services.timesheet import CELL_DAY_START
from timetracking.views.common import (
    SignedInRequest,
    entry_monday,
    parse_week,
    target_user,
    warn_violations,
    week_url_for,
)

BODY_TEMPLATE = "timetracking/_week_body.html"


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _day_in_week(value: str | None, days: list[date], today: date) -> date | None:
    """The day `value` names ("today" or YYYY-MM-DD) if it is in the week, else None."""
    if value == "today":
        return today if days[0] <= today <= days[-1] else days[0]
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if days[0] <= day <= days[-1] else None


def _add_form(user: User, day: date, entries: list[TimeEntry], initial: dict[str, Any] | None = None) -> EntryForm:
    """A new entry on `day`, starting where the day's last entry ends (or at 09:00), as a grid
    cell does, so the usual case needs only an end or a duration."""
    ends = [entry.local_end for entry in entries if entry.local_end is not None and entry.local_start.date() == day]
    latest = max(ends, default=None)
    start = latest.time().replace(second=0, microsecond=0) if latest and latest.date() == day else CELL_DAY_START
    return EntryForm(user=user, initial={"date": day, "start": start, **(initial or {})})


def week_context(request: SignedInRequest, target: User, monday: date, **state: Any) -> dict[str, Any]:
    """The week page of `target` as `request.user` sees it: their own (editable unless locked) or a
    report's (read-only). The grid and days are computed in timetracking/timesheet.py, the period's
    rules in services (period_state).

    `state` is what an action leaves open or says: `add_day`/`add_form` (the day's new-entry form),
    `edit_form` (an entry's row as a form), `cell_error` ({cell id: (value, message)}), `notice`,
    `undo` (a deletion's token) and `focus` (the id the page puts the focus on)."""
    viewer = request.user
    tzinfo = target.tzinfo
    days = timesheet.week_days(monday)
    week = TimeEntry.objects.for_user(target).on_local_days(days[0], days[-1], tzinfo)
    entries = list(week.with_details().order_by("started_at"))
    timesheet.localise(entries, tzinfo, timezone.now())
    pinned = TimesheetRow.objects.filter(user=target, week_start=monday).select_related("project", "task")
    grid = timesheet.grid_rows(entries, pinned, days)
    cell_error = state.get("cell_error") or {}
    for value, message, cell in _cells_with_errors(grid, cell_error):
        cell["value"], cell["error"] = value, message
    if cell_error and not any(cell["error"] for row in grid for cell in row["cells"]):
        # The cell is not an input (several entries, a running one) or not in the grid: say it above.
        state["notice"] = " ".join(message for _value, message in cell_error.values())
    read_only = target.pk != viewer.pk
    today = timezone.localdate(timezone=tzinfo)
    period = services.period_state(actor=viewer, user=target, week_start=monday)
    editable = not read_only and not period.locked
    add_day = state.get("add_day") if editable else None
    if add_day is None and editable and not state.get("edit_form"):
        add_day = _day_in_week(request.GET.get("new"), days, today)
    add_form = state.get("add_form") or (_add_form(viewer, add_day, entries) if add_day else None)
    context = {
        "target": target,
        "read_only": read_only,
        "editable": editable,
        "monday": monday,
        "sunday": days[-1],
        "today": today,
        "new_entry_day": today if days[0] <= today <= days[-1] else days[0],
        "days": timesheet.day_rows(entries, days),
        "grid": grid,
        "week_total": sum(entry.seconds for entry in entries),
        "expected_seconds": seconds_from_hours(target.weekly_hours),
        "week_url": week_url_for(monday, target, viewer),
        "previous_url": week_url_for(monday - timedelta(days=7), target, viewer),
        "next_url": week_url_for(monday + timedelta(days=7), target, viewer),
        "this_week_url": week_url_for(week_start(today), target, viewer),
        "is_this_week": days[0] <= today <= days[-1],
        "add_day": add_day,
        "add_form": add_form,
        "edit_form": state.get("edit_form") if editable else None,
        "row_choices": row_choices(viewer) if editable else [],
        "row_error": state.get("row_error", ""),
        "notice": state.get("notice", ""),
        "undo": state.get("undo"),
        "undo_seconds": services.UNDO_SECONDS,
        "focus": state.get("focus", ""),
        "period": period.period,
        "locked": period.locked,
        "can_submit": period.can_submit,
        "can_decide": period.can_decide,
        "violations": compliance.violations_for([target], days[0], days[-1]),
        "team": list(User.objects.filter(manager=viewer, is_active=True).order_by("username"))
        if viewer.is_manager
        else [],
    }
    if context["edit_form"] is None and editable and request.GET.get("edit", "").isdigit():
        entry = next((entry for entry in entries if entry.pk == int(request.GET["edit"])), None)
        if entry is None or entry.ended_at is None:
            raise Http404(gettext("No such entry in this week."))
        context["edit_form"] = EntryForm(user=viewer, entry=entry)
        context["focus"] = context["focus"] or "id_start"
    if context["edit_form"] is not None:
        context["add_form"] = context["add_day"] = None  # one form open at a time: their fields share ids
    if context["add_form"] is not None and not context["focus"]:
        context["focus"] = "id_start"
    return context


def _cells_with_errors(grid, errors):
    """The grid's input cells (one entry at most, none running) that `errors` names."""
    for row in grid:
        for cell in row["cells"]:
            if cell["id"] in errors and len(cell["entries"]) <= 1 and not cell["running"]:
                value, message = errors[cell["id"]]
                yield value, message, cell


def week_body(request: SignedInRequest, monday: date, *, status: int = 200, **state: Any) -> HttpResponse:
    """The week's body for htmx: what changed and everything that follows from it."""
    context = week_context(request, request.user, monday, **state)
    return render(request, BODY_TEMPLATE, {**context, "oob": True}, status=status)


def week(request: SignedInRequest) -> HttpResponse:
    target = target_user(request)
    monday = parse_week(request.GET.get("week"), target.tzinfo)
    context = week_context(request, target, monday)
    if is_htmx(request):
        return render(request, BODY_TEMPLATE, {**context, "oob": True})
    return render(request, "timetracking/week.html", context)


def _error_status(error: services.TimeTrackingError) -> int:
    return 409 if isinstance(error, services.TimeTrackingConflict) else 400


def _saved_notice(verb: str, entry: TimeEntry) -> str:
    warnings = [f"Working-time rule: {violation.message}" for violation in getattr(entry, "compliance_warnings", [])]
    return " ".join([f"Entry {verb}.", *warnings])


@require_POST
def entry_create(request):
    form = EntryForm(request.POST, user=request.user)
    day = _posted_day(request.POST.get("date"))
    monday = week_start(day) if day else parse_week(None, request.user.tzinfo)
    if form.is_valid():
        try:
            entry = services.entry_create(user=request.user, actor=request.user, **form.service_arguments())
        except services.PeriodLocked as error:
            if is_htmx(request):
                return week_body(request, monday, status=409, notice=error.message)
            messages.error(request, error.message)  # a locked week shows no form: say it above the page
            return HttpResponseRedirect(week_url_for(monday))
        except services.TimeTrackingError as error:
            form.add_service_error(error)
            status = _error_status(error)
        else:
            if is_htmx(request):
                return week_body(
                    request,
                    entry_monday(entry),
                    notice=_saved_notice("added", entry),
                    focus=f"add-{entry.started_at.astimezone(entry.user.tzinfo).date()}",
                )
            messages.success(request, gettext("Entry added."))
            warn_violations(request, entry)
            return HttpResponseRedirect(week_url_for(entry_monday(entry)))
    else:
        status = 400
    focus = _first_error_id(form)
    if is_htmx(request):
        return week_body(request, monday, status=status, add_day=day or monday, add_form=form, focus=focus)
    context = week_context(request, request.user, monday, add_day=day or monday, add_form=form, focus=focus)
    return render(request, "timetracking/week.html", context, status=status)


def _posted_day(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def _first_error_id(form: EntryForm) -> str:
    for name in form.fields:
        if name in form.errors:
            return form[name].auto_id
    return "id_start"


def _own_entry(request, pk):
    # Only entries the caller may change: someone else's (even a report's) is 404 here.
    return get_object_or_404(TimeEntry.objects.writable_by(request.user).with_details(), pk=pk)


def entry_edit(request, pk):
    entry = _own_entry(request, pk)
    monday = entry_monday(entry)
    if request.method == "POST":
        form = EntryForm(request.POST, user=request.user, entry=entry)
        status = 400
        if form.is_valid():
            try:
                entry = services.entry_update(entry=entry, actor=request.user, **form.service_arguments())
            except services.TimeTrackingError as error:
                form.add_service_error(error)
                status = _error_status(error)
            else:
                if is_htmx(request):
                    return week_body(
                        request, entry_monday(entry), notice=_saved_notice("saved", entry), focus=f"entry-{entry.pk}"
                    )
                messages.success(request, gettext("Entry saved."))
                warn_violations(request, entry)
                return HttpResponseRedirect(week_url_for(entry_monday(entry), entry.user, request.user))
        if is_htmx(request) and entry.user_id == request.user.pk:
            return week_body(request, monday, status=status, edit_form=form, focus=_first_error_id(form))
    else:
        form = EntryForm(user=request.user, entry=entry)
        status = 200
    context = {"form": form, "entry": entry, "week_url": week_url_for(monday, entry.user, request.user)}
    return render(request, "timetracking/entry_form.html", context, status=status)


def entry_delete(request, pk):
    entry = _own_entry(request, pk)
    monday = entry_monday(entry)
    week_url = week_url_for(monday, entry.user, request.user)
    if request.method == "POST":
        undo = services.entry_undo_token(entry) if entry.user_id == request.user.pk else None
        try:
            services.entry_delete(entry=entry, actor=request.user)
        except services.TimeTrackingError as error:
            if is_htmx(request):
                return week_body(request, monday, status=_error_status(error), notice=error.message)
            messages.error(request, error.message)
        else:
            if is_htmx(request):
                return week_body(request, monday, notice="Entry deleted.", undo=undo, focus="undo")
            messages.success(request, gettext("Entry deleted."))
        return HttpResponseRedirect(week_url)
    return render(request, "timetracking/entry_confirm_delete.html", {"entry": entry, "week_url": week_url})


@require_POST
def entry_restore(request):
    """Undo a deletion (the token the delete answered with)."""
    monday = parse_week(request.POST.get("week"), request.user.tzinfo)
    try:
        entry = services.entry_restore(user=request.user, token=request.POST.get("token", ""))
    except services.TimeTrackingError as error:
        if is_htmx(request):
            return week_body(request, monday, status=_error_status(error), notice=error.message)
        messages.error(request, error.message)
        return HttpResponseRedirect(week_url_for(monday))
    if is_htmx(request):
        return week_body(request, entry_monday(entry), notice="Entry restored.", focus=f"entry-{entry.pk}")
    messages.success(request, gettext("Entry restored."))
    return HttpResponseRedirect(week_url_for(entry_monday(entry)))


@require_POST
def copy_last_week(request):
    monday = parse_week(request.POST.get("week"), request.user.tzinfo)
    if request.POST.get("hours"):
        try:
            copied, skipped = services.timesheet_copy_previous_week_hours(
                user=request.user, actor=request.user, week_start=monday
            )
        except services.TimeTrackingError as error:
            notice, status = error.message, _error_status(error)
        else:
            status = 200
            if copied or skipped:
                notice = f"Copied {copied} entr{'y' if copied == 1 else 'ies'} from last week."
                if skipped:
                    notice += f" {skipped} skipped: they overlap this week's entries or their project takes no time."
            else:
                notice = "Nothing to copy: last week has no finished entries."
    else:
        added = services.timesheet_copy_previous_week(user=request.user, week_start=monday)
        status = 200
        if added:
            notice = f"Added {added} project row{'' if added == 1 else 's'} from last week."
        else:
            notice = "Nothing to copy: last week's projects are already here (or last week is empty)."
    if is_htmx(request):
        return week_body(request, monday, status=status, notice=notice, focus="copy-rows")
    (messages.success if status == 200 else messages.error)(request, notice)
    return HttpResponseRedirect(week_url_for(monday))


def _row_ids(request) -> tuple[int | None, int | None]:
    project_id, task_id = request.POST.get("project", ""), request.POST.get("task", "")
    if (project_id and not project_id.isdigit()) or (task_id and not task_id.isdigit()):
        raise Http404(gettext("No such row."))
    return (int(project_id) if project_id else None), (int(task_id) if task_id else None)


@require_POST
def row_remove(request):
    monday = parse_week(request.POST.get("week"), request.user.tzinfo)
    project_id, task_id = _row_ids(request)
    if project_id is None:
        raise Http404(gettext("No such row."))
    services.timesheet_row_remove(user=request.user, week_start=monday, project_id=project_id, task_id=task_id)
    if is_htmx(request):
        return week_body(request, monday, notice="Row removed.", focus="add-row-choice")
    return HttpResponseRedirect(week_url_for(monday))
