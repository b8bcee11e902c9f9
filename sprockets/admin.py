"""Production in the admin. Saves and deletes go through the services, so the running totals and
the chart history stay right whichever door a change comes through."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpResponseRedirect
from django.utils.html import format_html
from django.utils.translation import gettext

from core.admin_forms import SafeForeignKeysAdmin
from core.errors import DomainError
from sprockets import services
from sprockets.models import Factory, Location, ProductionChartPoint, Sprocket, SprocketType


class ServiceAdmin(SafeForeignKeysAdmin, admin.ModelAdmin):
    """Routes saves and deletes through the `create`/`update`/`delete` services."""

    service_fields: tuple[str, ...] = ()
    instance_argument: str | None = None
    # Each a service function (keyword arguments), set with staticmethod().
    create_service: Callable[..., models.Model] | None = None
    update_service: Callable[..., models.Model] | None = None
    delete_service: Callable[..., None] | None = None

    def _data(self, obj, form, change):
        fields = [
            field for field in self.service_fields if not change or field.removesuffix("_id") in form.changed_data
        ]
        return {field: getattr(obj, field) for field in fields}

    def save_model(self, request, obj, form, change):
        data = self._data(obj, form, change)
        if change:
            saved = type(self).update_service(**{self.instance_argument: obj}, data=data)
        else:
            saved = type(self).create_service(data=data)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        try:
            type(self).delete_service(**{self.instance_argument: obj})
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form has already run the model's validation; what is left is a service rule
        # (a time in the future, a location still in use, ...). Nothing was saved: say why.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (DomainError, ValidationError) as error:
            message = error.message if isinstance(error, DomainError) else " ".join(error.messages)
            self.message_user(request, f"Not saved: {message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Location)
class LocationAdmin(ServiceAdmin):
    list_display = ["name", "city", "state", "country_code", "postal_code"]
    list_filter = ["country_code"]
    search_fields = ["name", "city", "postal_code", "address_1"]
    service_fields = services.LOCATION_FIELDS
    instance_argument = "location"
    create_service = staticmethod(services.location_create)
    update_service = staticmethod(services.location_update)
    delete_service = staticmethod(services.location_delete)


@admin.register(SprocketType)
class SprocketTypeAdmin(ServiceAdmin):
    list_display = ["name", "teeth", "pitch_diameter", "pitch", "outside_diameter"]
    list_filter = ["teeth"]
    search_fields = ["name"]
    service_fields = services.SPROCKET_TYPE_FIELDS
    instance_argument = "sprocket_type"
    create_service = staticmethod(services.sprocket_type_create)
    update_service = staticmethod(services.sprocket_type_update)
    delete_service = staticmethod(services.sprocket_type_delete)


@admin.register(Factory)
class FactoryAdmin(ServiceAdmin):
    list_display = ["name", "location", "sprocket_production_goal", "sprocket_production_actual", "chart_link"]
    list_filter = ["location__country_code", "location"]
    list_select_related = ["location"]
    search_fields = ["name", "location__name", "location__city"]
    autocomplete_fields = ["location"]
    readonly_fields = ["sprocket_production_actual", "created_at", "chart_link"]
    fields = ["name", "location", "sprocket_production_goal", "sprocket_production_actual", "created_at", "chart_link"]
    service_fields = services.FACTORY_FIELDS
    instance_argument = "factory"
    create_service = staticmethod(services.factory_create)
    update_service = staticmethod(services.factory_update)
    delete_service = staticmethod(services.factory_delete)

    @admin.display(description=gettext("Chart"))
    def chart_link(self, factory):
        if not factory.pk:
            return "–"
        return format_html('<a href="{}">Goal vs actual chart</a>', factory.get_absolute_url())


@admin.register(Sprocket)
class SprocketAdmin(ServiceAdmin):
    list_display = ["__str__", "factory", "sprocket_type", "produced_at", "serial_number"]
    list_filter = ["factory", "sprocket_type", "produced_at"]
    list_select_related = ["factory", "sprocket_type"]
    search_fields = ["serial_number", "name", "factory__name"]
    autocomplete_fields = ["factory", "sprocket_type"]
    date_hierarchy = "produced_at"
    service_fields = services.SPROCKET_FIELDS
    instance_argument = "sprocket"
    update_service = staticmethod(services.sprocket_update)
    delete_service = staticmethod(services.sprocket_delete)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        obj.pk = services.sprocket_record(actor=request.user, **self._data(obj, form, change)).pk


@admin.register(ProductionChartPoint)
class ProductionChartPointAdmin(SafeForeignKeysAdmin, admin.ModelAdmin):
    """The history is written by the services only: read-only here."""

    list_display = ["factory", "time", "reason", "sprocket_production_goal", "sprocket_production_actual"]
    list_filter = ["reason", "factory"]
    list_select_related = ["factory"]
    search_fields = ["factory__name"]
    date_hierarchy = "time"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
