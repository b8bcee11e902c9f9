"""The period close: submit on the week page; approve/reject/reopen on the team page."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from timetracking import services
from timetracking.models import TimesheetPeriod
from timetracking.views.common import parse_week, week_url_for

# --- Period close -----------------------------------------------------------------------------


def _back_to(request, fallback):
    target = request.POST.get("next") or fallback
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = fallback
    return HttpResponseRedirect(target)


@require_POST
def period_submit(request):
    monday = parse_week(request.POST.get("week"), request.user.tzinfo)
    try:
        services.period_submit(user=request.user, day=monday)
    except services.TimeTrackingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("Week of {monday:%d %b %Y} submitted for approval.").format(monday=monday))
    return HttpResponseRedirect(week_url_for(monday))


def _visible_period(request, pk):
    # Someone else's week (not a report's, for a manager) is 404, as everywhere.
    return get_object_or_404(TimesheetPeriod.objects.visible_to(request.user).select_related("user"), pk=pk)


def _decision(request, pk, decide, done):
    period = _visible_period(request, pk)
    try:
        decide(period)
    except services.TimeTrackingError as error:
        messages.error(
            request,
            gettext("{user}, week of {week_start:%d %b}: {message}").format(
                user=period.user, week_start=period.week_start, message=error.message
            ),
        )
    else:
        messages.success(
            request,
            gettext("{user}, week of {week_start:%d %b}: {done}.").format(
                user=period.user, week_start=period.week_start, done=done
            ),
        )
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
