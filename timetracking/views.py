"""Pages: the week timesheet, entry add/edit/delete, the dashboard timer, the period close
(submit on the week page; approve/reject/reopen on the team page) and the manager's team page.
Thin: rules are in services, compliance reads in compliance.py, the week grid in timesheet.py."""

import contextlib
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from datetime import tzinfo as TimeZone
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import User
from core.days import FIRST_DAY, LAST_DAY, week_start
from core.durations import seconds_from_hours, to_the_minute
from timetracking import compliance, dashboard, services, timesheet
from timetracking.forms import EntryForm, TimerStartForm
from timetracking.models import TimeEntry, TimesheetPeriod, TimesheetRow


class SignedInRequest(HttpRequest):
    """A page request: accounts.middleware.PageLoginRequiredMiddleware lets no anonymous one through."""

    user: User


# --- Week timesheet ---------------------------------------------------------------------------


def _parse_week(value: str | None, tzinfo: TimeZone) -> date:
    """The Monday of the week containing `value` (YYYY-MM-DD), or of today in `tzinfo`."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        day = timezone.localdate(timezone=tzinfo)
    return week_start(day)


def _target_user(request: SignedInRequest) -> User:
    """Whose week: yours, or (read-only) a report's for their manager, anyone's for HR. Else 404."""
    user_id = request.GET.get("user")
    if not user_id or user_id == str(request.user.pk):
        return request.user
    if not user_id.isdigit():
        raise Http404("No such user.")
    return get_object_or_404(User.objects.visible_to(request.user), pk=user_id)


def _week_url(monday: date, user: User | None = None, viewer: User | None = None) -> str:
    url = f"{reverse('timetracking:week')}?week={monday.isoformat()}"
    if user is not None and viewer is not None and user.pk != viewer.pk:
        url += f"&user={user.pk}"
    return url


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
        "previous_url": _week_url(monday - timedelta(days=7), target, viewer),
        "next_url": _week_url(monday + timedelta(days=7), target, viewer),
        "this_week_url": _week_url(week_start(today), target, viewer),
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
    target = _target_user(request)
    monday = _parse_week(request.GET.get("week"), target.tzinfo)
    return render(request, "timetracking/week.html", week_context(request, target, monday))


def _entry_monday(entry):
    return week_start(timezone.localtime(entry.started_at, entry.user.tzinfo).date())


def _warn(request, entry):
    """Working-time violations the write created: shown, not blocking (unless the setting blocks)."""
    for violation in getattr(entry, "compliance_warnings", []):
        messages.warning(request, f"Working-time rule: {violation.message}")


@require_POST
def entry_create(request):
    form = EntryForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            entry = services.entry_create(user=request.user, actor=request.user, **form.service_arguments())
        except services.PeriodLocked as error:
            # The locked week shows no form: say it above the page instead.
            messages.error(request, error.message)
            return HttpResponseRedirect(_week_url(week_start(form.cleaned_data["date"])))
        except services.TimeTrackingError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Entry added.")
            _warn(request, entry)
            return HttpResponseRedirect(_week_url(_entry_monday(entry)))
    day = getattr(form, "cleaned_data", {}).get("date")
    monday = week_start(day) if day else _parse_week(request.POST.get("date"), request.user.tzinfo)
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
                _warn(request, entry)
                return HttpResponseRedirect(_week_url(_entry_monday(entry), entry.user, request.user))
    else:
        form = EntryForm(user=request.user, entry=entry)
    context = {"form": form, "entry": entry, "week_url": _week_url(_entry_monday(entry), entry.user, request.user)}
    return render(request, "timetracking/entry_form.html", context)


def entry_delete(request, pk):
    entry = _own_entry(request, pk)
    week_url = _week_url(_entry_monday(entry), entry.user, request.user)
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


def _timer_response(request, error=None, form=None, entry=None):
    """htmx: the refreshed dashboard panel (200 so htmx swaps it, error and warnings inside). Plain form: redirect."""
    warnings = getattr(entry, "compliance_warnings", [])
    if request.headers.get("HX-Request"):
        widget = dashboard.widget(request, error=error, form=form, warnings=warnings)
        return render(request, widget["template"], {"context": widget["context"]})
    if error:
        messages.error(request, error)
    _warn(request, entry)
    return _back(request)


@require_POST
def timer_start(request):
    form = TimerStartForm(request.POST, user=request.user, prefix="timer")
    if not form.is_valid():
        return _timer_response(request, error="Please correct the timer fields.", form=form)
    try:
        entry = services.timer_start(user=request.user, **form.service_arguments())
    except services.TimeTrackingError as error:
        form.add_service_error(error)
        return _timer_response(request, error=error.message, form=form)
    return _timer_response(request, entry=entry)


@require_POST
def timer_stop(request):
    try:
        entry = services.timer_stop(user=request.user)
    except services.TimeTrackingError as error:
        return _timer_response(request, error=error.message)
    return _timer_response(request, entry=entry)


def timer_panel(request):
    """The dashboard panel alone (for htmx refreshes)."""
    widget = dashboard.widget(request)
    return render(request, widget["template"], {"context": widget["context"]})


# --- Period close -----------------------------------------------------------------------------


def _back_to(request, fallback):
    target = request.POST.get("next") or fallback
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = fallback
    return HttpResponseRedirect(target)


@require_POST
def period_submit(request):
    monday = _parse_week(request.POST.get("week"), request.user.tzinfo)
    try:
        services.period_submit(user=request.user, day=monday)
    except services.TimeTrackingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Week of {monday:%d %b %Y} submitted for approval.")
    return HttpResponseRedirect(_week_url(monday))


def _visible_period(request, pk):
    # Someone else's week (not a report's, for a manager) is 404, as everywhere.
    return get_object_or_404(TimesheetPeriod.objects.visible_to(request.user).select_related("user"), pk=pk)


def _decision(request, pk, decide, done):
    period = _visible_period(request, pk)
    try:
        decide(period)
    except services.TimeTrackingError as error:
        messages.error(request, f"{period.user}, week of {period.week_start:%d %b}: {error.message}")
    else:
        messages.success(request, f"{period.user}, week of {period.week_start:%d %b}: {done}.")
    return _back_to(request, f"{reverse('timetracking:team')}?week={period.week_start.isoformat()}")


@require_POST
def period_approve(request, pk):
    return _decision(
        request, pk, lambda period: services.period_approve(actor=request.user, period=period), "approved and locked"
    )


@require_POST
def period_reject(request, pk):
    note = request.POST.get("note", "")
    return _decision(
        request, pk, lambda period: services.period_reject(actor=request.user, period=period, note=note), "sent back"
    )


@require_POST
def period_reopen(request, pk):
    reason = request.POST.get("reason", "")
    return _decision(
        request, pk, lambda period: services.period_reopen(actor=request.user, period=period, reason=reason), "reopened"
    )


# --- Team page --------------------------------------------------------------------------------


def team(request):
    """A manager's (or HR's) view of their people's week: hours vs contract, working-time violations,
    the week's status with approve/reject/reopen, and every submitted week waiting for them."""
    viewer = request.user
    if not (viewer.is_manager or viewer.is_hr):
        raise PermissionDenied("The team page is for managers and HR.")
    monday = _parse_week(request.GET.get("week"), viewer.tzinfo)
    sunday = monday + timedelta(days=6)
    members = User.objects.filter(is_active=True).exclude(pk=viewer.pk).order_by("last_name", "first_name", "username")
    members = list(members if viewer.is_hr else members.filter(manager=viewer))
    # One query for everyone's entries of the week (a day of margin for time zones), one for the
    # violations, one for the week's periods, one for the waiting ones: none per person.
    margin = timedelta(days=1)
    start = datetime.combine(monday, time.min, tzinfo=UTC) - margin
    end = datetime.combine(sunday + timedelta(days=1), time.min, tzinfo=UTC) + margin
    seconds = defaultdict(int)
    by_pk = {member.pk: member for member in members}
    rows = (
        TimeEntry.objects.filter(user_id__in=by_pk)
        .in_range(start, end)
        .values_list("user_id", "started_at", "ended_at")
    )
    now = timezone.now()
    for user_id, started_at, ended_at in rows:
        if monday <= timezone.localtime(started_at, by_pk[user_id].tzinfo).date() <= sunday:
            seconds[user_id] += int(((ended_at or now) - started_at).total_seconds())
    violations = defaultdict(list)
    for violation in compliance.violations_for(members, monday, sunday):
        violations[violation.user_id].append(violation)
    periods = {
        period.user_id: period
        for period in TimesheetPeriod.objects.filter(user_id__in=by_pk, week_start=monday).select_related("user")
    }
    people = []
    for member in members:
        # Against the contract so far: on a Wednesday, Monday to Wednesday's share, not the whole
        # week. Shown to the minute; the difference is of the figures shown, so they add up.
        today = timezone.localdate(timezone=member.tzinfo)
        expected = to_the_minute(timesheet.expected_seconds_so_far(member, monday, today))
        worked = to_the_minute(seconds[member.pk])
        people.append(
            {
                "user": member,
                "seconds": worked,
                "expected": expected,
                "difference": worked - expected,
                "violations": violations[member.pk],
                "period": periods.get(member.pk),
                "week_url": _week_url(monday, member, viewer),
            }
        )
    waiting = list(TimesheetPeriod.objects.awaiting_decision_by(viewer).select_related("user").order_by("week_start"))
    context = {
        "monday": monday,
        "sunday": sunday,
        "people": people,
        "waiting": waiting,
        "violation_count": sum(len(found) for found in violations.values()),
        "previous_url": f"{reverse('timetracking:team')}?week={(monday - timedelta(days=7)).isoformat()}",
        "next_url": f"{reverse('timetracking:team')}?week={(monday + timedelta(days=7)).isoformat()}",
        "here": request.get_full_path(),
    }
    return render(request, "timetracking/team.html", context)
