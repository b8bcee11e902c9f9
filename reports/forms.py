from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import cast

from django import forms
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from accounts.models import User
from core.days import FIRST_DAY, LAST_DAY, week_start
from reports.models import ImportFormat
from reports.summary import MAX_RANGE_DAYS


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"), max_length=255, help_text=gettext_lazy("At most 20 MB."))
    format = forms.ChoiceField(label=gettext_lazy("Exported from"), choices=ImportFormat.choices)
    user: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=gettext_lazy("Whose time"), queryset=None, required=False, help_text=gettext_lazy("HR only.")
    )
    create_missing = forms.BooleanField(
        label=gettext_lazy("Create missing projects, tasks and tags"),
        required=False,
        help_text=gettext_lazy("Else unknown names are row errors."),
    )

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)

        if viewer.is_hr:
            self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("username")
        else:
            del self.fields["user"]


# --- The /reports/ page's controls ----------------------------------------------------------------

PRESETS = {
    "this_week": gettext_lazy("This week"),
    "last_week": gettext_lazy("Last week"),
    "this_month": gettext_lazy("This month"),
    "last_month": gettext_lazy("Last month"),
    "this_year": gettext_lazy("This year"),
    "custom": gettext_lazy("Custom dates"),
}
DEFAULT_PRESET = "this_month"
GROUPINGS = {
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "project": gettext_lazy("Project"),
    "task": gettext_lazy("Task"),
    "tag": gettext_lazy("Tag"),
    "user": gettext_lazy("Person"),
}
# The same words inside a sentence ("Hours by project"): English lowercases them, German does not.
GROUPING_WORDS = {
    "day": pgettext_lazy("report grouping in a sentence", "day"),
    "week": pgettext_lazy("report grouping in a sentence", "week"),
    "month": pgettext_lazy("report grouping in a sentence", "month"),
    "project": pgettext_lazy("report grouping in a sentence", "project"),
    "task": pgettext_lazy("report grouping in a sentence", "task"),
    "tag": pgettext_lazy("report grouping in a sentence", "tag"),
    "user": pgettext_lazy("report grouping in a sentence", "person"),
}
DEFAULT_GROUP_BY, DEFAULT_SUB_GROUP = "day", "project"
NO_SUB_GROUP = "none"
BILLABLE_CHOICES = [
    ("", gettext_lazy("Billable and not")),
    ("true", gettext_lazy("Billable only")),
    ("false", gettext_lazy("Non-billable only")),
]
DATE_WORDS = gettext_lazy("Enter a date like 2026-03-31.")


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The first and last day a preset means on `today` (weeks start on core.days.week_start)."""
    if preset in ("this_week", "last_week"):
        monday = week_start(today) - timedelta(days=7 if preset == "last_week" else 0)
        return monday, monday + timedelta(days=6)
    if preset in ("this_month", "last_month"):
        first = today.replace(day=1)
        if preset == "last_month":
            first = (first - timedelta(days=1)).replace(day=1)
        return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])
    if preset == "this_year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    raise ValueError(f"Not a preset with fixed dates: {preset!r}")


class ReportForm(forms.Form):
    """The report's controls. Valid, `cleaned_data` holds the resolved dates (`from`, `to`, the
    preset's or the custom ones), `group_by`, `sub_group` (None for no sub-group) and the raw
    `user`, `project` and `billable` that `reports.summary.parse_filters` reads."""

    preset = forms.ChoiceField(label=gettext_lazy("Period"), choices=PRESETS.items(), required=False)
    group_by = forms.ChoiceField(label=gettext_lazy("Group by"), choices=GROUPINGS.items(), required=False)
    sub_group = forms.ChoiceField(
        label=gettext_lazy("Then by"),
        choices=[(NO_SUB_GROUP, gettext_lazy("Nothing")), *GROUPINGS.items()],
        required=False,
    )
    user = forms.CharField(label=gettext_lazy("Person"), required=False, max_length=12)
    project = forms.TypedChoiceField(label=gettext_lazy("Project"), required=False, coerce=int, empty_value=None)
    billable = forms.ChoiceField(label=gettext_lazy("Billable"), choices=BILLABLE_CHOICES, required=False)

    def __init__(self, data, *, today: date, projects, **kwargs):
        data = data.copy()
        has_dates = bool(data.get("from") or data.get("to"))
        # Links that name dates alone (old bookmarks, the per-person links) mean those dates.
        data.setdefault("preset", "custom" if has_dates else DEFAULT_PRESET)
        data.setdefault("group_by", DEFAULT_GROUP_BY)
        # Project under project is no sub-group: grouping by project alone then shows no sub-group.
        data.setdefault("sub_group", DEFAULT_SUB_GROUP if data["group_by"] != DEFAULT_SUB_GROUP else NO_SUB_GROUP)
        super().__init__(data, **kwargs)
        self.today = today
        # Declared here: `from` is a Python keyword, and the query keeps the API's names.
        self.fields["from"] = forms.DateField(
            label=gettext("From"), required=False, error_messages={"invalid": DATE_WORDS}
        )
        self.fields["to"] = forms.DateField(label=gettext("To"), required=False, error_messages={"invalid": DATE_WORDS})
        self.order_fields(["preset", "from", "to", "group_by", "sub_group", "user", "project", "billable"])
        project_field = cast(forms.ChoiceField, self.fields["project"])
        project_field.choices = [("", gettext("All projects")), *((project.pk, project.label) for project in projects)]
        self.fields["project"].error_messages["invalid_choice"] = "Choose a project from the list."
        for name in ("preset", "group_by", "sub_group", "billable"):
            self.fields[name].error_messages["invalid_choice"] = "Choose one of the options in the list."

    @property
    def custom(self) -> bool:
        return self.data.get("preset") == "custom"

    def clean_user(self):
        value = (self.cleaned_data.get("user") or "").strip()
        if value and value != "all" and not value.isdigit():
            raise forms.ValidationError(gettext("Choose a person from the list."))
        return value

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("preset") or DEFAULT_PRESET
        cleaned["preset"] = preset
        if preset == "custom":
            start, end = cleaned.get("from"), cleaned.get("to")
            for name in ("from", "to"):
                if name not in self.errors and cleaned.get(name) is None:
                    self.add_error(
                        name,
                        gettext("Enter the {value} date, e.g. 2026-03-31.").format(
                            value="start" if name == "from" else "end"
                        ),
                    )
            for name in ("from", "to"):
                value = cleaned.get(name)
                if value is not None and not FIRST_DAY <= value <= LAST_DAY:
                    self.add_error(
                        name,
                        gettext("Choose a date between {FIRST_DAY:%d %B %Y} and {LAST_DAY:%d %B %Y}.").format(
                            FIRST_DAY=FIRST_DAY, LAST_DAY=LAST_DAY
                        ),
                    )
                    start = end = None
            if start and end and not self.errors.get("from") and not self.errors.get("to"):
                if end < start:
                    self.add_error("to", gettext("The end date is before the start date."))
                elif (end - start).days >= MAX_RANGE_DAYS:
                    self.add_error("from", gettext("A report covers at most three years: choose a later start date."))
        elif "preset" not in self.errors:
            cleaned["from"], cleaned["to"] = preset_range(preset, self.today)
        group_by = cleaned.get("group_by") or DEFAULT_GROUP_BY
        sub_group = cleaned.get("sub_group") or NO_SUB_GROUP
        cleaned["group_by"] = group_by
        cleaned["sub_group"] = None if sub_group == NO_SUB_GROUP else sub_group
        if cleaned["sub_group"] == group_by and "sub_group" not in self.errors:
            self.add_error("sub_group", gettext("Choose a sub-group other than the grouping, or nothing."))
        return cleaned

    def filter_params(self) -> dict:
        """The valid form as the query `reports.summary.parse_filters` (and the export) reads."""
        data = self.cleaned_data
        params = {"from": data["from"].isoformat(), "to": data["to"].isoformat()}
        if data.get("user"):
            params["user"] = data["user"]
        if data.get("project") is not None:
            params["project"] = str(data["project"])
        if data.get("billable"):
            params["billable"] = data["billable"]
        return params
