"""The /reports/ pages: charts + tables + exports, export job progress, and imports."""

import json
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.models import User
from billing.templatetags.billing_tags import money
from core.errors import NOT_FOUND, DomainError
from reports import overtime, services, summary
from reports.forms import BILLABLE_CHOICES, GROUPING_WORDS, GROUPINGS, NO_SUB_GROUP, PRESETS, ImportForm, ReportForm
from reports.models import ExportJob, ImportJob, JobStatus
from reports.money import money_view
from timetracking.models import Project
from timetracking.templatetags.timesheet import hm

# The page's control a parse error of `summary.parse_filters` belongs to.
_FILTER_FIELDS = {"from": "from", "to": "to", "user": "user", "project": "project", "billable": "billable"}
CHART_SAMPLE_SECONDS = 5400  # the chart's axis spells hours like `hm` spells 1:30 (or 1.50 h)


def index(request):
    """The report: controls, figures, one chart and its table, exports. An htmx request (a control
    changed) gets the results fragment alone; a bad control answers 400 with the error at it."""
    viewer = request.user
    today = timezone.localdate(timezone=viewer.tzinfo)
    projects = list(Project.objects.select_related("client").order_by("name"))
    form = ReportForm(request.GET, today=today, projects=projects)
    filters = None
    if form.is_valid():
        try:
            filters = summary.parse_filters(viewer, form.filter_params(), today=today)
        except DomainError as exc:
            if exc.kind == NOT_FOUND:
                raise Http404(gettext("No such user.")) from exc
            form.add_error(_FILTER_FIELDS.get(exc.field), exc.message)
            filters = None
    context = {
        "form": form,
        "people": list(User.objects.visible_to(viewer).filter(is_active=True).order_by("username")),
        "projects": projects,
        "presets": PRESETS,
        "groupings": GROUPINGS,
        "billable_choices": BILLABLE_CHOICES,
        "state": (state := _state(form)),
        "state_json": json.dumps(state),
        "recent_exports": ExportJob.objects.for_user(viewer)[:5],
    }
    if filters is not None:
        context.update(_report(viewer, filters, form.cleaned_data))
    fragment = bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")
    context["fragment"] = fragment
    template = "reports/_results.html" if fragment else "reports/index.html"
    return render(request, template, context, status=200 if filters is not None else 400)


def _state(form):
    """The controls' values as the results were made of them (reports.js puts them back into the
    controls after a history restore, and the preset's resolved dates after each change)."""
    data = form.cleaned_data if form.is_bound and not form.errors else {}
    raw = form.data
    state = {name: raw.get(name, "") for name in ("preset", "from", "to", "group_by", "sub_group", "user", "project")}
    state["billable"] = raw.get("billable", "")
    if data:
        state.update({"from": data["from"].isoformat(), "to": data["to"].isoformat()})
        state["sub_group"] = data["sub_group"] or NO_SUB_GROUP
    return state


def _report(viewer, filters, choices):
    group_by, sub_group = choices["group_by"], choices["sub_group"]
    view = money_view(viewer)
    report = summary.summarize_grouped(filters, group_by, sub_group, money=view if view.any else None)
    revenue = _revenue(report, view)
    period = group_by if group_by in summary.TIME_DIMENSIONS else "week"
    person, team = None, None
    if len(filters.users) == 1:
        person = overtime.overtime_report(
            filters.single_user(), filters.start, filters.end, period=period, with_seconds=True
        )
    else:
        if filters.everyone_of is not None:
            people = User.objects.visible_to(viewer).filter(is_active=True)
        else:
            people = User.objects.filter(pk__in=[user.pk for user in filters.users])
        team = overtime.group_overtime(people, filters.start, filters.end, period=period)
    expected = person or team
    export_query = [(key, value) for key, value in choices_params(choices)]
    summary_group = ",".join([group_by, *([sub_group] if sub_group else [])])
    return {
        "filters": filters,
        "report": report,
        "group_label": GROUPINGS[group_by],
        "sub_group_label": GROUPINGS[sub_group] if sub_group else "",
        "group_word": GROUPING_WORDS[group_by],
        "sub_group_word": GROUPING_WORDS[sub_group] if sub_group else "",
        "period_word": GROUPING_WORDS[period],
        "person_overtime": person,
        "team_overtime": team,
        "expected": expected,
        # Nothing tracked and nothing expected (before someone joined): no empty charts of zeros.
        "show_expected": bool(report["groups"]) or expected["expected_seconds"] > 0,
        "period_label": {"day": gettext("Day"), "week": gettext("Week"), "month": gettext("Month")}[period],
        "expected_rows": [
            {**row, "label": summary.group_label(period, {period: row["period"]})} for row in expected["rows"]
        ],
        "revenue": revenue,
        "chart": (chart := {**_chart_data(report, expected, period), "revenue": revenue}),
        "chart_json": json.dumps(chart),
        "entries_export": urlencode(export_query),
        "summary_export": urlencode([*export_query, ("kind", "summary"), ("group_by", summary_group)]),
        "filtered": bool(filters.projects or filters.billable is not None),
    }


def choices_params(choices):
    """The report's filters, dates resolved, as the export endpoint reads them."""
    pairs = [("from", choices["from"].isoformat()), ("to", choices["to"].isoformat())]
    if choices.get("user"):
        pairs.append(("user", choices["user"]))
    if choices.get("project") is not None:
        pairs.append(("project", str(choices["project"])))
    if choices.get("billable"):
        pairs.append(("billable", choices["billable"]))
    return pairs


def _hours(seconds):
    return round(float(seconds) / 3600, 4)


def _revenue(report, view):
    """The groups' amounts (and costs, for who sees them) for the revenue chart and the table's money
    columns: None without a billable side to show, or when the groups mix currencies (amounts are never
    converted)."""
    groups = report["groups"]
    currencies = {group["currency"] for group in groups if group["currency"]}
    if not view.amounts or len(currencies) != 1 or not any(group["amount"] is not None for group in groups):
        return None
    (currency,) = currencies

    def series(name):
        values = [group[name] or Decimal(0) for group in groups]
        return [float(value) for value in values], [money(value, currency) for value in values]

    amounts, amount_texts = series("amount")
    data = {"currency": currency, "amounts": amounts, "amount_texts": amount_texts, "costs": None, "cost_texts": None}
    if view.costs:
        data["costs"], data["cost_texts"] = series("cost")
    total = report["total"]
    data["total_amount"] = money(total.get("amount"), currency) if total.get("amount") is not None else ""
    data["total_cost"] = money(total.get("cost"), currency) if view.costs and total.get("cost") is not None else ""
    return data


def _chart_data(report, expected, period):
    """What reports.js draws: the table's groups (stacked by sub-group) and expected vs actual per
    period. Values in hours; `texts` spell them as the table does (`hm`)."""
    groups = report["groups"]
    if report["sub_group"]:
        datasets = []
        for sub in report["sub_groups"]:
            seconds = [
                next((child["seconds"] for child in group["children"] if child["key"] == sub["key"]), 0)
                for group in groups
            ]
            datasets.append(
                {
                    "label": sub["label"],
                    "color": sub["color"],
                    "values": [_hours(value) for value in seconds],
                    "texts": [hm(value) for value in seconds],
                }
            )
    else:
        datasets = [
            {
                "label": gettext("Tracked"),
                "color": None,
                "values": [_hours(group["seconds"]) for group in groups],
                "texts": [hm(group["seconds"]) for group in groups],
            }
        ]
    rows = expected["rows"]
    return {
        "sample": hm(CHART_SAMPLE_SECONDS),
        "horizontal": report["group_by"] not in summary.TIME_DIMENSIONS,
        "labels": [group["label"] for group in groups],
        "datasets": datasets,
        "periods": {
            "labels": [summary.group_label(period, {period: row["period"]}) for row in rows],
            "expected": [_hours(row["expected_seconds"]) for row in rows],
            "expected_texts": [hm(row["expected_seconds"]) for row in rows],
            "actual": [_hours(row["actual_seconds"]) for row in rows],
            "actual_texts": [hm(row["actual_seconds"]) for row in rows],
            "balance": [_hours(row["balance_seconds"]) for row in rows if "balance_seconds" in row],
            "balance_texts": [hm(row["balance_seconds"]) for row in rows if "balance_seconds" in row],
        },
    }


def export(request):
    """Small exports download at once; large ones become a job whose page shows progress."""
    try:
        filters = summary.parse_filters(request.user, request.GET)
        kind = request.GET.get("kind") or "entries"
        group_by = summary.parse_group_by(request.GET.get("group_by")) if kind == "summary" else None
        result = services.export_start(
            requested_by=request.user,
            filters=filters,
            export_format=(request.GET.get("format") or "csv")[:10],
            kind=kind[:10],
            group_by=group_by,
        )
    except DomainError as exc:
        if exc.kind == NOT_FOUND:
            raise Http404(gettext("No such user.")) from exc
        messages.error(request, exc.message)
        return redirect("reports:index")
    if isinstance(result, HttpResponseBase):
        return result
    messages.info(request, gettext("This export is large: it is being prepared. This page shows its progress."))
    return redirect("reports:export-job", pk=result.pk)


def export_job(request, pk):
    job = get_object_or_404(ExportJob.objects.for_user(request.user), pk=pk)
    template = "reports/_export_job.html" if request.headers.get("HX-Request") else "reports/export_job.html"
    return render(request, template, {"job": job})


def export_download(request, pk):
    job = get_object_or_404(ExportJob.objects.for_user(request.user), pk=pk, status=JobStatus.DONE)
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file_name)


def import_upload(request):
    """Upload + preview: the file is checked row by row (nothing saved) and kept as a job to run."""
    viewer = request.user
    form = ImportForm(request.POST or None, request.FILES or None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        user = form.cleaned_data.get("user") or viewer
        try:
            job = services.import_job_create(
                requested_by=viewer,
                user=user,
                uploaded=form.cleaned_data["file"],
                file_format=form.cleaned_data["format"],
                create_missing=form.cleaned_data["create_missing"],
            )
            return redirect("reports:import-job", pk=job.pk)
        except DomainError as exc:
            form.add_error("file" if exc.field not in form.fields else exc.field, exc.message)
    jobs = ImportJob.objects.for_user(viewer).select_related("user")[:10]
    return render(request, "reports/import.html", {"form": form, "jobs": jobs})


def import_job(request, pk):
    job = get_object_or_404(ImportJob.objects.for_user(request.user).select_related("user"), pk=pk)
    context = {"job": job, "progress": services.import_job_progress(job)}
    if request.headers.get("HX-Request"):
        return render(request, "reports/_import_job.html", context)
    if job.status == JobStatus.PENDING:
        try:
            context["preview"] = services.import_job_preview(job=job)
        except DomainError as exc:
            context["preview_error"] = exc.message
    return render(request, "reports/import_job.html", context)


@require_POST
def import_run(request, pk):
    job = get_object_or_404(ImportJob.objects.for_user(request.user), pk=pk)
    try:
        job = services.import_job_start(job=job)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("reports:import-job", pk=pk)
    if job.status == JobStatus.DONE:
        messages.success(
            request,
            gettext("Imported {created_count} entries ({skipped_count} already imported).").format(
                created_count=job.created_count, skipped_count=job.skipped_count
            ),
        )
    elif job.status == JobStatus.FAILED:
        messages.error(request, gettext("{len} row(s) were refused; nothing was imported.").format(len=len(job.errors)))
    return redirect(reverse("reports:import-job", args=[pk]))
