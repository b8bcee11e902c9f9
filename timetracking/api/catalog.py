"""Clients, projects, tasks and tags: read by everyone, written by HR and managers (anyone may create a tag,
as they can through an entry)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy
from rest_framework import permissions, serializers

from accounts.models import User
from core.serializers import ModelSerializer
from core.viewsets import ServiceModelViewSet
from timetracking import services
from timetracking.models import Client, Project, Tag, Task

# --- Permissions ------------------------------------------------------------------------------


class CatalogPermission(permissions.IsAuthenticated):
    """Everyone reads; HR and managers write. `allow_create_by_anyone` for tags."""

    message = services.CATALOG_NOT_ALLOWED

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if request.method == "POST" and getattr(view, "allow_create_by_anyone", False):
            return True
        return services.can_manage_catalog(request.user)


# --- Catalog serializers ----------------------------------------------------------------------
# The shape of the input only: names, uniqueness and every other rule are the services' (400 field
# errors with the same messages, 409 on a race lost on the unique indexes).


class ClientSerializer(ModelSerializer):
    class Meta:
        model = Client
        fields = ["id", "name", "created_at"]
        read_only_fields = ["created_at"]


class ProjectSerializer(ModelSerializer):
    client_name = serializers.CharField(source="client.name", read_only=True, allow_null=True)
    members = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=User.objects.filter(is_active=True),
        help_text=gettext_lazy("When not empty, only these users (and HR) may log time to the project."),
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "client",
            "client_name",
            "name",
            "code",
            "color",
            "active",
            "billable",
            "budget_hours",
            "members",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class TaskSerializer(ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "project", "name", "active"]


class TagSerializer(ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


# --- Catalog viewsets -------------------------------------------------------------------------


class CatalogViewSet(ServiceModelViewSet):
    """The catalog's writes go through timetracking.services, with the caller as the actor."""

    permission_classes = [CatalogPermission]
    instance_argument = "instance"
    data_argument = None  # the services take the fields as keywords: client_create(actor=..., name=...)
    update_service = staticmethod(services.catalog_update)
    delete_service = staticmethod(services.catalog_delete)

    def service_arguments(self):
        return {"actor": self.request.user}


class ClientFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)

    class Meta:
        model = Client
        fields: list[str] = []


class ClientViewSet(CatalogViewSet):
    """Clients. Everyone reads; HR and managers write. A client with projects cannot be deleted (409)."""

    serializer_class = ClientSerializer
    create_service = staticmethod(services.client_create)
    filterset_class = ClientFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return Client.objects.all()


class ProjectFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=200)
    loggable = django_filters.BooleanFilter(
        method="filter_loggable", label=gettext_lazy("Only projects I may log time to")
    )

    class Meta:
        model = Project
        fields = ["client", "active", "billable"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value) | Q(client__name__icontains=value))

    def filter_loggable(self, queryset, name, value):
        loggable = Project.objects.loggable_by(self.request.user).values("pk")
        return queryset.filter(pk__in=loggable) if value else queryset.exclude(pk__in=loggable)


class ProjectViewSet(CatalogViewSet):
    """Projects. Everyone reads; HR and managers write. Archive (`active: false`) instead of deleting
    a project with time entries (409)."""

    serializer_class = ProjectSerializer
    create_service = staticmethod(services.project_create)
    filterset_class = ProjectFilter
    ordering_fields = ["name", "code", "id", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        # select_related/prefetch: client_name and members would be one query per project.
        return Project.objects.select_related("client").prefetch_related("members")


class TaskFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)

    class Meta:
        model = Task
        fields = ["project", "active"]


class TaskViewSet(CatalogViewSet):
    """Tasks of projects. Everyone reads; HR and managers write."""

    serializer_class = TaskSerializer
    create_service = staticmethod(services.task_create)
    filterset_class = TaskFilter
    ordering_fields = ["name", "id", "project"]
    ordering = ["project", "name"]

    def get_queryset(self):
        return Task.objects.all()


class TagFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=50)

    class Meta:
        model = Tag
        fields: list[str] = []


class TagViewSet(CatalogViewSet):
    """Tags. Everyone reads and creates (entries create unknown tag names too); HR and managers
    rename and delete."""

    serializer_class = TagSerializer
    create_service = staticmethod(services.tag_create)
    filterset_class = TagFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]
    allow_create_by_anyone = True

    def get_queryset(self):
        return Tag.objects.all()
