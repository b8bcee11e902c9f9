"""The first-run page (`/setup/`): `manage.py setup` in a browser, for the first superuser of a
company's own database. Shown only while nothing is set up (no leave type and nobody in the HR
group) and only to a superuser: anyone else, and everyone afterwards, gets a 404."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from accounts.models import User
from core.errors import DomainError
from leave.forms_setup import CompanySetupForm
from leave.models import LeaveType
from leave.services import company_setup


def setup_needed() -> bool:
    """Nothing is set up yet: no leave type and nobody in the HR group (the demo and `setup` give both)."""
    return not LeaveType.objects.exists() and not User.objects.filter(groups__name=settings.HR_GROUP_NAME).exists()


def first_run_for(user) -> bool:
    return bool(user.is_authenticated and user.is_superuser and setup_needed())


@require_http_methods(["GET", "POST"])
def first_run(request):
    if not first_run_for(request.user):
        raise Http404(gettext("The company is set up."))
    me = request.user
    initial = {
        "country": me.country,
        "subdivision": me.subdivision,
        "time_zone": me.timezone,
        "working_weekdays": list(me.working_weekdays),
        "weekly_hours": me.weekly_hours,
        "hr_username": me.username,
        "hr_email": me.email,
    }
    form = CompanySetupForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            values = form.cleaned_data
            try:
                result = company_setup(
                    company_name=values["company_name"],
                    country=values["country"],
                    subdivision=values["subdivision"],
                    time_zone=values["time_zone"],
                    working_weekdays=values["working_weekdays"],
                    weekly_hours=values["weekly_hours"],
                    hr_username=values["hr_username"],
                    hr_email=values["hr_email"],
                    hr_password=values["hr_password"] or None,
                    leave_types=values["leave_types"],
                    vacation_days=values["vacation_days"],
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                if result.hr_user.pk == me.pk:
                    update_session_auth_hash(request, me)  # the same session, still signed in
                messages.success(
                    request,
                    gettext(
                        "{value} is set up ({len} things created). Next: add the people, one by one or from a CSV, "
                        "and invite them."
                    ).format(value=values["company_name"], len=len(result.created)),
                )
                return redirect("accounts:people")
        return render(request, "leave/setup.html", {"form": form}, status=400)
    return render(request, "leave/setup.html", {"form": form})
