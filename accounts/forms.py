"""Page forms of accounts."""

from django import forms

from core.durations import DurationFormat


class PreferencesForm(forms.Form):
    """A user's own display preferences (the Preferences page)."""

    duration_format = forms.ChoiceField(
        label="Show durations as",
        choices=DurationFormat.choices,
        help_text="Wherever a page shows how long something took: 1:30 or 1.50 h.",
    )
