"""The first-run page's form: the questions of `manage.py setup` (leave/management/commands/setup.py).
The answers are checked by `company_setup`, whose refusals land at their field."""

import zoneinfo

from django import forms
from django.utils.translation import gettext, gettext_lazy

from accounts.forms_people import WEEKDAYS
from leave.services.setup import DEFAULT_VACATION_DAYS


class CompanySetupForm(forms.Form):
    company_name = forms.CharField(label=gettext_lazy("Company name"), max_length=200)
    country = forms.CharField(
        label=gettext_lazy("Country for public holidays"),
        max_length=2,
        help_text=gettext_lazy("An ISO 3166 code, e.g. DE, AT, GB, US. Everyone you add starts with it."),
    )
    subdivision = forms.CharField(
        label=gettext_lazy("State or region for public holidays"),
        max_length=10,
        required=False,
        help_text=gettext_lazy("e.g. BY; empty: none."),
    )
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=[])
    working_weekdays = forms.MultipleChoiceField(
        label=gettext_lazy("Working days"), choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple
    )
    weekly_hours = forms.DecimalField(
        label=gettext_lazy("Contract hours per week"), min_value=0, max_value=80, decimal_places=2, initial=40
    )
    vacation_days = forms.DecimalField(
        label=gettext_lazy("Vacation days per year"),
        min_value=0,
        max_value=366,
        decimal_places=1,
        initial=DEFAULT_VACATION_DAYS,
        help_text=gettext_lazy(
            "Pro-rated for people joining during the year; up to 5 days carried over until 31 March."
        ),
    )
    leave_types = forms.BooleanField(
        label=gettext_lazy(
            "Create the starter leave types (vacation, sick leave, unpaid leave, overtime compensation)"
        ),
        required=False,
        initial=True,
    )
    hr_username = forms.CharField(
        label=gettext_lazy("First HR account: username"),
        max_length=150,
        help_text=gettext_lazy(
            "HR adds people, sets allowances and approves leave. Your own username keeps your account as it is."
        ),
    )
    hr_email = forms.EmailField(label=gettext_lazy("First HR account: e-mail address"))
    hr_password = forms.CharField(
        label=gettext_lazy("First HR account: password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Not needed when the HR account already exists."),
    )
    hr_password_again = forms.CharField(
        label=gettext_lazy("Password (again)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name) for name in sorted(zoneinfo.available_timezones())]
        self.fields["company_name"].widget.attrs["autocomplete"] = "organization"

    def clean_working_weekdays(self):
        return "".join(sorted(self.cleaned_data["working_weekdays"]))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("hr_password") != cleaned.get("hr_password_again"):
            self.add_error("hr_password_again", gettext("The two passwords differ."))
        return cleaned
