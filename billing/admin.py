"""Rates in the admin, read-only: every write goes through billing.services (rules and audit), which
the API calls; the admin shows the history for HR."""

from django.contrib import admin
from django.http import HttpRequest

from billing.models import ClientBilling, ProjectBilling, Rate


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return bool(getattr(request.user, "is_hr", False))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_hr", False))


@admin.register(Rate)
class RateAdmin(ReadOnlyAdmin):
    list_display = ["kind", "level", "client", "project", "task", "user", "amount", "currency", "valid_from"]
    list_filter = ["kind", "level", "currency"]
    list_select_related = ["client", "project", "task__project", "user"]
    date_hierarchy = "valid_from"


@admin.register(ClientBilling)
class ClientBillingAdmin(ReadOnlyAdmin):
    list_display = ["client", "currency"]
    list_select_related = ["client"]


@admin.register(ProjectBilling)
class ProjectBillingAdmin(ReadOnlyAdmin):
    list_display = ["project", "rounding_mode", "rounding_minutes", "rounding_scope"]
    list_select_related = ["project"]
