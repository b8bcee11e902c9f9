import importlib

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.forms import PreferencesForm

# Apps that contribute a panel to the dashboard: each has a `dashboard.py` with
# `widget(request) -> {"template": ..., "context": {...}} | None`.
DASHBOARD_APPS = ["timetracking", "leave", "sprockets", "reports"]


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


def dashboard(request):
    return render(request, "dashboard.html", {"widgets": _dashboard_widgets(request)})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    # The login limit (per IP and per account) is applied by accounts.backends for every login
    # path alike; accounts.middleware.LoginThrottleMiddleware answers 429 with its message.


class LogoutView(auth_views.LogoutView):
    pass


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("dashboard")

    def form_valid(self, form):
        # Through the service: a new password also revokes the user's API refresh tokens.
        user = services.user_change_password(user=form.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, user)
        messages.success(self.request, "Your password was changed. Other API sessions were signed out.")

        return HttpResponseRedirect(self.get_success_url())


@require_http_methods(["GET", "POST"])
def preferences(request):
    """The signed-in user's own preferences (how durations read). Only ever the caller's own."""
    user = request.user
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            try:
                user.set_duration_format(form.cleaned_data["duration_format"])
            except ValidationError as error:
                form.add_error("duration_format", error.messages)
            else:
                messages.success(request, "Your preferences were saved.")
                return redirect("accounts:preferences")
        status = 400
    else:
        form = PreferencesForm(initial={"duration_format": user.duration_format})
        status = 200
    return render(request, "accounts/preferences.html", {"form": form}, status=status)
