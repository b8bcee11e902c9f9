"""The timer's pages: the header bar of every page (start, stop, switch, keep-or-discard a short
one, continue a recent entry, suggestions as you type, its state for other tabs) and the
dashboard's time panel. htmx gets the bar back (4xx with the error inside it on bad input; base.html
lets htmx swap those); a plain form post is redirected back with a message."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from timetracking import dashboard, services
from timetracking.context_processors import HeaderTimer
from timetracking.models import Project, TimeEntry
from timetracking.services.timer import TimerTooShort, timer_continue, timer_discard
from timetracking.timer_forms import HeaderTimerForm
from timetracking.views.common import warn_violations

# How many suggestions the description box offers as you type.
SUGGESTIONS = 8
# An HX-Trigger event the bar's response carries after a change: the page's other parts
# (the dashboard's panel, recent entries) and the user's other tabs (static/js/timer.js) refresh.
CHANGED = "timer-changed"


def _back(request):
    target = request.POST.get("next") or reverse("dashboard")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("dashboard")
    elif urlsplit(target).path.startswith(TIMER_URLS):
        # A bar rendered by an htmx answer names that answer's URL (a POST-only action) as `next`;
        # a form posted before htmx took it over must land on a page, not on a 405.
        target = reverse("dashboard")
    return HttpResponseRedirect(target)


TIMER_URLS = "/time/timer/"


def _bar(request, *, status=200, changed=False, **context):
    """The header bar alone, as base.html includes it, with an error, a question or warnings."""
    context.setdefault("header_timer", HeaderTimer(request))
    context.setdefault("timer_form", None)
    response = render(request, "timetracking/_header_timer.html", context, status=status)
    if changed:
        response["HX-Trigger"] = CHANGED
    return response


def _done(request, entry=None, *, message=None):
    """After a change: htmx gets the new bar (with any working-time warnings); a plain post goes back."""
    warnings = list(getattr(entry, "compliance_warnings", []))
    if request.headers.get("HX-Request"):
        return _bar(request, changed=True, timer_warnings=warnings, timer_message=message)
    if message:
        messages.success(request, message)
    warn_violations(request, entry)
    return _back(request)


def _refused(request, error, *, form=None, status=None):
    status = status or (409 if isinstance(error, services.TimeTrackingConflict) else 400)
    if request.headers.get("HX-Request"):
        return _bar(request, status=status, timer_form=form, timer_error=None if form else error.message)
    messages.error(request, error.message)
    return _back(request)


@require_POST
def timer_start(request):
    form = HeaderTimerForm(request.POST, user=request.user, prefix="timer")
    if not form.is_valid():
        if request.headers.get("HX-Request"):
            return _bar(request, status=400, timer_form=form)
        messages.error(request, " ".join(form.errors.get("description", ["Please correct the timer."])))
        return _back(request)
    try:
        entry = services.timer_start(user=request.user, **form.service_arguments())
    except services.TimeTrackingError as error:
        form.add_service_error(error)
        return _refused(request, error, form=form)
    return _done(request, entry, message="Timer switched." if form.cleaned_data.get("switch") else "Timer started.")


@require_POST
def timer_stop(request):
    """Stop. Sooner than TIMER_MIN_SECONDS, the bar asks first (unless `keep` says to keep it)."""
    keep = request.POST.get("keep") == "1"
    try:
        entry = services.timer_stop(user=request.user, keep_short=keep)
    except TimerTooShort as question:
        if request.headers.get("HX-Request"):
            return _bar(request, status=409, timer_question=question.message)
        # Without htmx there is no place for the question: a page load asks it.
        messages.warning(request, question.message)
        return _back(request)
    except services.TimeTrackingError as error:
        return _refused(request, error)
    return _done(request, entry, message="Timer stopped.")


@require_POST
def timer_discard_view(request):
    try:
        timer_discard(user=request.user)
    except services.TimeTrackingError as error:
        return _refused(request, error)
    return _done(request, message="Timer discarded.")


@require_POST
def timer_continue_view(request, pk):
    # Only the user's own entries continue: anyone else's is 404, as everywhere.
    entry = get_object_or_404(TimeEntry.objects.for_user(request.user).select_related("project", "task"), pk=pk)
    try:
        started = timer_continue(user=request.user, entry=entry)
    except services.TimeTrackingError as error:
        return _refused(request, error)
    return _done(request, started, message="Timer started.")


@require_GET
def timer_bar(request):
    """The bar alone: another tab changed the timer (static/js/timer.js asks for it then)."""
    return _bar(request)


@require_GET
def timer_state(request):
    """The running timer in a few bytes, polled by every open tab while it is visible: the bar is
    only reloaded when this changes (one query)."""
    timer = HeaderTimer(request)
    running = timer.running
    return JsonResponse(
        {"running": running.pk if running else None, "elapsed": timer.elapsed_seconds},
        headers={"Cache-Control": "no-store"},
    )


def _project_options(user, text):
    """Projects (and their tasks) matching "@text", for the shorthand: two queries."""
    wanted = "".join(text.split()).casefold()
    options = []
    for project in Project.objects.loggable_by(user).select_related("client").prefetch_related("tasks"):
        squashed = "".join(project.name.split()).casefold()
        if wanted and wanted not in squashed and wanted != (project.code or "").casefold():
            continue
        options.append({"project": project, "task": None})
        options.extend({"project": project, "task": task} for task in project.tasks.all() if task.active)
        if len(options) >= SUGGESTIONS:
            break
    return options[:SUGGESTIONS]


@require_GET
def timer_suggestions(request):
    """What the description box offers: the user's recent combinations matching what was typed, or
    after an `@`, the projects and tasks matching it. An htmx fragment of listbox options."""
    text = request.GET.get("timer-description", "")[: services.DESCRIPTION_MAX_LENGTH]
    words = text.split()
    if words and words[-1].startswith("@"):
        options = _project_options(request.user, words[-1][1:])
        return render(request, "timetracking/_timer_suggestions.html", {"projects": options, "text": text})
    needle = text.strip().casefold()
    recent = TimeEntry.objects.for_user(request.user).recent_combinations(limit=50)
    if needle:
        recent = [
            entry
            for entry in recent
            if needle in entry.description.casefold()
            or (entry.project and needle in entry.project.name.casefold())
            or (entry.task and needle in entry.task.name.casefold())
        ]
    return render(request, "timetracking/_timer_suggestions.html", {"recent": recent[:SUGGESTIONS], "text": text})


def timer_panel(request):
    """The dashboard panel alone (for htmx refreshes)."""
    widget = dashboard.widget(request)
    return render(request, widget["template"], {"context": widget["context"]})
