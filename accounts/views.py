import importlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.backends import not_started_message
from accounts.forms import PasswordResetForm, PreferencesForm
from accounts.invitations import invitation_token_generator
from accounts.services.invitations import invitation_accept
from accounts.services.two_factor import two_factor_device
from accounts.views_two_factor import code_step_begin
from core.client_ip import client_ip
from core.errors import Conflict
from core.throttling import login_attempt_begin

# Apps that contribute a panel to the dashboard: each has a `dashboard.py` with
# `widget(request) -> {"template": ..., "context": {...}} | None`.
DASHBOARD_APPS = ["timetracking", "leave", "sprockets", "reports", "billing"]


def _dashboard_widgets(request):
    widgets = []
    for app in DASHBOARD_APPS:
        try:
            module = importlib.import_module(f"{app}.dashboard")
        except ModuleNotFoundError as error:
            if error.name != f"{app}.dashboard":
                raise
            continue
        widget = module.widget(request)
        if widget:
            # The panel's values are available both by name and under `context`.
            values = {**widget.get("context", {}), "context": widget.get("context", {})}
            widgets.append(render_to_string(widget["template"], values, request=request))
    return widgets


def _dashboard_takeover(request):
    """A page to show instead of the dashboard, if an app's `dashboard.takeover(request)` names one
    (leave: the first-run page, for the first superuser of an empty database)."""
    for app in DASHBOARD_APPS:
        try:
            module = importlib.import_module(f"{app}.dashboard")
        except ModuleNotFoundError as error:
            if error.name != f"{app}.dashboard":
                raise
            continue
        url = getattr(module, "takeover", lambda request: None)(request)
        if url:
            return url
    return None


def dashboard(request):
    takeover = _dashboard_takeover(request)
    if takeover:
        return redirect(takeover)
    return render(request, "dashboard.html", {"widgets": _dashboard_widgets(request)})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    # The login limit (per IP and per account) is applied by accounts.backends for every login
    # path alike; accounts.middleware.LoginThrottleMiddleware answers 429 with its message.

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "sso_enabled": settings.SSO_ENABLED,
            "sso_provider_name": settings.SSO_PROVIDER_NAME,
            "sso_failed": self.request.GET.get("sso") == "failed",
        }

    def form_valid(self, form):
        # A right password of someone with a second factor is half a login: the code step follows
        # (accounts/views_two_factor.py), and only then is the session signed in.
        user = form.get_user()
        if two_factor_device(user) is not None:
            return code_step_begin(self.request, user, self.get_success_url())
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("dashboard")

    def form_valid(self, form):
        # Through the service: a new password also revokes the user's API refresh tokens.
        user = services.user_change_password(user=form.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, user)
        messages.success(self.request, gettext("Your password was changed. Other API sessions were signed out."))

        return HttpResponseRedirect(self.get_success_url())


def reset_link_lifetime() -> str:
    """How long a reset link works, in words ("3 hours"): settings.PASSWORD_RESET_TIMEOUT."""
    seconds = settings.PASSWORD_RESET_TIMEOUT
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if (seconds >= size and seconds % size == 0) or unit == "minute":
            count = max(1, seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError  # the loop always returns (minutes last)


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link. The answer is the same whether or not the address has an account
    (nobody learns who works here), and the login limiter counts each request per IP and per
    address, so the form can neither guess addresses nor flood someone's inbox."""

    form_class = PasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    THROTTLED = "Too many reset requests. Try again in {seconds} seconds."

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "timeout_text": reset_link_lifetime()}

    def form_valid(self, form):
        self.extra_email_context = {"timeout_text": reset_link_lifetime()}
        address = form.cleaned_data["email"].casefold()
        attempt = login_attempt_begin(ip=client_ip(self.request), username=f"password-reset:{address}")
        if not attempt.allowed:
            form.add_error(None, self.THROTTLED.format(seconds=attempt.retry_after))
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(attempt.retry_after)
            return response
        return super().form_valid(form)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link's page: a new password, once (the token is bound to the old password's hash and
    expires after PASSWORD_RESET_TIMEOUT). Setting it logs the user out everywhere (services)."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        services.user_reset_password(user=form.user, new_password=form.cleaned_data["new_password1"])
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@method_decorator(login_not_required, name="dispatch")
class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The invitation's page: the new person chooses their password, once, and is signed in. A
    used, revoked, resent (an older link) or expired link is a 400 telling them to ask HR."""

    template_name = "accounts/invitation_accept.html"
    token_generator = invitation_token_generator
    success_url = reverse_lazy("dashboard")

    def dispatch(self, *args, **kwargs):
        response = super().dispatch(*args, **kwargs)
        if not self.validlink and response.status_code == 200:
            response.status_code = 400
        return response

    def form_valid(self, form):
        try:
            user = invitation_accept(user=form.user, new_password=form.cleaned_data["new_password1"])
        except ValidationError as error:
            form.add_error("new_password2", error.message_dict.get("new_password", error.messages))
            return self.form_invalid(form)
        except Conflict:  # accepted or revoked meanwhile (another tab)
            self.validlink = False
            return self.render_to_response(self.get_context_data(), status=400)
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        if not user.has_started:  # no session before the start date (accounts.backends)
            messages.success(
                self.request,
                gettext("Your password is set. {not_started_message}").format(
                    not_started_message=not_started_message(user.start_date)
                ),
            )
            return HttpResponseRedirect(reverse_lazy("accounts:login"))
        auth_login(self.request, user)
        messages.success(self.request, gettext("Welcome! Your password is set and you are signed in."))
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


@require_http_methods(["GET", "POST"])
def preferences(request):
    """The signed-in user's own preferences (how durations read, which timesheet e-mails they get).
    Only ever the caller's own."""
    user = request.user
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                user.set_duration_format(form.cleaned_data["duration_format"])
                user.set_language(form.cleaned_data["language"])
            except ValidationError as error:
                for field, field_messages in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, field_messages)
            else:
                # The confirmation already in the language just chosen (or the browser's again).
                translation.activate(user.language or translation.get_language_from_request(request))
                request.LANGUAGE_CODE = translation.get_language()
                user.set_notifications(
                    week_submitted=form.cleaned_data["notify_week_submitted"],
                    week_decided=form.cleaned_data["notify_week_decided"],
                )
                messages.success(request, gettext("Your preferences were saved."))
                return redirect("accounts:preferences")
        status = 400
    else:
        form = PreferencesForm(
            initial={
                "language": user.language,
                "duration_format": user.duration_format,
                "notify_week_decided": user.notify_week_decided,
                "notify_week_submitted": user.notify_week_submitted,
            }
        )
        status = 200
    return render(request, "accounts/preferences.html", {"form": form}, status=status)
