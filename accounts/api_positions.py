"""`positions/`: the jobs people hold. Everyone signed in reads titles and descriptions; HR writes
them and is the only one to whom an answer carries the salary."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated

from accounts import services
from accounts.models import Position
from accounts.permissions import IsHR
from core.serializers import ModelSerializer
from core.viewsets import ServiceModelViewSet

SALARY_FIELD = "salary"


class PositionIdField(serializers.PrimaryKeyRelatedField):
    """A position's id on a user: a whole number (or its digits), not 1.5 read as 1 or true as 1."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Position.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str) or (isinstance(data, str) and not data.isdigit()):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class PositionSerializer(ModelSerializer):
    """A position. `salary` (yearly, gross, in accounts.models.SALARY_CURRENCY) is in HR's answers
    only: for anyone else the field is not there at all, not even empty."""

    class Meta:
        model = Position
        fields = ["id", "title", "description", SALARY_FIELD, "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"description": {"required": False}, SALARY_FIELD: {"required": False}}

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        # Removed from the serializer itself (not only from the output): no path through this class
        # can read, write or echo a salary for someone who is not HR.
        if request is not None and not getattr(request.user, "is_hr", False):
            fields.pop(SALARY_FIELD, None)
        return fields


@extend_schema_view(
    create=extend_schema(description="HR only. A title is unique whatever its case."),
    partial_update=extend_schema(description="HR only."),
    update=extend_schema(description="HR only."),
    destroy=extend_schema(description="HR only. 409 `in_use` while someone holds the position."),
)
class PositionViewSet(ServiceModelViewSet):
    """Positions: titles and descriptions for everyone signed in; `salary` only in HR's answers."""

    serializer_class = PositionSerializer
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    ordering_fields = ["title", "id", "created_at"]
    ordering = ["title"]
    create_service = staticmethod(services.position_create)
    update_service = staticmethod(services.position_update)
    delete_service = staticmethod(services.position_delete)
    instance_argument = "position"

    def get_queryset(self):
        return Position.objects.all()

    def get_permissions(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return super().get_permissions()
        return [IsAuthenticated(), IsHR()]

    def service_arguments(self):
        return {"actor": self.request.user}
