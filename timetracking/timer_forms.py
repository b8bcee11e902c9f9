"""The header timer's form: a description (with `@project` / `#tag` shorthand) and, when a
suggestion was picked, its project, task and tags in hidden fields. No <select> is rendered: the
header is on every page and must cost no query (suggestions come on demand, views/timer.py)."""

from django import forms
from django.utils.translation import gettext

from timetracking import services
from timetracking.models import Project, Task
from timetracking.services.shorthand import timer_shorthand


class HeaderTimerForm(forms.Form):
    description = forms.CharField(max_length=services.DESCRIPTION_MAX_LENGTH, required=False)
    project = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    task = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    tags = forms.CharField(max_length=1100, required=False, widget=forms.HiddenInput)
    switch = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            # A hidden field's error would be invisible: say it at the description, where the person is.
            hidden = [name for name in ("project", "task", "tags") if name in self.errors]
            for name in hidden:
                del self.errors[name]
            if hidden:
                self.add_error("description", gettext("Pick the suggestion again: it was not understood."))
            return cleaned
        project = task = None
        if cleaned.get("project"):
            project = Project.objects.filter(pk=cleaned["project"]).first()
            if project is None:
                self.add_error("description", gettext("That project no longer exists: pick another."))
        if cleaned.get("task"):
            task = Task.objects.filter(pk=cleaned["task"]).first()
            if task is None:
                self.add_error("description", gettext("That task no longer exists: pick another."))
        tags = [" ".join(name.split()) for name in (cleaned.get("tags") or "").split(",")]
        tags = [name for name in tags if name]
        try:
            shorthand = timer_shorthand(user=self.user, text=cleaned.get("description") or "")
        except services.TimeTrackingError as error:
            self.add_error("description", error.message)
            return cleaned
        if shorthand.project is not None:
            project, task = shorthand.project, shorthand.task
        cleaned["arguments"] = {
            "project": project,
            "task": task,
            "description": shorthand.description,
            "tags": list(dict.fromkeys(tags + shorthand.tags)),
            "switch": bool(cleaned.get("switch")),
        }
        return cleaned

    def service_arguments(self):
        return self.cleaned_data["arguments"]

    def add_service_error(self, error):
        # Every field but the description is hidden: the error is shown where the person types.
        self.add_error("description", error.message)
