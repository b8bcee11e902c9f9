"""The CalDAV calendars in the admin (HR): where approved leave is pushed, and the push outbox to
watch. Imported by leave/admin.py. The password is written, never shown back."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext, gettext_lazy

from accounts.admin import hr_in_admin
from leave.caldav_models import CalDAVPush, CalDAVTarget
from leave.services import LeaveError
from leave.services.caldav import caldav_target_resync, caldav_target_validate


class CalDAVTargetForm(forms.ModelForm):
    password = forms.CharField(
        required=False,
        strip=False,
        # render_value=False: the stored password never comes back to the browser.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Stored as given, never shown. Leave empty to keep the current one."),
    )
    clear_password = forms.BooleanField(required=False, help_text=gettext_lazy("Remove the stored password."))

    class Meta:
        model = CalDAVTarget
        fields = ["name", "mode", "url", "username", "password", "clear_password", "show_leave_type", "is_enabled"]

    def clean(self):
        cleaned = super().clean()
        if "url" in cleaned and "mode" in cleaned:
            try:
                cleaned["url"] = caldav_target_validate(mode=cleaned["mode"], url=cleaned["url"])
            except LeaveError as error:
                self.add_error(error.field if error.field in self.fields else None, error.message)
        return cleaned

    def save(self, commit=True):
        target = super().save(commit=False)
        new_password = self.cleaned_data.get("password")
        if self.cleaned_data.get("clear_password"):
            target.password = ""
        elif not new_password and self.instance.pk:
            # An empty field keeps the stored password (the form never shows it, so it comes back empty).
            target.password = CalDAVTarget.objects.only("password").get(pk=self.instance.pk).password
        if commit:
            target.save()
        return target


class HROnly:
    def has_module_permission(self, request):
        return hr_in_admin(request)

    def has_view_permission(self, request, obj=None):
        return hr_in_admin(request)

    def has_add_permission(self, request, *args):
        return hr_in_admin(request)

    def has_change_permission(self, request, obj=None):
        return hr_in_admin(request)

    def has_delete_permission(self, request, obj=None):
        return hr_in_admin(request)


@admin.register(CalDAVTarget)
class CalDAVTargetAdmin(HROnly, admin.ModelAdmin):
    form = CalDAVTargetForm
    list_display = ["name", "mode", "url", "username", "has_password", "is_enabled"]
    list_filter = ["mode", "is_enabled"]
    actions = ["resync"]

    @admin.display(boolean=True, description=gettext("password"))
    def has_password(self, target):
        return bool(target.password)

    @admin.action(description=gettext("Push all approved leave that has not ended to these calendars"))
    def resync(self, request, queryset):
        for target in queryset:
            try:
                count = caldav_target_resync(target=target)
            except LeaveError as error:
                self.message_user(request, f"{target}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{target}: {count} pushes queued.", messages.SUCCESS)


@admin.register(CalDAVPush)
class CalDAVPushAdmin(HROnly, admin.ModelAdmin):
    """Read-only: the outbox is written by the leave services and emptied by the delivery task."""

    list_display = ["id", "target", "leave_request", "action", "status", "attempts", "last_error", "created_at"]
    list_filter = ["status", "action", "target"]
    list_select_related = ["target", "leave_request__user", "leave_request__leave_type"]
    readonly_fields = [field.name for field in CalDAVPush._meta.fields]
    raw_id_fields = ["leave_request"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
