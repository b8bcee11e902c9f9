"""Clients, projects, tasks and tags: read by everyone, written by HR and managers (anyone may create a tag,
as they can through an entry)."""

import django_filters
from django.db import IntegrityError
from django.db.models import Q
from rest_framework import permissions, serializers, viewsets

from accounts.models import User
from core.serializers import ModelSerializer
from timetracking import services
from timetracking.models import Client, Project, Tag, Task

# --- Permissions ------------------------------------------------------------------------------


class CatalogPermission(permissions.IsAuthenticated):
    """Everyone reads; HR and managers write. `allow_create_by_anyone` for tags."""

    message = "Only HR and managers can change clients, projects, tasks and tags."

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if request.method == "POST" and getattr(view, "allow_create_by_anyone", False):
            return True
        return services.can_manage_catalog(request.user)


# --- Catalog serializers ----------------------------------------------------------------------


def _unique_ci(queryset, instance, message, **lookups):
    if instance is not None:
        queryset = queryset.exclude(pk=instance.pk)
    if queryset.filter(**lookups).exists():
        raise serializers.ValidationError(message)


class ClientSerializer(ModelSerializer):
    class Meta:
        model = Client
        fields = ["id", "name", "created_at"]
        read_only_fields = ["created_at"]

    def validate_name(self, value):
        value = value.strip()
        _unique_ci(Client.objects.all(), self.instance, "A client with this name exists.", name__iexact=value)
        return value


class ProjectSerializer(ModelSerializer):
    client_name = serializers.CharField(source="client.name", read_only=True, allow_null=True)
    members = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=User.objects.filter(is_active=True),
        help_text="When not empty, only these users (and HR) may log time to the project.",
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

    def validate(self, attrs):
        name = attrs.get("name", getattr(self.instance, "name", "")).strip()
        client = attrs["client"] if "client" in attrs else getattr(self.instance, "client", None)
        others = Project.objects.exclude(pk=self.instance.pk) if self.instance else Project.objects.all()
        if others.filter(name__iexact=name, client=client).exists():
            raise serializers.ValidationError({"name": "This client already has a project with this name."})
        code = attrs.get("code", "")
        if code and others.filter(code=code).exists():
            raise serializers.ValidationError({"code": "Another project uses this code."})
        return attrs


class TaskSerializer(ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "project", "name", "active"]

    def validate(self, attrs):
        name = attrs.get("name", getattr(self.instance, "name", "")).strip()
        project = attrs.get("project", getattr(self.instance, "project", None))
        others = Task.objects.exclude(pk=self.instance.pk) if self.instance else Task.objects.all()
        if others.filter(project=project, name__iexact=name).exists():
            raise serializers.ValidationError({"name": "This project already has a task with this name."})
        return attrs


class TagSerializer(ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]

    def validate_name(self, value):
        value = " ".join(value.split())
        if not value:
            raise serializers.ValidationError("A tag name cannot be empty.")
        _unique_ci(Tag.objects.all(), self.instance, "A tag with this name exists.", name__iexact=value)
        return value


# --- Catalog viewsets -------------------------------------------------------------------------


class CatalogViewSet(viewsets.ModelViewSet):
    permission_classes = [CatalogPermission]

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer)

    def _save(self, serializer):
        try:
            serializer.save()
        except IntegrityError as error:
            # Two requests creating the same name at once: the unique index refuses the second.
            raise services.TimeTrackingConflict("This name is already taken.", code="duplicate") from error

    def perform_destroy(self, instance):
        services.catalog_delete(instance=instance)


class ClientFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)

    class Meta:
        model = Client
        fields = []


class ClientViewSet(CatalogViewSet):
    """Clients. Everyone reads; HR and managers write. A client with projects cannot be deleted (409)."""

    serializer_class = ClientSerializer
    filterset_class = ClientFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]

    def get_queryset(self):
        return Client.objects.all()


class ProjectFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", max_length=200)
    loggable = django_filters.BooleanFilter(method="filter_loggable", label="Only projects I may log time to")

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
    filterset_class = TaskFilter
    ordering_fields = ["name", "id", "project"]
    ordering = ["project", "name"]

    def get_queryset(self):
        return Task.objects.all()


class TagFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=50)

    class Meta:
        model = Tag
        fields = []


class TagViewSet(CatalogViewSet):
    """Tags. Everyone reads and creates (entries create unknown tag names too); HR and managers
    rename and delete."""

    serializer_class = TagSerializer
    filterset_class = TagFilter
    ordering_fields = ["name", "id"]
    ordering = ["name"]
    allow_create_by_anyone = True

    def get_queryset(self):
        return Tag.objects.all()
