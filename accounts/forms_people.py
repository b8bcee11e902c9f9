"""Forms of HR's people pages (accounts/views_people.py): thin, the rules are the services'."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy

from accounts.models import User
from accounts.services.people import HR_EDITABLE_FIELDS
from accounts.services.people_import import COLUMNS, MAX_BYTES

WEEKDAYS = [
    ("1", gettext_lazy("Monday")),
    ("2", gettext_lazy("Tuesday")),
    ("3", gettext_lazy("Wednesday")),
    ("4", gettext_lazy("Thursday")),
    ("5", gettext_lazy("Friday")),
    ("6", gettext_lazy("Saturday")),
    ("7", gettext_lazy("Sunday")),
]


class PeopleFilterForm(forms.Form):
    """The list's search: a name, username or e-mail address, and who (active, deactivated, all)."""

    STATUS_CHOICES = [
        ("active", gettext_lazy("Active")),
        ("inactive", gettext_lazy("Deactivated")),
        ("all", gettext_lazy("Everyone")),
    ]

    q = forms.CharField(label=gettext_lazy("Name, username or e-mail"), required=False, max_length=100)
    status = forms.ChoiceField(label=gettext_lazy("Show"), choices=STATUS_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})

    def filters(self) -> tuple[str, str]:
        """(search, status) of a valid form, else the defaults (a bad value shows the active people)."""
        if not self.is_valid():
            return "", "active"
        return self.cleaned_data["q"].strip(), self.cleaned_data["status"] or "active"


class PersonForm(forms.ModelForm):
    """What HR sets on a person (HR_EDITABLE_FIELDS). The model's own validation (unique e-mail and
    username, time zone, country and region) puts its errors at their fields; the manager chain is
    checked by the service (accounts.services.people)."""

    working_weekdays = forms.MultipleChoiceField(
        label=gettext_lazy("Working days"),
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("The days their contract hours are spread over."),
    )

    start_date = forms.DateField(
        label=gettext_lazy("Start date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Their first day: before it they cannot log in, and leave is pro-rated from it."),
    )

    class Meta:
        model = User
        fields = list(HR_EDITABLE_FIELDS)
        labels = {
            "email": gettext_lazy("E-mail address"),
            "timezone": gettext_lazy("Time zone"),
            "country": gettext_lazy("Country"),
            "subdivision": gettext_lazy("State or region"),
            "weekly_hours": gettext_lazy("Contract hours per week"),
            "manager": gettext_lazy("Manager"),
            "position": gettext_lazy("Position"),
            "username": gettext_lazy("Username"),
        }
        help_texts = {"weekly_hours": "", "manager": "Approves their leave and weeks."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        self.fields["email"].required = True
        self.fields["timezone"].widget = forms.Select(
            choices=[(name, name) for name in sorted(zoneinfo.available_timezones())]
        )
        # The current manager stays a choice even once deactivated: the service then says so at the field.
        managers = User.objects.filter(Q(is_active=True) | Q(pk=instance.manager_id)).order_by(
            "first_name", "last_name", "username"
        )
        if instance.pk:
            managers = managers.exclude(pk=instance.pk)
        manager_field = self.fields["manager"]
        manager_field.queryset = managers
        manager_field.empty_label = "Nobody"
        manager_field.label_from_instance = lambda user: f"{user} ({user.email or user.username})"
        self.fields["position"].empty_label = "None"
        if not self.is_bound:
            self.initial["working_weekdays"] = list(instance.working_weekdays)
            if instance.pk:
                self.initial["start_date"] = instance.start_date
        for name, autocomplete in (("first_name", "off"), ("last_name", "off"), ("email", "off"), ("username", "off")):
            self.fields[name].widget.attrs["autocomplete"] = autocomplete

    def clean_working_weekdays(self) -> str:
        days = self.cleaned_data["working_weekdays"]
        if not days:
            raise forms.ValidationError(gettext("Choose at least one working day."))
        return "".join(sorted(days))

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in HR_EDITABLE_FIELDS}
        if self.cleaned_data.get("start_date"):
            data["start_date"] = self.cleaned_data["start_date"]
        return data


class PersonCreateForm(PersonForm):
    send_invitation = forms.BooleanField(
        label=gettext_lazy("E-mail them an invitation to choose their password"),
        required=False,
        initial=True,
    )


class PeopleImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=format_lazy(
            gettext_lazy("UTF-8, a header row naming its columns: {join}. Only email is required."),
            join=", ".join(COLUMNS),
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"

    def clean_file(self) -> str:
        uploaded = self.cleaned_data["file"]
        if uploaded.size > MAX_BYTES:
            raise forms.ValidationError(gettext("The file is over {value} MB.").format(value=MAX_BYTES // 1_000_000))
        try:
            return uploaded.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(gettext("The file is not UTF-8 text: save it as CSV (UTF-8).")) from error


class PeopleImportConfirmForm(forms.Form):
    """The previewed file, sent back as it was to import it for real (checked again, all or nothing)."""

    text = forms.CharField(widget=forms.HiddenInput, strip=False, max_length=MAX_BYTES)
