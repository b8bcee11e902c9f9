"""Admin for clients, projects (with their tasks), tags and time entries.

The catalog's writes (save, the tasks inline, delete, archive) go through the catalog services, so
they are checked and audited as the API's are.

Time entries are read-only here (delete allowed): their rules (overlap, one running timer,
membership) live in services, which the pages and the API call. HR corrects entries there.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.utils.translation import gettext

from core.admin_forms import SafeForeignKeysAdmin
from timetracking import services
from timetracking.models import TIME_ENTRY_FIELDS, Client, Project, Tag, Task, TimeEntry, TimesheetPeriod


class CatalogAdminForm(forms.ModelForm):
    def clean(self):
        # The services' checks (names tidied, duplicates refused case-insensitively, with their own
        # messages) on a copy holding the form's values, so the form shows what the save would refuse,
        # by field; a field in error is then left out of the model's constraint check ("Constraint
        # “client_name_unique_ci” is violated." would say the same thing again).
        cleaned_data = super().clean()
        model = self._meta.model
        names = [name for name in services.CATALOG_FIELDS[model] if not model._meta.get_field(name).many_to_many]
        candidate = model(pk=self.instance.pk)
        for name in names:
            field = model._meta.get_field(name)
            setattr(candidate, field.attname, getattr(self.instance, field.attname))
            if name in cleaned_data:
                setattr(candidate, name, cleaned_data[name])
        try:
            services.catalog_validate(instance=candidate)
        except ValidationError as error:
            self.add_error(None, error)
            return cleaned_data
        for name in ("name", "code"):  # tidied
            if name in cleaned_data:
                cleaned_data[name] = getattr(candidate, name)
        return cleaned_data


class CatalogAdmin(SafeForeignKeysAdmin, admin.ModelAdmin):
    """Clients, projects, tasks and tags: HR and managers write (`can_manage_catalog`, besides the
    model permission); every save, inline row and delete goes through the catalog services (audited)."""

    form = CatalogAdminForm

    def _may_write(self, request):
        return services.can_manage_catalog(request.user)

    def has_add_permission(self, request):
        return self._may_write(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._may_write(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_write(request) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        fields = services.CATALOG_FIELDS[self.model]
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in fields}
            services.catalog_update(actor=request.user, instance=obj, **changes)
        else:
            members = form.cleaned_data.get("members") if "members" in fields else None
            services.catalog_create(actor=request.user, instance=obj, members=members)

    def save_related(self, request, form, formsets, change):
        # No form.save_m2m(): the service saved the members with the row (and audited them).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        for instance in formset.deleted_objects:
            services.catalog_delete(actor=request.user, instance=instance)
        fields = services.CATALOG_FIELDS[formset.model]
        for instance, changed in formset.changed_objects:
            changes = {name: getattr(instance, name) for name in changed if name in fields}
            services.catalog_update(actor=request.user, instance=instance, **changes)
        for instance in formset.new_objects:
            services.catalog_create(actor=request.user, instance=instance)

    def delete_model(self, request, obj):
        services.catalog_delete(actor=request.user, instance=obj)

    def delete_queryset(self, request, queryset):
        # One by one through the service: each delete is audited (the delete page has already
        # refused the ones in use).
        for instance in queryset:
            try:
                services.catalog_delete(actor=request.user, instance=instance)
            except services.TimeTrackingError as error:
                self.message_user(request, error.message, messages.ERROR)


class TaskInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        # Each form is checked against the saved tasks (CatalogAdminForm); two new rows of the same
        # name are only seen together, here.
        super().clean()
        seen = set()
        for form in self.forms:
            name = " ".join(str(form.cleaned_data.get("name") or "").split()).lower()
            if not name or self._should_delete_form(form):
                continue
            if name in seen:
                form.add_error("name", gettext("Two tasks here have this name."))
            seen.add(name)


class TaskInline(admin.TabularInline):
    model = Task
    form = CatalogAdminForm
    formset = TaskInlineFormSet
    extra = 1
    fields = ["name", "active"]


@admin.register(Client)
class ClientAdmin(CatalogAdmin):
    list_display = ["name", "project_count", "created_at"]
    search_fields = ["name"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        # project_count in the same query as the list (not one COUNT per client).
        return super().get_queryset(request).annotate(project_count=Count("projects"))

    @admin.display(description=gettext("projects"), ordering="project_count")
    def project_count(self, client):
        return client.project_count


@admin.register(Project)
class ProjectAdmin(CatalogAdmin):
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

    @admin.display(description=gettext("members"), ordering="member_count")
    def member_count(self, project):
        return project.member_count or "everyone"

    def _set_active(self, request, queryset, service, verb):
        done = 0
        for project in queryset:
            try:
                service(actor=request.user, instance=project)
                done += 1
            except services.TimeTrackingError as error:
                self.message_user(request, error.message, messages.WARNING)
        self.message_user(request, f"{done} project(s) {verb}.")

    @admin.action(description=gettext("Archive the selected projects (no new time)"), permissions=["change"])
    def archive(self, request, queryset):
        self._set_active(request, queryset, services.catalog_archive, "archived")

    @admin.action(description=gettext("Reopen the selected projects"), permissions=["change"])
    def unarchive(self, request, queryset):
        self._set_active(request, queryset, services.catalog_unarchive, "reopened")


@admin.register(Task)
class TaskAdmin(CatalogAdmin):
    list_display = ["name", "project", "active"]
    list_filter = ["active", "project__client"]
    list_select_related = ["project"]
    search_fields = ["name", "project__name"]
    autocomplete_fields = ["project"]


@admin.register(Tag)
class TagAdmin(CatalogAdmin):
    list_display = ["name", "entry_count"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entry_count=Count("time_entries"))

    @admin.display(description=gettext("entries"), ordering="entry_count")
    def entry_count(self, tag):
        return tag.entry_count


@admin.register(TimeEntry)
class TimeEntryAdmin(SafeForeignKeysAdmin, admin.ModelAdmin):
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

    @admin.display(description=gettext("description"))
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
class TimesheetPeriodAdmin(SafeForeignKeysAdmin, admin.ModelAdmin):
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

    @admin.action(description=gettext("Approve the selected submitted weeks (locks them)"), permissions=["view"])
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
