from django.contrib import admin

from core.admin_forms import SafeForeignKeysAdmin
from reports.models import ExportJob, ImportedRow, ImportJob


@admin.register(ExportJob)
class ExportJobAdmin(SafeForeignKeysAdmin, admin.ModelAdmin):
    list_display = [
        "id",
        "requested_by",
        "kind",
        "format",
        "status",
        "processed_rows",
        "total_rows",
        "attempts",
        "created_at",
    ]
    list_filter = ["status", "format", "kind"]
    list_select_related = ["requested_by"]
    raw_id_fields = ["requested_by"]
    readonly_fields = [field.name for field in ExportJob._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(SafeForeignKeysAdmin, admin.ModelAdmin):
    list_display = [
        "id",
        "requested_by",
        "user",
        "format",
        "status",
        "total_rows",
        "created_count",
        "attempts",
        "created_at",
    ]
    list_filter = ["status", "format"]
    list_select_related = ["requested_by", "user"]
    raw_id_fields = ["requested_by", "user"]
    readonly_fields = [field.name for field in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ImportedRow)
class ImportedRowAdmin(SafeForeignKeysAdmin, admin.ModelAdmin):
    list_display = ["id", "user", "key", "entry", "job", "created_at"]
    list_select_related = ["user", "entry", "job"]
    raw_id_fields = ["user", "entry", "job"]
    search_fields = ["key"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
