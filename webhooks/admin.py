from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext

from accounts.admin import HROnlyMixin
from core.admin_forms import SafeForeignKeysAdmin
from core.errors import DomainError
from webhooks import services
from webhooks.models import Delivery, Endpoint, OutboxEvent


def _https_by_default(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")  # Django 6's default, without its warning
    return db_field.formfield(**kwargs)


class EndpointForm(forms.ModelForm):
    """The URL goes through the same check as the API's (webhooks/destinations.py)."""

    class Meta:
        model = Endpoint
        fields = ["url", "description", "events", "is_active"]
        formfield_callback = _https_by_default

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            return services.endpoint_validate_url(url)
        except DomainError as error:
            raise forms.ValidationError(error.message, code=error.code) from error


@admin.register(Endpoint)
class EndpointAdmin(HROnlyMixin, SafeForeignKeysAdmin, admin.ModelAdmin):
    form = EndpointForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["url", "description", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    readonly_fields = ["secret", "created_by", "created_at"]

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)


@admin.register(Delivery)
class DeliveryAdmin(HROnlyMixin, SafeForeignKeysAdmin, admin.ModelAdmin):
    list_display = ["id", "event", "endpoint", "status", "attempts", "response_status", "last_attempt_at"]
    list_filter = ["status", "endpoint"]
    list_select_related = ["event", "endpoint"]
    readonly_fields = [field.name for field in Delivery._meta.fields]
    actions = ["resend_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)  # needed for the action; every field is read-only

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext("Re-send selected deliveries"))
    def resend_selected(self, request, queryset):
        count = 0
        for delivery in queryset:
            services.delivery_resend(delivery=delivery)
            count += 1
        self.message_user(request, f"{count} deliver{'y' if count == 1 else 'ies'} queued again.")


@admin.register(OutboxEvent)
class OutboxEventAdmin(HROnlyMixin, SafeForeignKeysAdmin, admin.ModelAdmin):
    list_display = ["id", "event_type", "created_at", "relayed_at"]
    list_filter = ["event_type"]
    readonly_fields = ["event_type", "payload", "created_at", "relayed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
