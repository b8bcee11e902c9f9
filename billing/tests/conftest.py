import pytest

from timetracking.tests.factories import ClientFactory, ProjectFactory, TaskFactory


@pytest.fixture
def acme(db):
    return ClientFactory(name="Acme")


@pytest.fixture
def project(acme, employee):
    """The manager's project: their report works on it."""
    return ProjectFactory(client=acme, name="Website", members=[employee])


@pytest.fixture
def task(project):
    return TaskFactory(project=project, name="Design")


@pytest.fixture
def other_project(outsider):
    """Another manager's project (other_manager's report works on it)."""
    return ProjectFactory(name="Elsewhere", members=[outsider])
