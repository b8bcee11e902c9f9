"""The timer's pages: start, stop and the dashboard panel (htmx partials or redirects)."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from timetracking import dashboard, services
from timetracking.forms import TimerStartForm
from timetracking.views.common import warn_violations

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
    warn_violations(request, entry)
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
