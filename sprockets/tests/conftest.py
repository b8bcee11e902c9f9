import pytest


@pytest.fixture
def planner(db):
    """A production planner (the `production` group): writes production data."""
    from sprockets.tests.factories import PlannerFactory

    return PlannerFactory(username="planner")
