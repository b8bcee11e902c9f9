from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)  # a Friday


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def data_file():
    return lambda name: (DATA / name).read_bytes()


@pytest.fixture
def catalog(db):
    """The projects, tasks and tags the sample files name."""
    from reports.tests.factories import ProjectFactory, TagFactory, TaskFactory
    from timetracking.models import Client

    acme = Client.objects.create(name="Acme Corp")
    website = ProjectFactory(name="Website relaunch", client=acme)
    internal = ProjectFactory(name="Internal", client=None, billable=False)
    for name in ("Frontend", "Backend"):
        TaskFactory(project=website, name=name)
    for name in ("Meetings", "Training"):
        TaskFactory(project=internal, name=name)
    for name in ("development", "review", "meeting"):
        TagFactory(name=name)
    return {"website": website, "internal": internal}


@pytest.fixture
def toggl_import_job(data_file):
    """`make(user, **fields)`: an import job of the sample Toggl file (4 rows), its fields then
    set as given (e.g. status=QUEUED), as a job a worker would find."""

    def make(user, **fields):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from reports import services
        from reports.models import ImportJob

        uploaded = SimpleUploadedFile("toggl.csv", data_file("toggl_detailed.csv"), content_type="text/csv")
        job = services.import_job_create(requested_by=user, user=user, uploaded=uploaded, file_format="toggl")
        ImportJob.objects.filter(pk=job.pk).update(**fields)
        return job

    return make
