"""Admin for clients, projects (with their tasks), tags and time entries.

Time entries are read-only here (delete allowed): their rules (overlap, one running timer,
membership) live in services, which the pages and the API call. HR corrects entries there.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect

from timetracking import services
from timetracking.models import TIME_ENTRY_FIELDS, Client, Project, Tag, Task, TimeEntry, TimesheetPeriod


class TaskInline(admin.TabularInline):
    model = Task
    extra = 1
    fields = ["name", "active"]


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["name", "project_count", "created_at"]
    search_fields = ["name"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        # project_count in the same query as the list (not one COUNT per client).
        return super().get_queryset(request).annotate(project_count=Count("projects"))

    @admin.display(description="projects", ordering="project_count")
    def project_count(self, client):
        return client.project_count


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "client", "code", "active", "billable", "budget_hours", "member_count"]
    list_filter = ["active", "billable", "client"]
    list_select_related = ["client"]
    search_fields = ["name", "code", "client__name"]
    autocomplete_fields = ["client", "members"]
    date_hierarchy = "created_at"
    inlines = [TaskInline]
    actions = ["archive", "unarchive"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description="members", ordering="member_count")
    def member_count(self, project):
        return project.member_count or "everyone"

    @admin.action(description="Archive the selected projects (no new time)")
    def archive(self, request, queryset):
        self.message_user(request, f"{queryset.update(active=False)} project(s) archived.")

    @admin.action(description="Reopen the selected projects")
    def unarchive(self, request, queryset):
        self.message_user(request, f"{queryset.update(active=True)} project(s) reopened.")


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "active"]
    list_filter = ["active", "project__client"]
    list_select_related = ["project"]
    search_fields = ["name", "project__name"]
    autocomplete_fields = ["project"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "entry_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entry_count=Count("time_entries"))

    @admin.display(description="entries", ordering="entry_count")
    def entry_count(self, tag):
        return tag.entry_count


@admin.register(TimeEntry)
class TimeEntryAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "ended_at",
        "user",
        "project",
        "task",
        "short_description",
        "hours",
        "billable",
        "source",
    ]
    list_filter = ["source", "billable", ("ended_at", admin.EmptyFieldListFilter), "project__client", "project"]
    list_select_related = ["user", "project", "task__project"]
    search_fields = ["description", "user__username", "user__last_name", "project__name", "task__name"]
    date_hierarchy = "started_at"
    readonly_fields = TIME_ENTRY_FIELDS

    @admin.display(description="description")
    def short_description(self, entry):
        return entry.description[:60]

    def get_queryset(self, request):
        # Managers (staff) see their reports' entries and their own; HR everyone's.
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or request.user.is_hr)

    # Deletes go through the service, like every entry write: an entry in an approved (locked)
    # week is refused, and the delete is audited and published.
    def delete_model(self, request, obj):
        services.entry_delete(entry=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        refused = 0
        for entry in queryset.select_related("user"):
            try:
                services.entry_delete(entry=entry, actor=request.user)
            except services.TimeTrackingError as error:
                refused += 1
                self.message_user(request, f"{entry}: {error.message}", messages.ERROR)
        if refused:
            self.message_user(request, f"{refused} entr(y/ies) were not deleted.", messages.WARNING)

    def delete_view(self, request, object_id, extra_context=None):
        entry = self.get_object(request, object_id)
        if entry is not None and request.method == "POST":
            if not self.has_delete_permission(request, entry):
                raise PermissionDenied
            try:
                services.entry_delete(entry=entry, actor=request.user)
            except services.TimeTrackingError as error:
                self.message_user(request, error.message, messages.ERROR)
                return redirect("admin:timetracking_timeentry_change", entry.pk)
            self.message_user(request, f"The time entry “{entry}” was deleted.", messages.SUCCESS)
            return redirect("admin:timetracking_timeentry_changelist")
        return super().delete_view(request, object_id, extra_context)


@admin.register(TimesheetPeriod)
class TimesheetPeriodAdmin(admin.ModelAdmin):
    """Weekly timesheets. Read-only: decisions go through the actions (the services' rules and audit)."""

    list_display = ["week_start", "user", "status", "submitted_at", "decided_by", "decided_at"]
    list_filter = ["status", "week_start"]
    list_select_related = ["user", "decided_by"]
    search_fields = ["user__username", "user__last_name"]
    date_hierarchy = "week_start"
    readonly_fields = [
        "user",
        "week_start",
        "status",
        "submitted_at",
        "decided_by",
        "decided_at",
        "note",
        "reopen_reason",
        "created_at",
        "updated_at",
    ]
    actions = ["approve"]

    def get_queryset(self, request):
        # Managers see their reports' weeks and their own; HR everyone's.
        return super().get_queryset(request).visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Approve the selected submitted weeks (locks them)", permissions=["view"])
    def approve(self, request, queryset):
        approved = 0
        for period in queryset.select_related("user"):
            try:
                services.period_approve(actor=request.user, period=period)
                approved += 1
            except services.TimeTrackingError as error:
                self.message_user(request, f"{period}: {error.message}", messages.ERROR)
        if approved:
            self.message_user(request, f"{approved} week(s) approved and locked.", messages.SUCCESS)
