"""HR's people pages: the list, adding and editing someone, inviting them, someone leaving (and
coming back), and a CSV of people with its preview. Thin: every write is a service of
accounts.services (the API calls the same ones). HR only: to anyone else the list, the new-person
and import pages are a 403, and a person's pages a 404 (someone else's data is not there)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms_people import (
    PeopleFilterForm,
    PeopleImportConfirmForm,
    PeopleImportForm,
    PersonCreateForm,
    PersonForm,
)
from accounts.invitations import invitation_expires_at, invitation_timeout
from accounts.models import User
from accounts.services import AccountsError, two_factor
from accounts.services.invitations import invitation_revoke, invitation_send, invitation_state
from accounts.services.people import UserConflict, user_create, user_deactivate, user_reactivate, user_update
from accounts.services.people_import import PeopleImportRefused, people_import
from core.errors import DomainError

PAGE_SIZE = 50
LEAVING_RESULTS = {
    "timer_stopped": "their running timer was stopped",
    "timer_discarded": "their running timer was discarded (its week is closed)",
    "timer_left_running": "their timer is still running in a closed week: settle it by hand",
    "leave_requests_withdrawn": "pending leave request(s) withdrawn, the approvers told",
    "invitation_revoked": "their invitation was revoked",
}


def hr_page(view):
    """HR only (the HR group or a superuser); anyone else gets the styled 403 page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_hr:
            raise PermissionDenied(gettext("Only HR manages people."))
        return view(request, *args, **kwargs)

    return wrapper


def _person(request, pk: int) -> User:
    """The person HR opens; for anyone but HR there is nobody here (404)."""
    if not request.user.is_hr:
        raise Http404(gettext("No such person."))
    return get_object_or_404(User.objects.select_related("manager"), pk=pk)


def _accept_url_builder(request):
    def build(uidb64: str, token: str) -> str:
        return request.build_absolute_uri(reverse("accounts:invitation_accept", args=[uidb64, token]))

    return build


def _invitation(user: User) -> dict:
    """The invitation's state for the templates: its code, words and (when pending) dates."""
    state = invitation_state(user)
    return {"state": state, "sent_at": user.invited_at, "expires_at": invitation_expires_at(user)}


def _add_errors(form, error: ValidationError | DomainError) -> None:
    """A service's refusal at its field (or above the form when it names none)."""
    if isinstance(error, DomainError):
        form.add_error(error.field if error.field in form.fields else None, error.message)
    elif hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@hr_page
def people_list(request):
    form = PeopleFilterForm(request.GET or None)
    search, status = form.filters() if form.is_bound else ("", "active")
    people = User.objects.select_related("manager").order_by("last_name", "first_name", "username")
    if status == "active":
        people = people.filter(is_active=True)
    elif status == "inactive":
        people = people.filter(is_active=False)
    if search:
        people = people.filter(
            Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(username__icontains=search)
            | Q(email__icontains=search)
        )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"user": user, "invitation": _invitation(user)} for user in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "rows": rows,
        "page": page,
        "query": query.urlencode(),
        "filtered": bool(search) or status != "active",
        "total": User.objects.count(),
        "waiting": _waiting_for_an_invitation().count(),
    }
    return render(request, "accounts/people/list.html", context)


@hr_page
@require_http_methods(["GET", "POST"])
def person_create(request):
    hr_user = request.user
    # A new person starts with HR's own region, time zone and contract (the company's defaults).
    defaults = User(
        timezone=hr_user.timezone,
        country=hr_user.country,
        subdivision=hr_user.subdivision,
        weekly_hours=hr_user.weekly_hours,
        working_weekdays=hr_user.working_weekdays,
    )
    form = PersonCreateForm(request.POST or None, instance=defaults)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                user = user_create(actor=hr_user, data=form.service_data())
            except (ValidationError, DomainError) as error:
                _add_errors(form, error)
            else:
                text = f"{user} was added."
                if form.cleaned_data["send_invitation"]:
                    try:
                        invitation_send(actor=hr_user, user=user, accept_url_builder=_accept_url_builder(request))
                    except DomainError as error:
                        messages.warning(
                            request,
                            gettext("{text} No invitation was sent: {message}").format(
                                text=text, message=error.message
                            ),
                        )
                    else:
                        messages.success(
                            request,
                            gettext("{text} An invitation was e-mailed to {email}.").format(
                                text=text, email=user.email
                            ),
                        )
                else:
                    messages.success(
                        request, gettext("{text} Invite them when they should choose their password.").format(text=text)
                    )
                return redirect("accounts:person", pk=user.pk)
    return render(request, "accounts/people/create.html", {"form": form}, status=status)


def _person_page(request, person: User, form=None, *, action_error: str = "", status: int = 200):
    context = {
        "person": person,
        "form": form or PersonForm(instance=person),
        "invitation": _invitation(person),
        "action_error": action_error,
        "reports": person.reports.filter(is_active=True).count(),
        "two_factor": two_factor.two_factor_device(person),
        "two_factor_required": two_factor.two_factor_required(person),
    }
    return render(request, "accounts/people/detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
def person_detail(request, pk: int):
    person = _person(request, pk)
    if request.method == "GET":
        return _person_page(request, person)
    # A copy for the form to validate: `person` keeps what is stored until the service saved it.
    form = PersonForm(request.POST, instance=User.objects.get(pk=person.pk))
    if form.is_valid():
        try:
            user = user_update(actor=request.user, user=person, data=form.service_data())
        except (ValidationError, DomainError) as error:
            _add_errors(form, error)
        else:
            messages.success(request, gettext("{user}'s details were saved.").format(user=user))
            return redirect("accounts:person", pk=person.pk)
    return _person_page(request, person, form, status=400)


@require_POST
def person_invite(request, pk: int):
    person = _person(request, pk)
    resend = person.invited_at is not None
    try:
        user = invitation_send(actor=request.user, user=person, accept_url_builder=_accept_url_builder(request))
    except UserConflict as error:
        return _person_page(request, person, action_error=error.message, status=409)
    verb = "sent again (the earlier link no longer works)" if resend else "sent"
    messages.success(request, gettext("The invitation to {email} was {verb}.").format(email=user.email, verb=verb))
    return redirect("accounts:person", pk=pk)


@require_POST
def person_revoke_invitation(request, pk: int):
    person = _person(request, pk)
    try:
        user = invitation_revoke(actor=request.user, user=person)
    except UserConflict as error:
        return _person_page(request, person, action_error=error.message, status=409)
    messages.success(request, gettext("{user}'s invitation was revoked: its link no longer works.").format(user=user))
    return redirect("accounts:person", pk=pk)


@require_POST
def person_two_factor_reset(request, pk: int):
    person = _person(request, pk)
    try:
        two_factor.two_factor_reset(actor=request.user, user=person)
    except DomainError as error:
        return _person_page(request, person, action_error=error.message, status=403)
    messages.success(
        request,
        gettext("{person}'s two-factor login was reset: they were logged out and set it up again.").format(
            person=person
        ),
    )
    return redirect("accounts:person", pk=pk)


@require_http_methods(["GET", "POST"])
def person_deactivate(request, pk: int):
    """A confirmation saying what leaving does, then the deactivation."""
    person = _person(request, pk)
    context = {"person": person, "reports": person.reports.filter(is_active=True).order_by("username")}
    if request.method == "GET":
        if not person.is_active:
            context["error"] = f"{person} is already deactivated."
        elif person.pk == request.user.pk:
            context["error"] = "You cannot deactivate your own account."
        return render(request, "accounts/people/deactivate.html", context)
    try:
        user = user_deactivate(actor=request.user, user=person)
    except UserConflict as error:
        context["error"] = error.message
        return render(request, "accounts/people/deactivate.html", context, status=409)
    done = [
        f"{count} {LEAVING_RESULTS[name]}" if name == "leave_requests_withdrawn" else LEAVING_RESULTS[name]
        for name, count in getattr(user, "leaving_results", {}).items()
        if count and name in LEAVING_RESULTS
    ]
    summary = f" ({'; '.join(done)})" if done else ""
    messages.success(
        request,
        gettext("{user} was deactivated: their sessions, tokens, API keys and calendar feeds ended{summary}.").format(
            user=user, summary=summary
        ),
    )
    return redirect("accounts:person", pk=pk)


@require_POST
def person_reactivate(request, pk: int):
    person = _person(request, pk)
    try:
        user = user_reactivate(actor=request.user, user=person)
    except UserConflict as error:
        return _person_page(request, person, action_error=error.message, status=409)
    messages.success(request, gettext("{user} can log in again.").format(user=user))
    return redirect("accounts:person", pk=pk)


def _waiting_for_an_invitation():
    """Active people with an e-mail address and no password who were never invited (or whose
    invitation expired): after an import, everyone HR still has to invite. The same states as
    `invitation_state`, in the database."""
    expired = timezone.now() - invitation_timeout()
    return (
        User.objects.filter(is_active=True, password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .exclude(email="")
        .filter(Q(invited_at__isnull=True) | Q(invited_at__lte=expired))
        .order_by("pk")
    )


@hr_page
@require_POST
def people_invite_all(request):
    """Invite everyone waiting for an invitation, each through the service (audited, one e-mail each)."""
    sent, refused = 0, []
    for user in _waiting_for_an_invitation():
        try:
            invitation_send(actor=request.user, user=user, accept_url_builder=_accept_url_builder(request))
        except UserConflict as error:  # changed meanwhile (accepted, deactivated): told, the others go on
            refused.append(error.message)
        else:
            sent += 1
    if sent:
        messages.success(
            request, ngettext("{sent} invitation sent.", "{sent} invitations sent.", sent).format(sent=sent)
        )
    elif not refused:
        messages.info(request, gettext("Nobody is waiting for an invitation."))
    for message in refused:
        messages.warning(request, message)
    return redirect("accounts:people")


@hr_page
@require_http_methods(["GET", "POST"])
def people_import_page(request):
    """Upload (or confirm) a CSV of people. An upload is a dry run shown as a preview; confirming
    sends the same text back and imports it, checked again, all or nothing."""
    context: dict = {"form": PeopleImportForm()}
    status = 200
    if request.method == "POST":
        confirming = "confirm" in request.POST
        form = PeopleImportConfirmForm(request.POST) if confirming else PeopleImportForm(request.POST, request.FILES)
        if not form.is_valid():
            context["form"] = form if not confirming else context["form"]
            if confirming:
                context["file_error"] = "The previewed file was lost; upload it again."
            return render(request, "accounts/people/import.html", context, status=400)
        text = form.cleaned_data["text"] if confirming else form.cleaned_data["file"]
        try:
            result = people_import(actor=request.user, text=text, dry_run=not confirming)
        except PeopleImportRefused as refused:
            context.update(refused=refused)
            status = 400
        except AccountsError as error:
            context["file_error"] = error.message
            status = 400
        else:
            if confirming:
                messages.success(
                    request,
                    gettext(
                        "Imported: {count} added, {count2} updated, {count3} unchanged. Invite the new people from "
                        "their pages."
                    ).format(
                        count=result.count("create"), count2=result.count("update"), count3=result.count("unchanged")
                    ),
                )
                return redirect(reverse("accounts:people") + "?status=all")
            context.update(
                result=result,
                confirm_form=PeopleImportConfirmForm(initial={"text": text}),
                counts={action: result.count(action) for action in ("create", "update", "unchanged")},
                changes=result.count("create") + result.count("update"),
            )
    return render(request, "accounts/people/import.html", context, status=status)
