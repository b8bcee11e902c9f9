"""Leave pages: my leave (balances, requests, a form with a live preview), the approvals
queue, the team calendar, and the iCal feeds. Thin: rules live in leave.services."""

from datetime import timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from leave import services
from leave.api import attachment_response
from leave.calendars import dates, month_bounds, public_holidays, team_calendar
from leave.forms import DecisionForm, DraftForm, LeaveRequestForm
from leave.ical import all_day_event, calendar_of, leave_request_event
from leave.models import CalendarFeedToken, LeaveRequest, LeaveStatus, LedgerEntry, team_of
from leave.services import LeaveError


def _attach_error(form, error):
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def index(request):
    user = request.user
    year = services.today_for(user).year
    form = LeaveRequestForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            leave_request = services.leave_request_submit(user=user, **form.cleaned_data)
        except LeaveError as error:
            _attach_error(form, error)
        else:
            verb = "approved" if leave_request.status == LeaveStatus.APPROVED else "sent for approval"
            amount = services.format_amount(leave_request.amount, leave_request.unit)
            messages.success(request, gettext("Your request for {amount} was {verb}.").format(amount=amount, verb=verb))
            return redirect("leave:index")
    requests = list(
        LeaveRequest.objects.filter(user=user, start_date__year__gte=year - 1)
        .select_related("leave_type", "decided_by")
        .with_substitutes()
        .order_by("-start_date", "-id")
    )
    balances = services.balances_for(user=user, year=year)
    context = {
        "form": form,
        # A type that books nothing against an allowance (sick, unpaid leave) has no balance to show:
        # "0 available" would read as "none left". It is named below the table, with what was taken.
        "balances": [balance for balance in balances if balance.leave_type.deducts_allowance],
        "uncounted": _uncounted(balances, requests, year),
        "year": year,
        # Next year's leave can be planned before its 1 January (what the policy will book then).
        "next_year": year + 1,
        "next_balances": [
            balance
            for balance in services.balances_for(
                user=user, year=year + 1, leave_types=[b.leave_type for b in balances if b.leave_type.deducts_allowance]
            )
            if balance.projected or balance.balance
        ],
        "requests": requests,
        "today": services.today_for(user),
    }
    return render(request, "leave/index.html", context, status=400 if form.errors else 200)


def _uncounted(balances, requests, year):
    """[{leave_type, taken}] of the types not counted against a balance, with the amount approved
    this year (from the requests already read for the page: no query)."""
    return [
        {
            "leave_type": balance.leave_type,
            "taken": sum(
                (
                    leave_request.amount
                    for leave_request in requests
                    if leave_request.leave_type_id == balance.leave_type.pk
                    and leave_request.status == LeaveStatus.APPROVED
                    and leave_request.start_date.year == year
                ),
                Decimal(0),
            ),
        }
        for balance in balances
        if not balance.leave_type.deducts_allowance
    ]


@require_POST
def preview(request):
    """htmx: the amount and warnings of the draft in the form, without writing anything."""
    form = DraftForm(request.POST, user=request.user)
    context = {"form": form}
    if form.is_valid():
        try:
            context["draft"] = services.leave_request_preview(user=request.user, **form.cleaned_data)
        except LeaveError as error:
            context["error"] = error.message
    return render(request, "leave/_preview.html", context)


@require_POST
def cancel(request, pk):
    leave_request = get_object_or_404(LeaveRequest.objects.visible_to(request.user), pk=pk)
    try:
        services.leave_request_cancel(leave_request_id=leave_request.pk, actor=request.user)
    except LeaveError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("The request was cancelled."))
    return redirect("leave:index")


@require_GET
def attachment(request, pk):
    # Requester, their manager and HR; anyone else gets 404.
    return attachment_response(get_object_or_404(LeaveRequest.objects.visible_to(request.user), pk=pk))


def _balance_lookup(requests):
    """{(user_id, type_id, year): balance} for all requests at once (one query, not one per row)."""
    users = {r.user_id for r in requests}
    rows = (
        LedgerEntry.objects.filter(user_id__in=users)
        .values("user_id", "leave_type_id", "year")
        .annotate(total=Sum("amount"))
    )
    return {(row["user_id"], row["leave_type_id"], row["year"]): row["total"] for row in rows}


def _overlaps(requests):
    """{request id: [other requests of the same team off on those days]} in one query."""
    if not requests:
        return {}
    start = min(r.start_date for r in requests)
    end = max(r.end_date for r in requests)
    managers = {r.user.manager_id for r in requests if r.user.manager_id}
    others = list(
        LeaveRequest.objects.active()
        .overlapping(start, end)
        .filter(user__manager_id__in=managers)
        .select_related("user", "leave_type")
    )
    result = {}
    for leave_request in requests:
        result[leave_request.pk] = [
            other
            for other in others
            if other.pk != leave_request.pk
            and other.user.manager_id == leave_request.user.manager_id
            and other.start_date <= leave_request.end_date
            and other.end_date >= leave_request.start_date
        ]
    return result


def approvals(request):
    if not (request.user.is_manager or request.user.is_hr):
        # A page, not someone's object: the reason, like the team page's (not "does not exist").
        raise PermissionDenied(gettext("The approval queue is for managers and HR."))
    pending = list(
        LeaveRequest.objects.pending()
        .decidable_by(request.user)
        .select_related("user", "leave_type")
        .with_substitutes()
        .order_by("start_date", "id")
    )
    balances = _balance_lookup(pending)
    overlaps = _overlaps(pending)
    away = services.substitutes_away_by_request(pending)
    rows = []
    for leave_request in pending:
        before = balances.get((leave_request.user_id, leave_request.leave_type_id, leave_request.start_date.year), 0)
        rows.append(
            {
                "request": leave_request,
                "balance_before": before,
                "balance_after": before - leave_request.amount,
                "deducts": leave_request.leave_type.deducts_allowance,
                "overlaps": overlaps.get(leave_request.pk, []),
                "substitutes_away": away.get(leave_request.pk, []),
            }
        )
    return render(request, "leave/approvals.html", {"rows": rows, "decision_form": DecisionForm()})


@require_POST
def decide(request, pk):
    leave_request = get_object_or_404(LeaveRequest.objects.visible_to(request.user), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose approve or reject; the note has at most 500 characters."))
        return redirect("leave:approvals")
    approve = form.cleaned_data["decision"] == "approve"
    decide_request = services.leave_request_approve if approve else services.leave_request_reject
    try:
        decide_request(leave_request_id=leave_request.pk, actor=request.user, note=form.cleaned_data["note"])
    except LeaveError as error:
        messages.error(request, gettext("{user}: {message}").format(user=leave_request.user, message=error.message))
    else:
        messages.success(
            request,
            (
                gettext("{user}'s request was approved.") if approve else gettext("{user}'s request was rejected.")
            ).format(user=leave_request.user),
        )
    return redirect("leave:approvals")


def calendar_page(request):
    try:
        start, end = month_bounds(request.GET.get("month"))
    except ValueError:
        start, end = month_bounds(None)
        messages.error(request, gettext("Give the month as YYYY-MM; showing this month."))
    members, absences = team_calendar(request.user, start, end)
    days = list(dates(start, end))
    names = {member["id"]: member["name"] for member in members}
    by_user = {}
    for absence in absences:
        by_user.setdefault(absence["user"], []).append(absence)
    rows = []
    for member in members:
        holidays = {h["date"]: h for h in member["holidays"]}
        workdays = member["user"].workdays
        cells = []
        for day in days:
            cell = {"date": day, "kind": "", "label": "", "title": "", "color": ""}
            if day.isoweekday() not in workdays:
                cell.update(kind="weekend", title="Not a working day")
            if day in holidays and cell["kind"] != "weekend":
                half = holidays[day]["half_day"]
                cell.update(
                    kind="half-closure" if half else "holiday",
                    label="½" if half else "H",
                    title=holidays[day]["name"] + (" (half day)" if half else ""),
                )
            for absence in by_user.get(member["id"], []):
                if absence["start_date"] <= day <= absence["end_date"] and cell["kind"] not in ("weekend", "holiday"):
                    # A half-day closure still counts as a day of leave (half of it).
                    covered = ", ".join(absence["substitute_names"])
                    title = f"{absence['label']} ({absence['status']})"
                    cell.update(
                        kind=absence["status"],
                        label=absence["label"][:1],
                        title=title + (f", covered by {covered}" if covered else ""),
                        color=absence["color"],
                    )
            cells.append(cell)
        rows.append({"member": member, "cells": cells})
    token = services.feed_token_get_or_create(user=request.user)
    context = {
        "start": start,
        "days": days,
        "rows": rows,
        # Who covers for whom this month, in words (a cell's title is out of reach on a phone).
        "covers": [
            {"absence": absence, "member": names[absence["user"]]}
            for absence in absences
            if absence["substitute_names"]
        ],
        "today": services.today_for(request.user),  # its column is marked, and scrolled into view on a phone
        "previous": (start - timedelta(days=1)).strftime("%Y-%m"),
        "next": (end + timedelta(days=1)).strftime("%Y-%m"),
        "personal_feed": request.build_absolute_uri(reverse("leave:feed-personal", args=[token.token])),
        "team_feed": request.build_absolute_uri(reverse("leave:feed-team", args=[token.token])),
    }
    return render(request, "leave/calendar.html", context)


@require_POST
def feed_reset(request):
    services.feed_token_reset(user=request.user)
    messages.success(request, gettext("New calendar links were created; the old ones no longer work."))
    return redirect("leave:calendar")


# --- iCal feeds: reachable without a session, the secret token in the URL is the key ------------


def _ics(calendar):
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    return response


def _feed_owner(token):
    if len(token) > 64:
        raise Http404
    feed = CalendarFeedToken.objects.select_related("user").filter(token=token, user__is_active=True).first()
    if feed is None:
        raise Http404
    return feed.user


def _window():
    today = timezone.localdate()
    return today - timedelta(days=180), today + timedelta(days=400)


@login_not_required
@require_GET
def feed_personal(request, token):
    user = _feed_owner(token)
    start, end = _window()
    calendar = calendar_of(f"Leave of {user}")
    requests = LeaveRequest.objects.filter(user=user).active().overlapping(start, end).select_related("leave_type")
    for leave_request in requests:
        pending = leave_request.status == LeaveStatus.PENDING
        calendar.add_component(
            leave_request_event(
                leave_request,
                summary=f"{leave_request.leave_type.name}{' (pending)' if pending else ''}",
                status="TENTATIVE" if pending else "CONFIRMED",
            )
        )
    for day, name in public_holidays(user.country, user.subdivision, start, end).items():
        calendar.add_component(all_day_event(f"holiday-{day:%Y%m%d}-{user.country}@timetrack", name, day, day))
    return _ics(calendar)


@login_not_required
@require_GET
def feed_team(request, token):
    user = _feed_owner(token)
    start, end = _window()
    calendar = calendar_of(f"Team leave of {user}")
    _members, absences = team_calendar(user, start, end)
    names = {member.pk: str(member) for member in team_of(user)}
    for absence in absences:
        if absence["status"] != LeaveStatus.APPROVED:
            continue
        calendar.add_component(
            leave_request_event(
                absence["request"],
                summary=f"{names.get(absence['user'], 'Someone')}: {absence['label']}",
                status="CONFIRMED",
            )
        )
    return _ics(calendar)
