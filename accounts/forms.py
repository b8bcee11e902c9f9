"""Page forms of accounts."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.template import loader
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.languages import in_language_of
from core.durations import DurationFormat


def language_choices() -> list[tuple[str, str]]:
    """Each language named in itself (a reader who does not know the current one finds theirs)."""
    return [("", _("As my browser says"))] + [
        (code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES
    ]


class PreferencesForm(forms.Form):
    """A user's own display preferences (the Preferences page)."""

    duration_format = forms.ChoiceField(
        label=gettext_lazy("Show durations as"),
        choices=DurationFormat.choices,
        help_text=gettext_lazy("Wherever a page shows how long something took: 1:30 or 1.50 h."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=language_choices,
        required=False,
        help_text=_("Of pages, e-mails and API messages. Your browser's language unless you choose one."),
    )
    notify_week_decided = forms.BooleanField(
        label=gettext_lazy("E-mail me when my week is approved, sent back or reopened"),
        required=False,
    )
    notify_week_submitted = forms.BooleanField(
        label=gettext_lazy("E-mail me when someone I decide for submits a week"),
        required=False,
        help_text=gettext_lazy("Managers and HR: the weeks that wait for your approval."),
    )


class PasswordResetForm(DjangoPasswordResetForm):
    """'Forgot your password?': Django's form (active users with a usable password, matched on the
    address without case), its e-mail sent through the outbox and audited (services)."""

    email = forms.EmailField(
        label=gettext_lazy("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        with in_language_of(context["user"]):  # theirs if they chose one, else the default
            subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
            body = loader.render_to_string(email_template_name, context)
        services.user_password_reset_send(user=context["user"], subject=subject, body=body)


class TwoFactorCodeForm(forms.Form):
    """A 6-digit code from the authenticator app, or a recovery code (xxxxx-xxxxx)."""

    code = forms.CharField(
        max_length=32,
        label=gettext_lazy("Code"),
        help_text=gettext_lazy("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false", "autofocus": True}
        ),
    )

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["code"].label = label
            self.fields["code"].help_text = "The 6 digits the app shows for this account."
