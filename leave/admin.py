"""The leave admin: the managers' approval tool and HR's setup (types, policies, ledger,
closures, bulk allowances). Actions and forms go through leave.services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy

from accounts.admin import hr_in_admin
from core.days import FIRST_YEAR, LAST_YEAR
from leave import services
from leave.models import (
    AllowancePolicy,
    CompanyClosure,
    LeaveRequest,
    LeaveStatus,
    LeaveType,
    LedgerEntry,
)
from leave.services import LeaveError
from leave.templatetags.leave_tags import amount as format_number


class HRAdmin(admin.ModelAdmin):
    """HR (the HR group or superusers) manages these models, with or without model permissions."""

    def _hr(self, request):
        return hr_in_admin(request)

    def has_module_permission(self, request):
        return self._hr(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._hr(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._hr(request) or super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._hr(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._hr(request) or super().has_delete_permission(request, obj)


class AllowancePolicyInline(admin.StackedInline):
    model = AllowancePolicy
    extra = 0
    max_num = 1

    def _hr(self, request):
        return hr_in_admin(request)

    def has_view_permission(self, request, obj=None):
        return self._hr(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._hr(request) or super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._hr(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._hr(request) or super().has_delete_permission(request, obj)


@admin.register(LeaveType)
class LeaveTypeAdmin(HRAdmin):
    list_display = [
        "name",
        "code",
        "unit",
        "paid",
        "deducts_allowance",
        "requires_approval",
        "allow_negative",
        "is_active",
    ]
    list_filter = ["is_active", "unit", "paid", "requires_approval"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [AllowancePolicyInline]

    def has_delete_permission(self, request, obj=None):
        # Requests and ledger rows refer to types (PROTECT): retire a type with is_active instead.
        return False


@admin.register(AllowancePolicy)
class AllowancePolicyAdmin(HRAdmin):
    list_display = ["leave_type", "yearly_amount", "accrual", "prorate_joiners", "carry_over_cap", "expiry"]
    list_select_related = ["leave_type"]

    @admin.display(description=gettext("Carried days lapse after"))
    def expiry(self, obj):
        if not obj.carry_over_expiry_month:
            return "never"
        return obj.expiry_date(timezone.localdate().year).strftime("%d %B")


@admin.register(CompanyClosure)
class CompanyClosureAdmin(HRAdmin):
    list_display = ["date", "name", "half_day", "country"]
    list_filter = ["half_day", "country"]
    date_hierarchy = "date"
    search_fields = ["name"]


# --- Ledger -------------------------------------------------------------------------------------


def _active_users():
    return get_user_model().objects.filter(is_active=True).order_by("username")


class AdjustmentForm(forms.ModelForm):
    """A manual adjustment, booked through the service (which requires the reason)."""

    class Meta:
        model = LedgerEntry
        fields = ["user", "leave_type", "year", "amount", "reason"]

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        if "user" not in self.fields:  # the read-only page of an existing row
            return
        self.fields["user"].queryset = _active_users()
        self.fields["year"].initial = timezone.localdate().year
        self.fields["reason"].required = True
        self.fields["reason"].help_text = "Why the balance changes (required)."

    def clean(self):
        cleaned = super().clean()
        if self.errors or "user" not in self.fields:
            return cleaned
        try:
            # Booked here so that a refusal shows on the form; the admin view is atomic.
            self.instance = services.ledger_adjust(
                user=cleaned["user"],
                leave_type=cleaned["leave_type"],
                year=cleaned["year"],
                amount=cleaned["amount"],
                reason=cleaned["reason"],
                actor=self.actor,
            )
        except LeaveError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return cleaned


class AllowanceAssignForm(forms.Form):
    leave_type = forms.ModelChoiceField(queryset=LeaveType.objects.active())
    year = forms.IntegerField(min_value=FIRST_YEAR, max_value=LAST_YEAR)
    amount = forms.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, help_text=gettext_lazy("Days (or hours) for the year.")
    )
    users = forms.ModelMultipleChoiceField(queryset=_active_users(), widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(max_length=255, required=False, initial="Allowance assigned")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = _active_users()
        self.fields["year"].initial = timezone.localdate().year


@admin.register(LedgerEntry)
class LedgerEntryAdmin(HRAdmin):
    """Append-only: rows are added (adjustments here, allowances in bulk), never changed or deleted."""

    list_display = ["created_at", "user", "leave_type", "year", "kind", "signed_amount", "request", "reason"]
    list_filter = ["kind", "leave_type", "year"]
    list_select_related = ["user", "leave_type", "request"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "reason"]
    form = AdjustmentForm
    change_list_template = "admin/leave/ledgerentry/change_list.html"

    @admin.display(description=gettext("Amount"), ordering="amount")
    def signed_amount(self, obj):
        return f"{obj.amount:+}"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)

        class FormWithActor(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, actor=request.user, **inner)

        return FormWithActor

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [f.name for f in LedgerEntry._meta.fields]
        return []

    def save_model(self, request, obj, form, change):
        pass  # AdjustmentForm.clean booked the row through the service

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        urls = [
            path("assign/", self.admin_site.admin_view(self.assign_view), name="leave_ledgerentry_assign"),
        ]
        return urls + super().get_urls()

    def assign_view(self, request):
        """Bulk assignment of an allowance to many users."""
        if not self.has_add_permission(request):
            return redirect("admin:index")
        form = AllowanceAssignForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                assigned, skipped = services.allowance_assign(
                    users=data["users"],
                    leave_type=data["leave_type"],
                    year=data["year"],
                    amount=data["amount"],
                    reason=data["reason"],
                    actor=request.user,
                )
            except LeaveError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                text = f"{len(assigned)} assigned"
                if skipped:
                    names = ", ".join(str(user) for user in skipped)
                    text += f", {len(skipped)} skipped: already have an allowance for {data['year']} ({names})"
                self.message_user(request, text + ".", messages.SUCCESS if not skipped else messages.WARNING)
                return redirect("admin:leave_ledgerentry_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign an allowance",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/leave/ledgerentry/assign.html", context)


# --- Leave requests: the managers' tool ---------------------------------------------------------


class TeamFilter(admin.SimpleListFilter):
    title = "team"
    parameter_name = "team"

    def lookups(self, request, model_admin):
        managers = get_user_model().objects.filter(reports__isnull=False).distinct().order_by("username")
        if not request.user.is_hr:
            managers = managers.filter(pk=request.user.pk)
        return [(str(manager.pk), f"Team of {manager}") for manager in managers]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(user__manager_id=int(self.value()))
        return queryset


class LeaveRequestAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "leave_type",
        "start_date",
        "end_date",
        "amount_display",
        "status",
        "decided_by",
    ]
    list_filter = ["status", "leave_type", ("start_date", admin.DateFieldListFilter), TeamFilter]
    list_select_related = ["user", "leave_type", "decided_by"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "reason"]
    date_hierarchy = "start_date"
    actions = ["approve_selected", "reject_selected", "cancel_selected"]
    change_form_template = "admin/leave/leaverequest/change_form.html"
    view_on_site = False  # the site shows a request on its requester's own page
    fields = (
        "user",
        "leave_type",
        "start_date",
        "start_part",
        "end_date",
        "end_part",
        "hours",
        "amount_display",
        "balance_before_after",
        "team_overlap",
        "substitutes_display",
        "reason",
        "attachment_link",
        "status",
        "decided_by",
        "decided_at",
        "decision_note",
        "created_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user", "leave_type", "decided_by")
        if request.user.is_hr:
            return queryset
        # Managers see their reports' requests only, never their own.
        return queryset.filter(user__manager=request.user)

    def _may_use(self, request):
        return request.user.is_active and request.user.is_staff and (request.user.is_hr or request.user.is_manager)

    def has_module_permission(self, request):
        return self._may_use(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._may_use(request) or super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        # The actions need "change"; the page of one request is read-only (decisions go
        # through the actions and services, never through editing fields).
        if obj is not None:
            return False
        return self._may_use(request) or super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return False  # requests are submitted by employees (pages, API)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext("Amount"), ordering="amount")
    def amount_display(self, obj):
        return f"{format_number(obj.amount)} {obj.leave_type.unit}"

    @admin.display(description=gettext("Balance before → after"))
    def balance_before_after(self, obj):
        if not obj.leave_type.deducts_allowance:
            return f"{obj.leave_type.name} does not use an allowance."
        year = obj.start_date.year
        current = LedgerEntry.objects.filter(user_id=obj.user_id, leave_type_id=obj.leave_type_id, year=year).total()
        unit = obj.leave_type.unit
        if obj.status == LeaveStatus.PENDING:
            before, after = current, current - obj.amount
            suffix = " if approved"
        elif obj.status == LeaveStatus.APPROVED:
            before, after = current + obj.amount, current
            suffix = " (booked)"
        else:
            return f"{format_number(current)} {unit} (nothing booked)"
        return f"{format_number(before)} → {format_number(after)} {unit} in {year}{suffix}"

    @admin.display(description=gettext("Also off in the team"))
    def team_overlap(self, obj):
        team = Q(user__manager_id=obj.user.manager_id) if obj.user.manager_id else Q(user_id=obj.user_id)
        others = (
            LeaveRequest.objects.active()
            .overlapping(obj.start_date, obj.end_date)
            .filter(team)
            .exclude(pk=obj.pk)
            .select_related("user", "leave_type")
            .order_by("start_date")
        )
        if not others:
            return "Nobody"
        return format_html_join(
            ", ",
            "{} ({}–{}, {})",
            (
                (other.user, f"{other.start_date:%d %b}", f"{other.end_date:%d %b}", other.get_status_display().lower())
                for other in others
            ),
        )

    @admin.display(description=gettext("Substitutes"))
    def substitutes_display(self, obj):
        leave_request = LeaveRequest.objects.with_substitutes().get(pk=obj.pk)
        links = leave_request.substitute_links.all()
        if not links:
            return "None named"
        away = services.substitutes_away_by_request([leave_request])[obj.pk]
        return "; ".join([", ".join(str(link.user) for link in links), *(item.message for item in away)])

    @admin.display(description=gettext("Attachment"))
    def attachment_link(self, obj):
        if not obj.attachment:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("leave:attachment", args=[obj.pk]), obj.attachment_name)

    def _report(self, request, result, verb):
        level = messages.SUCCESS if not result.skipped else (messages.WARNING if result.done else messages.ERROR)
        self.message_user(request, result.summary(verb), level)

    @admin.action(description=gettext("Approve selected leave requests"), permissions=["change"])
    def approve_selected(self, request, queryset):
        ids = list(queryset.order_by("start_date", "pk").values_list("pk", flat=True))
        result = services.leave_requests_decide(leave_request_ids=ids, actor=request.user, approve=True)
        self._report(request, result, "approved")

    def has_hr_permission(self, request):
        return hr_in_admin(request)

    @admin.action(description=gettext("Cancel selected leave requests (HR; restores the balance)"), permissions=["hr"])
    def cancel_selected(self, request, queryset):
        result = services.BulkResult()
        for pk in queryset.order_by("start_date", "pk").values_list("pk", flat=True):
            try:
                result.done.append(services.leave_request_cancel(leave_request_id=pk, actor=request.user))
            except LeaveError as error:
                result.skipped.append((pk, error.message.rstrip(".")))
        self._report(request, result, "cancelled")

    @admin.action(description=gettext("Reject selected leave requests (with a note)"), permissions=["change"])
    def reject_selected(self, request, queryset):
        note = (request.POST.get("note") or "").strip()
        if "apply" in request.POST and note and len(note) <= 500:
            ids = list(queryset.order_by("start_date", "pk").values_list("pk", flat=True))
            result = services.leave_requests_decide(leave_request_ids=ids, actor=request.user, approve=False, note=note)
            self._report(request, result, "rejected")
            return None
        error = ""
        if "apply" in request.POST:
            error = "Say why the requests are rejected (at most 500 characters)."
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject leave requests",
            "queryset": queryset.select_related("user", "leave_type"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": self.model._meta,
            "error": error,
            "note": note[:500],
        }
        return TemplateResponse(request, "admin/leave/leaverequest/reject_confirmation.html", context)


admin.site.register(LeaveRequest, LeaveRequestAdmin)


# The CalDAV calendars and their push outbox (a module of their own, registered on import).
import leave.admin_caldav  # noqa: E402, F401
