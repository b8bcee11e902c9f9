from django import forms


class GoalForm(forms.Form):
    sprocket_production_goal = forms.IntegerField(
        label="Daily goal",
        min_value=0,
        max_value=2_000_000_000,
        help_text="Sprockets per day. A change is recorded in the chart.",
    )
