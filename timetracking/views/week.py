"""The week timesheet: the grid, the day lists, entry add/edit/delete, copy last week, pinned rows."""

import contextlib
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from core.days import week_start
from core.durations import seconds_from_hours
from timetracking import compliance, services, timesheet
from timetracking.forms import EntryForm
from timetracking.models import TimeEntry, TimesheetRow
from timetracking.views.common import (
    SignedInRequest,
    entry_monday,
    parse_week,
    target_user,
    warn_violations,
    week_url_for,
)

# --- Week timesheet ---------------------------------------------------------------------------


def _entry_form(request: SignedInRequest, days: list[date], today: date) -> EntryForm:
    """The add-entry form, on today when it is in the week (else its Monday), prefilled from the
    query string (a grid cell's link names its project, task and day)."""
    initial: dict[str, Any] = {"date": today if days[0] <= today <= days[-1] else days[0]}
    for name in ("project", "task"):
        if request.GET.get(name, "").isdigit():
            initial[name] = request.GET[name]
    if request.GET.get("date"):
        with contextlib.suppress(ValueError):
            initial["date"] = date.fromisoformat(request.GET["date"])
    return EntryForm(user=request.user, initial=initial)


def week_context(request: SignedInRequest, target: User, monday: date, form: EntryForm | None = None) -> dict[str, Any]:
    """The week page of `target` as `request.user` sees it: their own (editable unless locked) or a
    report's (read-only). The grid and days are computed in timetracking/timesheet.py, the period's
    rules in services (period_state)."""
    viewer = request.user
    tzinfo = target.tzinfo
    days = timesheet.week_days(monday)
    week = TimeEntry.objects.for_user(target).on_local_days(days[0], days[-1], tzinfo)
    entries = list(week.with_details().order_by("started_at"))
    timesheet.localise(entries, tzinfo, timezone.now())
    pinned = TimesheetRow.objects.filter(user=target, week_start=monday).select_related("project", "task")
    grid = timesheet.grid_rows(entries, pinned, days)
    read_only = target.pk != viewer.pk
    today = timezone.localdate(timezone=tzinfo)
    state = services.period_state(actor=viewer, user=target, week_start=monday)
    if form is None and not read_only and not state.locked:
        form = _entry_form(request, days, today)
    return {
        "target": target,
        "read_only": read_only,
        "monday": monday,
        "sunday": days[-1],
        "days": timesheet.day_rows(entries, days),
        "grid": grid,
        "week_total": sum(entry.seconds for entry in entries),
        "expected_seconds": seconds_from_hours(target.weekly_hours),
        "previous_url": week_url_for(monday - timedelta(days=7), target, viewer),
        "next_url": week_url_for(monday + timedelta(days=7), target, viewer),
        "this_week_url": week_url_for(week_start(today), target, viewer),
        "is_this_week": days[0] <= today <= days[-1],
        "form": form,
        "period": state.period,
        "locked": state.locked,
        "can_submit": state.can_submit,
        "can_decide": state.can_decide,
        "violations": compliance.violations_for([target], days[0], days[-1]),
        "team": list(User.objects.filter(manager=viewer, is_active=True).order_by("username"))
        if viewer.is_manager
        else [],
    }


def week(request: SignedInRequest) -> HttpResponse:
    target = target_user(request)
    monday = parse_week(request.GET.get("week"), target.tzinfo)
    return render(request, "timetracking/week.html", week_context(request, target, monday))


@require_POST
def entry_create(request):
    form = EntryForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            entry = services.entry_create(user=request.user, actor=request.user, **form.service_arguments())
        except services.PeriodLocked as error:
            # The locked week shows no form: say it above the page instead.
            messages.error(request, error.message)
            return HttpResponseRedirect(week_url_for(week_start(form.cleaned_data["date"])))
        except services.TimeTrackingError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Entry added.")
            warn_violations(request, entry)
            return HttpResponseRedirect(week_url_for(entry_monday(entry)))
    day = getattr(form, "cleaned_data", {}).get("date")
    monday = week_start(day) if day else parse_week(request.POST.get("date"), request.user.tzinfo)
    context = week_context(request, request.user, monday, form=form)
    return render(request, "timetracking/week.html", context)


def _own_entry(request, pk):
    # Only entries the caller may change: someone else's (even a report's) is 404 here.
    return get_object_or_404(TimeEntry.objects.writable_by(request.user).with_details(), pk=pk)


def entry_edit(request, pk):
    entry = _own_entry(request, pk)
    if request.method == "POST":
        form = EntryForm(request.POST, user=request.user, entry=entry)
        if form.is_valid():
            try:
                entry = services.entry_update(entry=entry, actor=request.user, **form.service_arguments())
            except services.TimeTrackingError as error:
                form.add_service_error(error)
            else:
                messages.success(request, "Entry saved.")
                warn_violations(request, entry)
                return HttpResponseRedirect(week_url_for(entry_monday(entry), entry.user, request.user))
    else:
        form = EntryForm(user=request.user, entry=entry)
    context = {"form": form, "entry": entry, "week_url": week_url_for(entry_monday(entry), entry.user, request.user)}
    return render(request, "timetracking/entry_form.html", context)


def entry_delete(request, pk):
    entry = _own_entry(request, pk)
    week_url = week_url_for(entry_monday(entry), entry.user, request.user)
    if request.method == "POST":
        try:
            services.entry_delete(entry=entry, actor=request.user)
        except services.TimeTrackingError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Entry deleted.")
        return HttpResponseRedirect(week_url)
    return render(request, "timetracking/entry_confirm_delete.html", {"entry": entry, "week_url": week_url})


@require_POST
def copy_last_week(request):
    monday = parse_week(request.POST.get("week"), request.user.tzinfo)
    added = services.timesheet_copy_previous_week(user=request.user, week_start=monday)
    if added:
        messages.success(request, f"Added {added} project row(s) from last week.")
    else:
        messages.info(request, "Nothing to copy: last week's projects are already here (or last week is empty).")
    return HttpResponseRedirect(week_url_for(monday))


@require_POST
def row_remove(request):
    monday = parse_week(request.POST.get("week"), request.user.tzinfo)
    project_id, task_id = request.POST.get("project", ""), request.POST.get("task", "")
    if not project_id.isdigit() or (task_id and not task_id.isdigit()):
        raise Http404("No such row.")
    services.timesheet_row_remove(
        user=request.user, week_start=monday, project_id=int(project_id), task_id=int(task_id) if task_id else None
    )
    return HttpResponseRedirect(week_url_for(monday))
