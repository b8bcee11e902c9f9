"""The catalog (clients, projects, tasks, tags): deleting what no entry uses."""

from django.db import transaction
from django.db.models import ProtectedError

from timetracking.services.common import TimeTrackingConflict

# --- Catalog (clients, projects, tasks, tags) ---------------------------------------------


@transaction.atomic
def catalog_delete(*, instance):
    """Delete a client/project/task/tag; one that time entries use is refused (archive it instead)."""
    try:
        with transaction.atomic():
            instance.delete()
    except ProtectedError as error:
        raise TimeTrackingConflict(
            f"{instance._meta.verbose_name.capitalize()} “{instance}” is in use by time entries or projects; "
            "archive it instead.",
            code="in_use",
        ) from error
