"""Pages: the week timesheet, entry add/edit/delete and the dashboard timer. Thin: rules are in services."""

import contextlib
from collections import defaultdict
from datetime import date, timedelta

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import User
from timetracking import dashboard, services
from timetracking.forms import EntryForm, TimerStartForm
from timetracking.models import TimeEntry, TimesheetRow

# --- Week timesheet ---------------------------------------------------------------------------


def _parse_week(value, tzinfo):
    """The Monday of the week containing `value` (YYYY-MM-DD), or of today in `tzinfo`."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        day = None
    if day is None:
        day = timezone.localdate(timezone=tzinfo)
    return day - timedelta(days=day.weekday())


def _target_user(request):
    """Whose week: yours, or (read-only) a report's for their manager, anyone's for HR. Else 404."""
    user_id = request.GET.get("user")
    if not user_id or user_id == str(request.user.pk):
        return request.user
    if not user_id.isdigit():
        raise Http404("No such user.")
    return get_object_or_404(User.objects.visible_to(request.user), pk=user_id)


def _week_url(monday, user=None, viewer=None):
    url = f"{reverse('timetracking:week')}?week={monday.isoformat()}"
    if user is not None and viewer is not None and user.pk != viewer.pk:
        url += f"&user={user.pk}"
    return url


def week_context(request, target, monday, form=None):
    tzinfo = target.tzinfo
    days = [monday + timedelta(days=offset) for offset in range(7)]
    entries = TimeEntry.objects.for_user(target).on_local_days(days[0], days[-1], tzinfo)
    entries = list(entries.with_details().order_by("started_at"))
    now = timezone.now()
    by_day = defaultdict(list)
    row_seconds = defaultdict(lambda: defaultdict(int))
    row_labels = {}
    for entry in entries:
        local_start = timezone.localtime(entry.started_at, tzinfo)
        entry.local_start = local_start
        entry.local_end = timezone.localtime(entry.ended_at, tzinfo) if entry.ended_at else None
        entry.seconds = int(((entry.ended_at or now) - entry.started_at).total_seconds())
        by_day[local_start.date()].append(entry)
        key = (entry.project_id, entry.task_id)
        row_seconds[key][local_start.date()] += entry.seconds
        row_labels[key] = (entry.project, entry.task)
    pinned = set()
    for row in TimesheetRow.objects.filter(user=target, week_start=monday).select_related("project", "task"):
        key = (row.project_id, row.task_id)
        pinned.add(key)
        row_seconds.setdefault(key, defaultdict(int))
        row_labels[key] = (row.project, row.task)
    grid = []

    def row_order(item):
        project, task = item[1]
        return (project is None, project.name.lower() if project else "", task.name.lower() if task else "")

    for key, (project, task) in sorted(row_labels.items(), key=row_order):
        grid.append(
            {
                "project": project,
                "task": task,
                "cells": [{"day": day, "seconds": row_seconds[key].get(day, 0)} for day in days],
                "total": sum(row_seconds[key].values()),
                "pinned": key in pinned,
            }
        )
    day_rows = [
        {"date": day, "entries": by_day.get(day, []), "total": sum(e.seconds for e in by_day.get(day, []))}
        for day in days
    ]
    read_only = target.pk != request.user.pk
    today = timezone.localdate(timezone=tzinfo)
    if form is None and not read_only:
        initial = {"date": today if days[0] <= today <= days[-1] else days[0]}
        for name in ("project", "task"):
            if request.GET.get(name, "").isdigit():
                initial[name] = request.GET[name]
        if request.GET.get("date"):
            with contextlib.suppress(ValueError):
                initial["date"] = date.fromisoformat(request.GET["date"])
        form = EntryForm(user=request.user, initial=initial)
    return {
        "target": target,
        "read_only": read_only,
        "monday": monday,
        "sunday": days[-1],
        "days": day_rows,
        "grid": grid,
        "week_total": sum(e.seconds for e in entries),
        "expected_seconds": int(target.weekly_hours * 3600),
        "previous_url": _week_url(monday - timedelta(days=7), target, request.user),
        "next_url": _week_url(monday + timedelta(days=7), target, request.user),
        "this_week_url": _week_url(today - timedelta(days=today.weekday()), target, request.user),
        "is_this_week": days[0] <= today <= days[-1],
        "form": form,
        "team": list(User.objects.filter(manager=request.user, is_active=True).order_by("username"))
        if request.user.is_manager
        else [],
    }


def week(request):
    target = _target_user(request)
    monday = _parse_week(request.GET.get("week"), target.tzinfo)
    return render(request, "timetracking/week.html", week_context(request, target, monday))


def _monday(day):
    return day - timedelta(days=day.weekday())


def _entry_monday(entry):
    return _monday(timezone.localtime(entry.started_at, entry.user.tzinfo).date())


@require_POST
def entry_create(request):
    form = EntryForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            entry = services.entry_create(user=request.user, actor=request.user, **form.service_arguments())
        except services.TimeTrackingError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Entry added.")
            return HttpResponseRedirect(_week_url(_entry_monday(entry)))
    day = getattr(form, "cleaned_data", {}).get("date")
    monday = _monday(day) if day else _parse_week(request.POST.get("date"), request.user.tzinfo)
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
                return HttpResponseRedirect(_week_url(_entry_monday(entry), entry.user, request.user))
    else:
        form = EntryForm(user=request.user, entry=entry)
    context = {"form": form, "entry": entry, "week_url": _week_url(_entry_monday(entry), entry.user, request.user)}
    return render(request, "timetracking/entry_form.html", context)


def entry_delete(request, pk):
    entry = _own_entry(request, pk)
    week_url = _week_url(_entry_monday(entry), entry.user, request.user)
    if request.method == "POST":
        services.entry_delete(entry=entry, actor=request.user)
        messages.success(request, "Entry deleted.")
        return HttpResponseRedirect(week_url)
    return render(request, "timetracking/entry_confirm_delete.html", {"entry": entry, "week_url": week_url})


@require_POST
def copy_last_week(request):
    monday = _parse_week(request.POST.get("week"), request.user.tzinfo)
    added = services.timesheet_copy_previous_week(user=request.user, week_start=monday)
    if added:
        messages.success(request, f"Added {added} project row(s) from last week.")
    else:
        messages.info(request, "Nothing to copy: last week's projects are already here (or last week is empty).")
    return HttpResponseRedirect(_week_url(monday))


@require_POST
def row_remove(request):
    monday = _parse_week(request.POST.get("week"), request.user.tzinfo)
    project_id, task_id = request.POST.get("project", ""), request.POST.get("task", "")
    if not project_id.isdigit() or (task_id and not task_id.isdigit()):
        raise Http404("No such row.")
    services.timesheet_row_remove(
        user=request.user, week_start=monday, project_id=int(project_id), task_id=int(task_id) if task_id else None
    )
    return HttpResponseRedirect(_week_url(monday))


# --- Dashboard timer --------------------------------------------------------------------------


def _back(request):
    target = request.POST.get("next") or reverse("dashboard")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("dashboard")
    return HttpResponseRedirect(target)


def _timer_response(request, error=None, form=None):
    """htmx: the refreshed dashboard panel (200 so htmx swaps it, error inside). Plain form: redirect."""
    if request.headers.get("HX-Request"):
        widget = dashboard.widget(request, error=error, form=form)
        return render(request, widget["template"], {"context": widget["context"]})
    if error:
        messages.error(request, error)
    return _back(request)


@require_POST
def timer_start(request):
    form = TimerStartForm(request.POST, user=request.user, prefix="timer")
    if not form.is_valid():
        return _timer_response(request, error="Please correct the timer fields.", form=form)
    try:
        services.timer_start(user=request.user, **form.service_arguments())
    except services.TimeTrackingError as error:
        form.add_service_error(error)
        return _timer_response(request, error=error.message, form=form)
    return _timer_response(request)


@require_POST
def timer_stop(request):
    try:
        services.timer_stop(user=request.user)
    except services.TimeTrackingError as error:
        return _timer_response(request, error=error.message)
    return _timer_response(request)


def timer_panel(request):
    """The dashboard panel alone (for htmx refreshes)."""
    widget = dashboard.widget(request)
    return render(request, widget["template"], {"context": widget["context"]})
