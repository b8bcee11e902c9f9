from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "manager", "timezone", "country", "is_staff"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", "country"]
    list_select_related = ["manager"]
    search_fields = ["username", "first_name", "last_name", "email"]
    autocomplete_fields = ["manager"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            "Work",
            {"fields": ("manager", "timezone", "country", "subdivision", "weekly_hours", "working_weekdays")},
        ),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),
        ("Work", {"fields": ("manager", "timezone", "country", "subdivision", "weekly_hours", "working_weekdays")}),
    )
