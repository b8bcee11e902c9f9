"""Page forms: they turn local dates/times and pickers into the keyword arguments of `services`."""

from datetime import datetime
from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy

from core.filters import validate_day
from timetracking import services
from timetracking.models import Project, Task

BILLABLE_CHOICES = [
    ("", gettext_lazy("Project default")),
    ("yes", gettext_lazy("Billable")),
    ("no", gettext_lazy("Not billable")),
]

# Service argument -> form field that shows its error.
SERVICE_FIELD_TO_FORM_FIELD = {
    "started_at": "start",
    "ended_at": "end",
    "duration": "duration",
    "project": "project",
    "task": "task",
    "tags": "tags",
    "description": "description",
    "billable": "billable",
}


class PickerSelect(forms.Select):
    """A <select> rendered in Python rather than one template per <option>: the project and task
    pickers list every loggable project and task (a thousand options took ~100 ms through the
    template engine on the dashboard, make bench (j)). Same HTML as forms.Select (tested)."""

    def render(self, name, value, attrs=None, renderer=None):
        context = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', name, flatatt(context["attrs"]))]
        for group_name, options, _index in self.optgroups(name, context["value"]):
            if group_name:
                parts.append(f'<optgroup label="{escape(str(group_name))}">')
            for option in options:
                selected = " selected" if option["selected"] else ""
                parts.append(
                    f'<option value="{escape(str(option["value"]))}"{selected}>{escape(str(option["label"]))}</option>'
                )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        # Every value and label above is escaped (html.escape, quotes included). A bare nosec (B308
        # and B703 both flag mark_safe; naming them makes bandit warn about one of them).
        return mark_safe("".join(parts))  # noqa: S308  # nosec


def picker_choices(user, *, include_project=None, include_task=None):
    """(project choices, task choices grouped by project) for `user`: loggable ones, plus the
    entry's current project/task (it may have been archived since). Two queries."""
    projects = list(Project.objects.loggable_by(user).select_related("client"))
    if include_project is not None and include_project.pk not in {p.pk for p in projects}:
        projects.append(include_project)
    projects.sort(key=lambda project: project.label.lower())
    tasks = Task.objects.filter(project__in=[p.pk for p in projects], active=True).order_by("name")
    tasks_by_project = {}
    for pk, project_id, name in tasks.values_list("pk", "project_id", "name"):
        tasks_by_project.setdefault(project_id, []).append((str(pk), name))
    if include_task is not None:
        current = tasks_by_project.setdefault(include_task.project_id, [])
        if str(include_task.pk) not in {pk for pk, _name in current}:
            current.append((str(include_task.pk), include_task.name))
    project_choices = [("", "— No project —")] + [(str(p.pk), p.label) for p in projects]
    task_choices = [("", "— No task —")] + [
        (project.label, tasks_by_project[project.pk]) for project in projects if tasks_by_project.get(project.pk)
    ]
    return project_choices, task_choices


def row_choices(user):
    """The week grid's add-row picker: each loggable project, then its tasks, as
    (project label, [(value, text)]) with values "<project>" and "<project>:<task>"."""
    projects, tasks = picker_choices(user)
    tasks_by_label = dict(tasks[1:])
    return [
        (
            label,
            [(value, label), *((f"{value}:{pk}", f"{label} · {name}") for pk, name in tasks_by_label.get(label, []))],
        )
        for value, label in projects[1:]
    ]


class _PickerMixin:
    def _setup_pickers(self, user, include_project=None, include_task=None):
        project_choices, task_choices = picker_choices(user, include_project=include_project, include_task=include_task)
        self.fields["project"].choices = project_choices
        self.fields["task"].choices = task_choices

    def clean_project(self):
        value = self.cleaned_data.get("project")
        return Project.objects.filter(pk=value).first() if value else None

    def clean_task(self):
        value = self.cleaned_data.get("task")
        return Task.objects.select_related("project").filter(pk=value).first() if value else None

    def clean_tags(self):
        names = [" ".join(name.split()) for name in (self.cleaned_data.get("tags") or "").split(",")]
        names = [name for name in names if name]
        for name in names:
            if len(name) > services.TAG_NAME_MAX_LENGTH:
                raise forms.ValidationError(
                    gettext("A tag name has at most {TAG_NAME_MAX_LENGTH} characters.").format(
                        TAG_NAME_MAX_LENGTH=services.TAG_NAME_MAX_LENGTH
                    )
                )
        if len(names) > services.MAX_TAGS_PER_ENTRY:
            raise forms.ValidationError(
                gettext("At most {MAX_TAGS_PER_ENTRY} tags.").format(MAX_TAGS_PER_ENTRY=services.MAX_TAGS_PER_ENTRY)
            )
        return names

    def add_service_error(self, error):
        """Show a services error next to its field (or above the form)."""
        self.add_error(SERVICE_FIELD_TO_FORM_FIELD.get(error.field), error.message)


class EntryForm(_PickerMixin, forms.Form):
    """An entry on the week page: a local date, a start, and an end or a duration."""

    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_day]
    )
    start = forms.TimeField(label=gettext_lazy("Start"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end = forms.TimeField(
        label=gettext_lazy("End"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=gettext_lazy("Or give a duration."),
    )
    duration = forms.CharField(
        label=gettext_lazy("Duration"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "01:30", "inputmode": "decimal"}),
        help_text=gettext_lazy("HH:MM or hours (1.5); use it for entries past midnight."),
    )
    project = forms.ChoiceField(label=gettext_lazy("Project"), required=False, widget=PickerSelect)
    task = forms.ChoiceField(label=gettext_lazy("Task"), required=False, widget=PickerSelect)
    description = forms.CharField(
        label=gettext_lazy("Description"), max_length=services.DESCRIPTION_MAX_LENGTH, required=False
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Comma-separated; new names create tags."),
    )
    billable = forms.ChoiceField(label=gettext_lazy("Billable"), choices=BILLABLE_CHOICES, required=False)

    def __init__(self, *args, user, entry=None, **kwargs):
        self.user = user
        self.entry = entry
        if entry is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(entry)
        super().__init__(*args, **kwargs)
        self._setup_pickers(
            user,
            include_project=entry.project if entry else None,
            include_task=entry.task if entry else None,
        )

    def initial_for(self, entry):
        local_start = timezone.localtime(entry.started_at, entry.user.tzinfo)
        initial = {
            "date": local_start.date(),
            "start": local_start.time().replace(second=0, microsecond=0),
            "project": entry.project_id or "",
            "task": entry.task_id or "",
            "description": entry.description,
            "tags": ", ".join(tag.name for tag in entry.tags.all()),
            "billable": "yes" if entry.billable else "no",
        }
        if entry.ended_at is not None:
            local_end = timezone.localtime(entry.ended_at, entry.user.tzinfo)
            if local_end.date() == local_start.date():
                initial["end"] = local_end.time().replace(second=0, microsecond=0)
            else:  # past midnight: an end time alone would read as before the start
                minutes = int(entry.duration.total_seconds()) // 60
                initial["duration"] = f"{minutes // 60:02d}:{minutes % 60:02d}"
        return initial

    def clean(self):
        cleaned = super().clean()
        still_running = self.entry is not None and self.entry.ended_at is None
        if not self.errors and cleaned.get("end") is None and not cleaned.get("duration") and not still_running:
            self.add_error("end", gettext("Give an end time or a duration."))
        return cleaned

    def service_arguments(self):
        data = self.cleaned_data
        tzinfo = self.user.tzinfo if self.entry is None else self.entry.user.tzinfo
        started_at = datetime.combine(data["date"], data["start"], tzinfo=tzinfo)
        ended_at = datetime.combine(data["date"], data["end"], tzinfo=tzinfo) if data.get("end") else None
        arguments = {
            "started_at": started_at,
            "ended_at": ended_at,
            "duration": data.get("duration") or None,
            "project": data.get("project"),
            "task": data.get("task"),
            "tags": data.get("tags") or [],
            "description": data.get("description") or "",
            "billable": {"yes": True, "no": False}.get(data.get("billable")),
        }
        if self.entry is not None and arguments["duration"] is None:
            arguments.pop("duration")
        return arguments
