"""The admin: lists with filters and search, a chart link per factory, and writes through the services."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sprockets.models import ChartPointReason, Factory, ProductionChartPoint, Sprocket
from sprockets.tests.factories import FactoryFactory, LocationFactory, SprocketFactory, SprocketTypeFactory

pytestmark = pytest.mark.django_db

MODELS = ["location", "sprockettype", "factory", "sprocket", "productionchartpoint"]


@pytest.mark.parametrize("model", MODELS)
def test_changelists_with_search_and_filters(admin_client, model):
    SprocketFactory()
    url = reverse(f"admin:sprockets_{model}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "a"}).status_code == 200


def test_changelist_query_count_does_not_grow(admin_client, django_assert_max_num_queries):
    url = reverse("admin:sprockets_sprocket_changelist")
    SprocketFactory.create_batch(2)
    with django_assert_max_num_queries(20) as first:
        admin_client.get(url)
    SprocketFactory.create_batch(10)
    with django_assert_max_num_queries(len(first)):
        admin_client.get(url)


def test_factory_list_links_each_chart(admin_client):
    factory = FactoryFactory()
    html = admin_client.get(reverse("admin:sprockets_factory_changelist")).content.decode()
    assert f'href="/factories/{factory.pk}/"' in html


def test_adding_a_factory_in_the_admin_records_its_first_point(admin_client):
    location = LocationFactory()
    response = admin_client.post(
        reverse("admin:sprockets_factory_add"),
        {"name": "Admin Works", "location": location.pk, "sprocket_production_goal": 70},
    )
    assert response.status_code == 302
    factory = Factory.objects.get(name="Admin Works")
    assert list(factory.chart_points.values_list("reason", flat=True)) == [ChartPointReason.CREATED]


def test_changing_the_goal_in_the_admin_records_a_point(admin_client):
    factory = FactoryFactory(sprocket_production_goal=10)
    response = admin_client.post(
        reverse("admin:sprockets_factory_change", args=[factory.pk]),
        {"name": factory.name, "location": factory.location_id, "sprocket_production_goal": 25},
    )
    assert response.status_code == 302
    assert factory.chart_points.last().sprocket_production_goal == 25


def test_recording_a_sprocket_in_the_admin_updates_the_actual(admin_client):
    factory, sprocket_type = FactoryFactory(), SprocketTypeFactory()
    produced = timezone.now() - timedelta(hours=1)
    response = admin_client.post(
        reverse("admin:sprockets_sprocket_add"),
        {
            "name": "",
            "sprocket_type": sprocket_type.pk,
            "factory": factory.pk,
            "produced_at_0": produced.strftime("%Y-%m-%d"),
            "produced_at_1": produced.strftime("%H:%M:%S"),
            "serial_number": "ADM-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    factory.refresh_from_db()
    assert factory.sprocket_production_actual == 1


def test_a_refused_admin_change_is_a_message_not_a_500(admin_client):
    factory, sprocket_type = FactoryFactory(), SprocketTypeFactory()
    future = timezone.now() + timedelta(days=2)
    response = admin_client.post(
        reverse("admin:sprockets_sprocket_add"),
        {
            "sprocket_type": sprocket_type.pk,
            "factory": factory.pk,
            "produced_at_0": future.strftime("%Y-%m-%d"),
            "produced_at_1": future.strftime("%H:%M:%S"),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "in the future" in response.content.decode()
    assert not Sprocket.objects.exists()


def test_chart_history_is_read_only_in_the_admin(admin_client):
    point = FactoryFactory().chart_points.get()
    assert admin_client.get(reverse("admin:sprockets_productionchartpoint_add")).status_code == 403
    assert admin_client.post(reverse("admin:sprockets_productionchartpoint_delete", args=[point.pk])).status_code == 403
    assert ProductionChartPoint.objects.filter(pk=point.pk).exists()


def test_production_group_staff_use_the_admin_but_cannot_touch_history(client, planner):
    planner.is_staff = True
    planner.save(update_fields=["is_staff"])
    client.force_login(planner)
    assert client.get(reverse("admin:sprockets_factory_add")).status_code == 200
    assert client.get(reverse("admin:sprockets_sprocket_changelist")).status_code == 200
    assert client.get(reverse("admin:sprockets_productionchartpoint_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
