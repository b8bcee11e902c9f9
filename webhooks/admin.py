from django.contrib import admin

from accounts.admin import HROnlyMixin
from webhooks import services
from webhooks.models import Delivery, Endpoint, OutboxEvent


@admin.register(Endpoint)
class EndpointAdmin(HROnlyMixin, admin.ModelAdmin):
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
class DeliveryAdmin(HROnlyMixin, admin.ModelAdmin):
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

    @admin.action(description="Re-send selected deliveries")
    def resend_selected(self, request, queryset):
        count = 0
        for delivery in queryset:
            services.delivery_resend(delivery=delivery)
            count += 1
        self.message_user(request, f"{count} deliver{'y' if count == 1 else 'ies'} queued again.")


@admin.register(OutboxEvent)
class OutboxEventAdmin(HROnlyMixin, admin.ModelAdmin):
    list_display = ["id", "event_type", "created_at", "relayed_at"]
    list_filter = ["event_type"]
    readonly_fields = ["event_type", "payload", "created_at", "relayed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
