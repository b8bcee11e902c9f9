"""The base of the API's CRUD viewsets whose writes go through the app's services."""

from collections.abc import Callable
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model
from rest_framework import viewsets
from rest_framework.serializers import BaseSerializer


class ServiceModelViewSet(viewsets.ModelViewSet):
    """CRUD whose writes call the app's services, so that no rule is written again in the API.

    The serializer checks the shape of the input; the service checks the rules, saves and audits.
    A subclass names its services (as `staticmethod(...)`) and the keyword they take the object by:

        create_service(**service_arguments(), data=validated_data)
        update_service(**service_arguments(), <instance_argument>=instance, data=validated_data)
        delete_service(**service_arguments(), <instance_argument>=instance)

    `data_argument = None` passes the validated data as keywords instead (`client_create(name=...)`);
    `service_arguments()` adds what every call takes besides, e.g. `{"actor": self.request.user}`.
    Permissions are the subclass's (`permission_classes`): this class knows no app's roles.
    """

    create_service: ClassVar[Callable[..., Any] | None] = None
    update_service: ClassVar[Callable[..., Any] | None] = None
    delete_service: ClassVar[Callable[..., Any] | None] = None
    instance_argument: ClassVar[str | None] = None
    data_argument: ClassVar[str | None] = "data"

    def service_arguments(self) -> dict[str, Any]:
        return {}

    def _service(self, name: str) -> Callable[..., Any]:
        service: Callable[..., Any] | None = getattr(type(self), name)
        if service is None:
            raise ImproperlyConfigured(f"{type(self).__name__} has no {name}.")
        return service

    def _instance(self, instance: Model) -> dict[str, Any]:
        if self.instance_argument is None:
            raise ImproperlyConfigured(f"{type(self).__name__} has no instance_argument.")
        return {self.instance_argument: instance}

    def _data(self, serializer: BaseSerializer[Any]) -> dict[str, Any]:
        data = dict(serializer.validated_data)
        return data if self.data_argument is None else {self.data_argument: data}

    def perform_create(self, serializer: BaseSerializer[Any]) -> None:
        serializer.instance = self._service("create_service")(**self.service_arguments(), **self._data(serializer))

    def perform_update(self, serializer: BaseSerializer[Any]) -> None:
        assert serializer.instance is not None  # an update's serializer holds the object
        serializer.instance = self._service("update_service")(
            **self.service_arguments(), **self._instance(serializer.instance), **self._data(serializer)
        )

    def perform_destroy(self, instance: Model) -> None:
        self._service("delete_service")(**self.service_arguments(), **self._instance(instance))
