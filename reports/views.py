"""The /reports/ pages: charts + tables + exports, export job progress, and imports."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from core.errors import NOT_FOUND, DomainError
from reports import overtime, services, summary
from reports.forms import ImportForm
from reports.models import ExportJob, ImportJob, JobStatus
from timetracking.models import Project


def _chart_data(filters, by_day, by_project, overtime_report):
    days = sorted({row["day"] for row in by_day["rows"]})
    projects = {}
    for row in by_day["rows"]:
        project = projects.setdefault(
            row["project"], {"label": row["project_name"], "color": row["project_color"], "values": {}}
        )
        project["values"][row["day"].isoformat()] = str(row["hours"])
    data = {
        "days": [day.isoformat() for day in days],
        "projects": [
            {
                "label": project["label"],
                "color": project["color"],
                "data": [project["values"].get(day.isoformat(), "0") for day in days],
            }
            for project in projects.values()
        ],
        "share": [
            {"label": row["project_name"], "color": row["project_color"], "hours": str(row["hours"])}
            for row in by_project["rows"]
        ],
    }
    if overtime_report is not None:
        data["weeks"] = [
            {
                "week": row["period"].isoformat(),
                "expected": str(row["expected_hours"]),
                "actual": str(row["actual_hours"]),
                "balance": str(row["balance_hours"]),
            }
            for row in overtime_report["rows"]
        ]
    return data


def index(request):
    viewer = request.user
    today = timezone.localdate(timezone=viewer.tzinfo)
    query = request.GET.copy()
    query.setdefault("from", (today - timedelta(days=27)).isoformat())
    query.setdefault("to", today.isoformat())
    people = list(User.objects.visible_to(viewer).filter(is_active=True).order_by("username"))
    error = None
    try:
        filters = summary.parse_filters(viewer, query, today=today)
    except DomainError as exc:
        if exc.kind == NOT_FOUND:
            raise Http404("No such user.") from exc
        error = exc
        query = {"from": (today - timedelta(days=27)).isoformat(), "to": today.isoformat()}
        filters = summary.parse_filters(viewer, query, today=today)
    by_day = summary.summarize(filters, ["day", "project"])
    by_project = summary.summarize(filters, ["project"])
    by_user = summary.summarize(filters, ["user"]) if len(filters.users) > 1 else None
    overtime_report = None
    if len(filters.users) == 1:
        overtime_report = overtime.overtime_report(filters.single_user(), filters.start, filters.end, period="week")
    selected = query.get("user", "")
    return render(
        request,
        "reports/index.html",
        {
            "filters": filters,
            "error": error,
            "people": people,
            "selected_user": selected,
            "by_day": by_day,
            "by_project": by_project,
            "by_user": by_user,
            "overtime": overtime_report,
            "chart": _chart_data(filters, by_day, by_project, overtime_report),
            "projects": Project.objects.select_related("client").order_by("name"),
            "selected_project": query.get("project", ""),
            "selected_billable": query.get("billable", ""),
            "export_params": _export_params(filters, selected),
            "recent_exports": ExportJob.objects.for_user(viewer)[:5],
        },
    )


def _export_params(filters, selected_user):
    """The page's filters as a query string for the export links."""
    pairs = [("from", filters.start.isoformat()), ("to", filters.end.isoformat())]
    if selected_user:
        pairs.append(("user", selected_user))
    pairs += [("project", project) for project in filters.projects]
    if filters.billable is not None:
        pairs.append(("billable", "true" if filters.billable else "false"))
    return urlencode(pairs)


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
            raise Http404("No such user.") from exc
        messages.error(request, exc.message)
        return redirect("reports:index")
    if isinstance(result, HttpResponseBase):
        return result
    messages.info(request, "This export is large: it is being prepared. This page shows its progress.")
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
        messages.success(request, f"Imported {job.created_count} entries ({job.skipped_count} already imported).")
    elif job.status == JobStatus.FAILED:
        messages.error(request, f"{len(job.errors)} row(s) were refused; nothing was imported.")
    return redirect(reverse("reports:import-job", args=[pk]))
