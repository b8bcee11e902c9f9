"""The week grid's own actions: a duration typed into a cell, a row added. Each answers with the
week's body (week.week_body) in one round trip."""

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from timetracking import services, timesheet
from timetracking.models import Project, Task
from timetracking.views.common import parse_week, week_url_for
from timetracking.views.week import is_htmx, week_body


def _id_or_none(value: str) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise Http404(gettext("No such row."))
    return int(value)


def resolve_row(value: str) -> tuple[Project | None, Task | None]:
    """`<project>` or `<project>:<task>` (the add-row choice) -> (project, task); unknown ids 404."""
    if not value:
        return None, None
    project_id, _, task_id = value.partition(":")
    return _project_and_task(_id_or_none(project_id), _id_or_none(task_id))


def _project_and_task(project_id: int | None, task_id: int | None) -> tuple[Project | None, Task | None]:
    project = Project.objects.filter(pk=project_id).first() if project_id else None
    task = Task.objects.filter(pk=task_id).first() if task_id else None
    if (project_id and project is None) or (task_id and task is None):
        raise Http404(gettext("No such project or task."))
    return project, task


@require_POST
def grid_cell(request):
    """Set a cell (a project/task's day) to the duration typed into it."""
    monday = parse_week(request.POST.get("week"), request.user.tzinfo)
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        raise Http404(gettext("No such day.")) from None
    if not 0 <= (day - monday).days <= 6:
        raise Http404(gettext("This day is not in this week."))
    project, task = _project_and_task(
        _id_or_none(request.POST.get("project", "")), _id_or_none(request.POST.get("task", ""))
    )
    value = request.POST.get("value", "")
    key = (project.pk if project else None, task.pk if task else None)
    cell = timesheet.cell_id(key, day)
    try:
        change = services.timesheet_cell_set(
            user=request.user, actor=request.user, day=day, project=project, task=task, value=value
        )
    except services.TimeTrackingError as error:
        status = 409 if isinstance(error, services.TimeTrackingConflict) else 400
        if not is_htmx(request):
            messages.error(request, error.message)
            return HttpResponseRedirect(week_url_for(monday))
        return week_body(request, monday, status=status, cell_error={cell: (value, error.message)}, focus=cell)
    notice = {
        "created": "Saved.",
        "updated": "Saved.",
        "deleted": "Entry deleted.",
        "unchanged": "",
    }[change.action]
    notice = " ".join([notice, *(f"Working-time rule: {violation.message}" for violation in change.warnings)]).strip()
    if not is_htmx(request):
        if notice:
            messages.info(request, notice)
        return HttpResponseRedirect(week_url_for(monday))
    return week_body(request, monday, notice=notice, undo=change.undo)


@require_POST
def row_add(request):
    """Pin a project (or one of its tasks) to the week: `row` is "<project>" or "<project>:<task>"."""
    monday = parse_week(request.POST.get("week"), request.user.tzinfo)
    project, task = resolve_row(request.POST.get("row", ""))
    try:
        if project is None:
            raise services.TimeTrackingError(gettext("Choose a project for the new row."), field="project")
        services.timesheet_row_add(user=request.user, week_start=monday, project=project, task=task)
    except services.TimeTrackingError as error:
        if is_htmx(request):
            status = 409 if isinstance(error, services.TimeTrackingConflict) else 400
            return week_body(request, monday, status=status, row_error=error.message, focus="add-row-choice")
        messages.error(request, error.message)
        return HttpResponseRedirect(week_url_for(monday))
    if not is_htmx(request):
        return HttpResponseRedirect(week_url_for(monday))
    first_cell = timesheet.cell_id((project.pk, task.pk if task else None), monday)
    return week_body(
        request, monday, notice=f"Row {project.name}{f' · {task.name}' if task else ''} added.", focus=first_cell
    )
