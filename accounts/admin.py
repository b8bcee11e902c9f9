from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import ApiKey, AuditEvent, OutgoingEmail, Position, User
from accounts.services.invitations import invitation_state
from core.admin_forms import SafeForeignKeysAdmin


def hr_in_admin(request: HttpRequest) -> bool:
    """Whether the admin's user is HR (the HR group or a superuser): the one check of every HR-only
    admin page, inline and action. The admin site itself has already required an active staff user."""
    return bool(request.user.is_active and request.user.is_hr)


class HROnlyMixin:
    """An admin page only HR sees (the apps' HR-only pages use it too)."""

    def has_module_permission(self, request):
        return hr_in_admin(request)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(User)
class UserAdmin(SafeForeignKeysAdmin, DjangoUserAdmin):
    """HR manages users here (the HR group, not only superusers: `manage.py setup`'s HR account is
    not one), like every HR page of the admin (`hr_in_admin`), not through model permissions that a
    new HR group would lack. Making someone superuser, giving single permissions and deleting stay a
    superuser's: HR deactivates someone who leaves, their history is kept."""

    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "manager",
        "position",
        "timezone",
        "country",
        "is_staff",
        "invitation",
    ]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", "country"]
    list_select_related = ["manager", "position"]
    search_fields = ["username", "first_name", "last_name", "email"]
    autocomplete_fields = ["manager", "position"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]  # a tuple in Django; the stubs allow None
        (
            "Work",
            {
                "fields": (
                    "manager",
                    "position",
                    "timezone",
                    "country",
                    "subdivision",
                    "weekly_hours",
                    "working_weekdays",
                )
            },
        ),
        ("Preferences", {"fields": ("duration_format",)}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),
        (
            "Work",
            {
                "fields": (
                    "manager",
                    "position",
                    "timezone",
                    "country",
                    "subdivision",
                    "weekly_hours",
                    "working_weekdays",
                )
            },
        ),
    )
    actions = ["logout_everywhere", "revoke_all_access"]
    SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions")
    INVITATION_WORDS = {"accepted": "Has a password", "none": "Never invited", "expired": "Invitation expired"}

    def has_module_permission(self, request):
        return hr_in_admin(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return hr_in_admin(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return hr_in_admin(request) or super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return hr_in_admin(request) or super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += self.SUPERUSER_ONLY_FIELDS
        return readonly

    @admin.display(description=gettext("Invitation"))
    def invitation(self, obj):
        """From the row (no query per user), in the words of the people pages."""
        state = invitation_state(obj)
        if state == "pending":
            return f"Invited {timezone.localdate(obj.invited_at):%-d %b %Y}"
        return self.INVITATION_WORDS[state]

    def has_revoke_permission(self, request):
        return hr_in_admin(request)

    @admin.action(description=gettext("Log out everywhere (sessions and API refresh tokens)"), permissions=["revoke"])
    def logout_everywhere(self, request, queryset):
        for user in queryset:
            services.user_revoke_access(user=user, actor=request.user, reason="logout_everywhere")
        self.message_user(request, f"{len(queryset)} user(s) logged out everywhere.")

    @admin.action(
        description=gettext("Revoke all access (sessions, refresh tokens, API keys, calendar feeds)"),
        permissions=["revoke"],
    )
    def revoke_all_access(self, request, queryset):
        for user in queryset:
            services.user_revoke_access(user=user, actor=request.user, reason="revoke_all_access", keys_and_feeds=True)
        self.message_user(request, f"All access of {len(queryset)} user(s) revoked.")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only (the database refuses updates and deletes too)."""

    list_display = ["created_at", "actor_username", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_username", "object_id", "request_id", "action"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_hr else queryset.none()

    def has_view_permission(self, request, obj=None):
        return hr_in_admin(request)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(SafeForeignKeysAdmin, admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "read_only", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["read_only"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    raw_id_fields = ["user"]
    readonly_fields = ["prefix", "last_used_at", "revoked_at", "created_at"]
    actions = ["revoke_selected"]

    def has_add_permission(self, request):
        return False  # keys are created by their owner through the API, which shows them once

    @admin.action(description=gettext("Revoke selected API keys"))
    def revoke_selected(self, request, queryset):
        for api_key in queryset:
            services.api_key_revoke(api_key=api_key, actor=request.user)
        self.message_user(request, f"{queryset.count()} key(s) revoked.")


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(HROnlyMixin, admin.ModelAdmin):
    """HR sees what was e-mailed to whom and what failed, and can send failed ones again."""

    list_display = ["id", "user", "subject", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    list_select_related = ["user"]
    search_fields = ["subject", "user__username"]
    readonly_fields = [field.name for field in OutgoingEmail._meta.fields]
    actions = ["send_again"]

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)  # needed for the action; every field is read-only

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext("Send the selected failed e-mails again"))
    def send_again(self, request, queryset):
        count = services.emails_retry(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} e-mail(s) queued again.")


@admin.register(Position)
class PositionAdmin(SafeForeignKeysAdmin, HROnlyMixin, admin.ModelAdmin):
    """HR's only (HROnlyMixin): no one else sees the page, so no one else sees a salary. Writes go
    through the services, so the trail records a salary change without its amounts."""

    list_display = ["title", "salary", "holder_count", "updated_at"]
    search_fields = ["title"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(holder_total=Count("holders"))

    @admin.display(description=gettext("Held by"), ordering="holder_total")
    def holder_count(self, obj):
        return obj.holder_total

    def has_add_permission(self, request):
        return hr_in_admin(request)

    def has_change_permission(self, request, obj=None):
        return hr_in_admin(request)

    def has_delete_permission(self, request, obj=None):
        return hr_in_admin(request)

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name] for name in ("title", "description", "salary") if name in form.cleaned_data
        }
        if change:
            saved = services.position_update(actor=request.user, position=obj, data=data)
        else:
            saved = services.position_create(actor=request.user, data=data)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.position_delete(actor=request.user, position=obj)

    def delete_queryset(self, request, queryset):
        for position in queryset:
            services.position_delete(actor=request.user, position=position)


# Django's own group form, with the safe choice fields (a permission id beyond the database's
# integers is a form error, not a 500).
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(SafeForeignKeysAdmin, DjangoGroupAdmin):
    pass


# django-otp's own admin lists the authenticator secrets (and draws their QR codes): nobody should
# read someone else's key. HR resets a lost second factor on the person's page or the API instead.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
