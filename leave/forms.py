from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from core.filters import validate_day
from leave.models import EndPart, LeaveType, StartPart, team_of
from leave.services import MAX_SUBSTITUTES


class DateInput(forms.DateInput):
    input_type = "date"


class LeaveTypeSelect(forms.Select):
    """Each option carries its unit, so leave.js shows the hours field only for hourly types."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-unit"] = instance.unit
        return option


class DraftForm(forms.Form):
    leave_type = forms.ModelChoiceField(
        label=gettext_lazy("Leave type"),
        queryset=LeaveType.objects.active(),
        empty_label=None,
        widget=LeaveTypeSelect(attrs={"data-leave-type": ""}),
    )
    start_date = forms.DateField(label=gettext_lazy("Start date"), widget=DateInput, validators=[validate_day])
    end_date = forms.DateField(label=gettext_lazy("End date"), widget=DateInput, validators=[validate_day])
    start_part = forms.ChoiceField(label=gettext_lazy("First day"), choices=StartPart.choices, initial=StartPart.FULL)
    end_part = forms.ChoiceField(label=gettext_lazy("Last day"), choices=EndPart.choices, initial=EndPart.FULL)
    hours = forms.DecimalField(
        label=gettext_lazy("Hours"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=gettext_lazy("Only for leave counted in hours (one day at a time)."),
    )

    substitutes: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("Substitutes"),
        help_text=format_lazy(
            gettext_lazy(
                "Who covers while you are away (at most {MAX_SUBSTITUTES}): told when it is approved, "
                "reminded the working day before."
            ),
            MAX_SUBSTITUTES=MAX_SUBSTITUTES,
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The colleagues of the team calendar; the service checks the rest (active, how many).
        colleagues = team_of(user).exclude(pk=user.pk)
        choices = [(colleague.pk, str(colleague)) for colleague in colleagues]
        if choices:
            self.fields["substitutes"].queryset = colleagues  # what a submitted choice is checked against
            self.fields["substitutes"].choices = choices  # rendered from this list: no second query
        else:
            del self.fields["substitutes"]
        # Preselect the usual case: the first type counted in days that uses an allowance (vacation).
        usual = self.fields["leave_type"].queryset.filter(unit="days", deducts_allowance=True).first()
        if usual is not None:
            self.fields["leave_type"].initial = usual.pk

    def clean_hours(self):
        return self.cleaned_data.get("hours") or None

    def clean_substitutes(self):
        # In the order of the list (the form gives no other), as a list for the service.
        return list(self.cleaned_data.get("substitutes") or [])


class LeaveRequestForm(DraftForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    attachment = forms.FileField(
        label=gettext_lazy("Attachment"),
        required=False,
        max_length=255,
        help_text=gettext_lazy("PDF, PNG or JPEG, at most 5 MB (e.g. a sick note)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))],
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)
