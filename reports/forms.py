from __future__ import annotations

from django import forms

from accounts.models import User
from reports.models import ImportFormat


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", max_length=255, help_text="At most 20 MB.")
    format = forms.ChoiceField(label="Exported from", choices=ImportFormat.choices)
    user: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label="Whose time", queryset=None, required=False, help_text="HR only."
    )
    create_missing = forms.BooleanField(
        label="Create missing projects, tasks and tags", required=False, help_text="Else unknown names are row errors."
    )

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)

        if viewer.is_hr:
            self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("username")
        else:
            del self.fields["user"]
