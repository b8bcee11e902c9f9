"""The production API: Sprocket Corp field names, who may write, errors as JSON, no N+1."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from sprockets import services
from sprockets.models import Factory, Location, ProductionChartPoint, Sprocket, SprocketType
from sprockets.tests.factories import FactoryFactory, LocationFactory, SprocketFactory, SprocketTypeFactory

pytestmark = pytest.mark.django_db

LOCATIONS = reverse("api:location-list")
TYPES = reverse("api:sprocket-type-list")
FACTORIES = reverse("api:factory-list")
SPROCKETS = reverse("api:sprocket-list")
BULK = reverse("api:sprocket-bulk")


def factory_url(factory):
    return reverse("api:factory-detail", args=[factory.pk])


def chart_url(factory):
    return reverse("api:factory-chart", args=[factory.pk])


def recent():
    return (timezone.now() - timedelta(minutes=5)).isoformat()


def sprocket_payload(factory, sprocket_type, **extra):
    return {"factory_id": factory.pk, "sprocket_type_id": sprocket_type.pk, "produced_at": recent(), **extra}


# --- Who may read and write -------------------------------------------------------------------------


@pytest.mark.parametrize("url", [LOCATIONS, TYPES, FACTORIES, SPROCKETS])
def test_anonymous_gets_401(api_client, url):
    assert api_client.get(url).status_code == 401


@pytest.mark.parametrize("role", ["employee", "manager", "other_manager", "outsider", "hr", "planner"])
@pytest.mark.parametrize("url", [LOCATIONS, TYPES, FACTORIES, SPROCKETS])
def test_every_signed_in_user_reads(request, client_for, role, url):
    SprocketFactory()
    response = client_for(request.getfixturevalue(role)).get(url)
    assert response.status_code == 200
    assert response.json()["count"] >= 1


@pytest.mark.parametrize("role", ["employee", "manager", "other_manager", "outsider"])
def test_writes_by_others_are_403_and_change_nothing(request, client_for, role):
    client = client_for(request.getfixturevalue(role))
    factory = FactoryFactory(sprocket_production_goal=100)
    sprocket_type = SprocketTypeFactory()
    location_count = Location.objects.count()
    assert (
        client.post(
            LOCATIONS, {"name": "X", "address_1": "a", "city": "c", "country_code": "DE", "postal_code": "1"}
        ).status_code
        == 403
    )
    assert client.patch(factory_url(factory), {"sprocket_production_goal": 5}).status_code == 403
    assert client.delete(reverse("api:sprocket-type-detail", args=[sprocket_type.pk])).status_code == 403
    assert client.post(SPROCKETS, sprocket_payload(factory, sprocket_type)).status_code == 403
    assert client.post(BULK, {"sprockets": [sprocket_payload(factory, sprocket_type)]}).status_code == 403
    factory.refresh_from_db()
    assert (factory.sprocket_production_goal, factory.sprocket_production_actual) == (100, 0)
    assert Location.objects.count() == location_count and SprocketType.objects.filter(pk=sprocket_type.pk).exists()


@pytest.mark.parametrize("role", ["planner", "hr"])
def test_planners_and_hr_write(request, client_for, role):
    client = client_for(request.getfixturevalue(role))
    location = client.post(
        LOCATIONS,
        {
            "name": "Leipzig Works",
            "address_1": "1 Main Street",
            "address_2": "",
            "city": "Leipzig",
            "state": "Saxony",
            "country_code": "DE",
            "postal_code": "04109",
        },
    )
    assert location.status_code == 201, location.json()
    assert set(location.json()) == {
        "id",
        "name",
        "address_1",
        "address_2",
        "city",
        "state",
        "country_code",
        "postal_code",
    }
    sprocket_type = client.post(
        TYPES, {"name": "T20", "teeth": 20, "pitch_diameter": "80.000", "pitch": "12.700", "outside_diameter": "88.000"}
    )
    assert sprocket_type.status_code == 201, sprocket_type.json()
    factory = client.post(
        FACTORIES, {"name": "Leipzig", "location_id": location.json()["id"], "sprocket_production_goal": 50}
    )
    assert factory.status_code == 201, factory.json()
    assert factory.json() == {
        "id": factory.json()["id"],
        "name": "Leipzig",
        "location_id": location.json()["id"],
        "sprocket_production_goal": 50,
        "sprocket_production_actual": 0,
    }
    created = Factory.objects.get(pk=factory.json()["id"])
    sprocket = client.post(
        SPROCKETS,
        {
            "name": "first",
            "sprocket_type_id": sprocket_type.json()["id"],
            "factory_id": created.pk,
            "produced_at": recent(),
            "serial_number": "SN-1",
        },
    )
    assert sprocket.status_code == 201, sprocket.json()
    assert set(sprocket.json()) == {"id", "name", "sprocket_type_id", "factory_id", "produced_at", "serial_number"}
    assert client.get(factory_url(created)).json()["sprocket_production_actual"] == 1
    goal = client.patch(factory_url(created), {"sprocket_production_goal": 80})
    assert goal.status_code == 200 and goal.json()["sprocket_production_goal"] == 80
    assert ProductionChartPoint.objects.filter(factory=created).count() == 3  # created, production, goal
    assert client.delete(reverse("api:sprocket-detail", args=[sprocket.json()["id"]])).status_code == 204
    assert client.get(factory_url(created)).json()["sprocket_production_actual"] == 0


# --- Bad input: clear 400s, 404s, 409s ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"teeth": -1}, "teeth"),
        ({"teeth": 0}, "teeth"),
        ({"pitch": "-2"}, "pitch"),
        ({"outside_diameter": "80"}, "outside_diameter"),
        ({"outside_diameter": "79.5"}, "outside_diameter"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_sprocket_type_bad_input_is_a_field_error(client_for, planner, payload, field):
    data = {"name": "T20", "teeth": 20, "pitch_diameter": "80", "pitch": "12.7", "outside_diameter": "88", **payload}
    response = client_for(planner).post(TYPES, data)
    assert response.status_code == 400
    assert field in response.json()
    assert not SprocketType.objects.filter(name="T20").exists()


def test_partial_update_checks_outside_against_stored_pitch_diameter(client_for, planner):
    sprocket_type = SprocketTypeFactory()
    url = reverse("api:sprocket-type-detail", args=[sprocket_type.pk])
    response = client_for(planner).patch(url, {"outside_diameter": "90"})  # pitch diameter is 97.34
    assert response.status_code == 400 and "outside_diameter" in response.json()


@pytest.mark.parametrize("code", ["XX", "de", "DEU", "", "UK"])
def test_bad_country_code_is_a_field_error(client_for, planner, code):
    data = {"name": "L", "address_1": "a", "city": "c", "country_code": code, "postal_code": "99999"}
    response = client_for(planner).post(LOCATIONS, data)
    assert response.status_code == 400
    assert "country_code" in response.json()


def test_duplicate_postal_code_is_a_field_error(client_for, planner):
    LocationFactory(postal_code="04109")
    data = {"name": "L", "address_1": "a", "city": "c", "country_code": "DE", "postal_code": "04109"}
    response = client_for(planner).post(LOCATIONS, data)
    assert response.status_code == 400 and "postal_code" in response.json()


def test_unknown_factory_is_a_400_on_factory_id(client_for, planner):
    data = sprocket_payload(FactoryFactory(), SprocketTypeFactory(), factory_id=999_999)
    response = client_for(planner).post(SPROCKETS, data)
    assert response.status_code == 400
    assert "factory_id" in response.json()
    assert not Sprocket.objects.exists()


def test_unknown_location_is_a_400_on_location_id(client_for, planner):
    response = client_for(planner).post(FACTORIES, {"name": "F", "location_id": 999_999, "sprocket_production_goal": 1})
    assert response.status_code == 400 and "location_id" in response.json()


def test_duplicate_factory_name_is_a_field_error(client_for, planner):
    existing = FactoryFactory()
    data = {"name": existing.name, "location_id": existing.location_id, "sprocket_production_goal": 1}
    response = client_for(planner).post(FACTORIES, data)
    assert response.status_code == 400 and "name" in response.json()
    assert Factory.objects.count() == 1


def test_negative_goal_is_a_field_error(client_for, planner):
    factory = FactoryFactory()
    response = client_for(planner).patch(factory_url(factory), {"sprocket_production_goal": -5})
    assert response.status_code == 400 and "sprocket_production_goal" in response.json()


def test_actual_is_read_only(client_for, planner):
    factory = FactoryFactory()
    assert client_for(planner).patch(factory_url(factory), {"sprocket_production_actual": 99}).status_code == 200
    factory.refresh_from_db()
    assert factory.sprocket_production_actual == 0


def test_duplicate_serial_is_a_400(client_for, planner):
    existing = SprocketFactory(serial_number="SN-1")
    response = client_for(planner).post(
        SPROCKETS, sprocket_payload(existing.factory, existing.sprocket_type, serial_number="SN-1")
    )
    assert response.status_code == 400 and "serial_number" in response.json()


def test_future_and_malformed_times_are_400(client_for, planner):
    factory, sprocket_type = FactoryFactory(), SprocketTypeFactory()
    client = client_for(planner)
    future = (timezone.now() + timedelta(hours=2)).isoformat()
    assert "produced_at" in client.post(SPROCKETS, sprocket_payload(factory, sprocket_type, produced_at=future)).json()
    assert client.post(SPROCKETS, sprocket_payload(factory, sprocket_type, produced_at="yesterday")).status_code == 400


def test_deleting_things_in_use_is_409(client_for, planner):
    sprocket = SprocketFactory()
    client = client_for(planner)
    assert client.delete(factory_url(sprocket.factory)).status_code == 409
    assert client.delete(reverse("api:location-detail", args=[sprocket.factory.location_id])).status_code == 409
    assert client.delete(reverse("api:sprocket-type-detail", args=[sprocket.sprocket_type_id])).status_code == 409
    assert client.delete(factory_url(FactoryFactory())).status_code == 204


def test_missing_objects_are_404(client_for, employee):
    client = client_for(employee)
    assert client.get(reverse("api:factory-detail", args=[999_999])).status_code == 404
    assert client.get(reverse("api:factory-chart", args=[999_999])).status_code == 404
    assert client.get(reverse("api:sprocket-detail", args=[999_999])).status_code == 404


# --- Bulk -------------------------------------------------------------------------------------------


def test_bulk_records_all(client_for, planner):
    factory, sprocket_type = FactoryFactory(), SprocketTypeFactory()
    payload = {"sprockets": [sprocket_payload(factory, sprocket_type, serial_number=f"S{n}") for n in range(50)]}
    response = client_for(planner).post(BULK, payload)
    assert response.status_code == 201, response.json()
    assert response.json()["count"] == 50 and len(response.json()["results"]) == 50
    factory.refresh_from_db()
    assert factory.sprocket_production_actual == 50


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"factory_id": 999_999}, "factory_id"),
        ({"serial_number": "S0"}, "serial_number"),
        ({"produced_at": "x"}, "sprockets"),
    ],
)
def test_bulk_is_all_or_nothing(client_for, planner, bad, field):
    factory, sprocket_type = FactoryFactory(), SprocketTypeFactory()
    items = [sprocket_payload(factory, sprocket_type, serial_number=f"S{n}") for n in range(5)]
    items.append({**sprocket_payload(factory, sprocket_type), **bad})
    response = client_for(planner).post(BULK, {"sprockets": items})
    assert response.status_code == 400
    assert field in response.json()
    assert not Sprocket.objects.exists()
    factory.refresh_from_db()
    assert factory.sprocket_production_actual == 0


@pytest.mark.parametrize("count", [0, 1001])
def test_bulk_size_is_1_to_1000(client_for, planner, count):
    factory, sprocket_type = FactoryFactory(), SprocketTypeFactory()
    response = client_for(planner).post(BULK, {"sprockets": [sprocket_payload(factory, sprocket_type)] * count})
    assert response.status_code == 400 and "sprockets" in response.json()
    assert not Sprocket.objects.exists()


# --- Lists, filters, chart data, query counts ----------------------------------------------------------


def test_sprocket_filters(client_for, employee):
    first = SprocketFactory(produced_at=timezone.now() - timedelta(days=3))
    second = SprocketFactory(produced_at=timezone.now() - timedelta(hours=1))
    client = client_for(employee)

    def ids(**params):
        return sorted(row["id"] for row in client.get(SPROCKETS, params).json()["results"])

    assert ids(factory=first.factory_id) == [first.pk]
    assert ids(sprocket_type=second.sprocket_type_id) == [second.pk]
    assert ids(**{"from": (timezone.now() - timedelta(days=1)).isoformat()}) == [second.pk]
    assert ids(to=(timezone.now() - timedelta(days=1)).isoformat()) == [first.pk]
    assert client.get(SPROCKETS, {"from": "not-a-date"}).status_code == 400


def test_factory_list_without_chart_data_has_no_chart_data(client_for, employee):
    FactoryFactory()
    row = client_for(employee).get(FACTORIES).json()["results"][0]
    assert "chart_data" not in row


def test_with_chart_data_adds_parallel_arrays(client_for, employee):
    with time_machine.travel(datetime(2026, 3, 4, 8, tzinfo=UTC), tick=False):
        factory = FactoryFactory(sprocket_production_goal=100)
    with time_machine.travel(datetime(2026, 3, 4, 9, tzinfo=UTC), tick=False):
        SprocketFactory(factory=factory)
    with time_machine.travel(datetime(2026, 3, 4, 10, tzinfo=UTC), tick=False):
        services.factory_update(factory=factory, data={"sprocket_production_goal": 150})
    detail = client_for(employee).get(factory_url(factory), {"with_chart_data": "true"}).json()
    assert detail["chart_data"] == {
        "time": ["2026-03-04T08:00:00Z", "2026-03-04T09:00:00Z", "2026-03-04T10:00:00Z"],
        "sprocket_production_goal": [100, 100, 150],
        "sprocket_production_actual": [0, 1, 1],
    }
    listed = client_for(employee).get(FACTORIES, {"with_chart_data": "true"}).json()["results"][0]
    assert listed["chart_data"] == detail["chart_data"]


@pytest.mark.parametrize("with_chart_data", ["true", "false"])
def test_factory_list_query_count_does_not_grow(client_for, employee, django_assert_num_queries, with_chart_data):
    client = client_for(employee)
    for factory in FactoryFactory.create_batch(2):
        SprocketFactory(factory=factory)
    # count + page, + one prefetch of every listed factory's chart points with chart data
    expected = 3 if with_chart_data == "true" else 2
    with django_assert_num_queries(expected):
        assert client.get(FACTORIES, {"with_chart_data": with_chart_data}).status_code == 200
    for factory in FactoryFactory.create_batch(5):
        SprocketFactory(factory=factory)
    with django_assert_num_queries(expected):
        response = client.get(FACTORIES, {"with_chart_data": with_chart_data})
    assert response.json()["count"] == 7


@pytest.mark.parametrize("url", [SPROCKETS, LOCATIONS, TYPES])
def test_other_lists_query_count_does_not_grow(client_for, employee, django_assert_num_queries, url):
    SprocketFactory.create_batch(2)
    client = client_for(employee)
    with django_assert_num_queries(2):  # count + page
        client.get(url)
    SprocketFactory.create_batch(6)
    with django_assert_num_queries(2):
        assert client.get(url).json()["count"] >= 8


def test_chart_endpoint(client_for, employee):
    with time_machine.travel(datetime(2026, 3, 4, 6, tzinfo=UTC), tick=False):
        factory = FactoryFactory(sprocket_production_goal=240)
    with time_machine.travel(datetime(2026, 3, 6, tzinfo=UTC), tick=False):
        for hour in (8, 9, 9):
            SprocketFactory(factory=factory, produced_at=datetime(2026, 3, 4, hour, 30, tzinfo=UTC))
    response = client_for(employee).get(
        chart_url(factory), {"bucket": "hour", "from": "2026-03-04T08:00:00Z", "to": "2026-03-04T11:00:00Z"}
    )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "bucket": "hour",
        "time": ["2026-03-04T08:00:00Z", "2026-03-04T09:00:00Z", "2026-03-04T10:00:00Z"],
        "sprocket_production_goal": [10.0, 10.0, 10.0],
        "sprocket_production_actual": [1, 2, 0],
    }


@time_machine.travel(datetime(2026, 3, 6, 12, tzinfo=UTC), tick=False)
def test_chart_defaults_to_30_days(client_for, employee):
    factory = FactoryFactory()
    body = client_for(employee).get(chart_url(factory)).json()
    assert body["bucket"] == "day" and len(body["time"]) == 31  # the first day is rounded down to midnight
    assert body["time"][-1] == "2026-03-06T00:00:00Z"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bucket": "minute"}, "bucket"),
        ({"from": "2026-03-05T00:00:00Z", "to": "2026-03-04T00:00:00Z"}, "from"),
        ({"from": "garbage"}, "from"),
        ({"bucket": "hour", "from": "2020-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from"),
    ],
)
def test_chart_bad_parameters_are_400(client_for, employee, params, field):
    response = client_for(employee).get(chart_url(FactoryFactory()), params)
    assert response.status_code == 400
    assert field in response.json()
