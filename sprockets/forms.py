from django import forms
from django.utils.translation import gettext_lazy


class GoalForm(forms.Form):
    sprocket_production_goal = forms.IntegerField(
        label=gettext_lazy("Daily goal"),
        min_value=0,
        max_value=2_000_000_000,
        help_text=gettext_lazy("Sprockets per day. A change is recorded in the chart."),
    )
