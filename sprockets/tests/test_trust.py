"""Production records leave an audit event and a `production.recorded` webhook event, in the
same transaction as the count they change; a refused batch leaves neither."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from sprockets import services
from sprockets.tests.factories import FactoryFactory, SprocketTypeFactory
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


def test_a_batch_through_the_api_is_audited_and_published(client_for, planner):
    factory = FactoryFactory()
    sprocket_type = SprocketTypeFactory()
    now = timezone.now().isoformat()
    response = client_for(planner).post(
        reverse("api:sprocket-bulk"),
        {"sprockets": [{"factory_id": factory.pk, "sprocket_type_id": sprocket_type.pk, "produced_at": now}] * 3},
        format="json",
    )
    assert response.status_code == 201, response.json()
    event = AuditEvent.objects.get(action="production.production")
    assert event.actor == planner
    assert event.changes == {"sprocket_production_actual": [0, 3]}
    published = OutboxEvent.objects.get(event_type="production.recorded")
    assert published.payload["factory_id"] == factory.pk and published.payload["count"] == 3


def test_a_refused_batch_writes_no_event(client_for, planner):
    factory = FactoryFactory()
    response = client_for(planner).post(
        reverse("api:sprocket-bulk"),
        {
            "sprockets": [
                {"factory_id": factory.pk, "sprocket_type_id": 999_999, "produced_at": timezone.now().isoformat()}
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action__startswith="production.").exists()
    assert not OutboxEvent.objects.exists()


def test_a_goal_change_is_audited_with_its_actor(planner):
    factory = FactoryFactory(sprocket_production_goal=100)
    services.factory_update(factory=factory, data={"sprocket_production_goal": 150}, actor=planner)
    event = AuditEvent.objects.get(action="factory.goal_changed")
    assert event.actor == planner and event.changes == {"sprocket_production_goal": [100, 150]}
