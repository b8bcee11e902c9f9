"""Sprocket Corp's clients, unchanged (issue 18, item 1): its bodies have no location or type `name` and
no sprocket `produced_at`; it looks a location up by postal code and filters the list by it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from sprockets import services
from sprockets.models import Location, Sprocket, SprocketType
from sprockets.tests.factories import FactoryFactory, LocationFactory, SprocketTypeFactory

pytestmark = pytest.mark.django_db

LOCATIONS = reverse("api:location-list")
TYPES = reverse("api:sprocket-type-list")
SPROCKETS = reverse("api:sprocket-list")
BULK = reverse("api:sprocket-bulk")
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)

# The bodies as Sprocket Corp's README and seed data write them.
ORIGINAL_LOCATION = {
    "address_1": "742 Evergreen Terrace",
    "address_2": "",
    "city": "Springfield",
    "state": "OR",
    "country_code": "US",
    "postal_code": "97403",
}
ORIGINAL_SPROCKET_TYPE = {"teeth": 5, "pitch_diameter": 5, "outside_diameter": 6, "pitch": 1}


def by_postal_code(code):
    return reverse("api:location-by-postal-code", args=[code])


@pytest.fixture
def planner_client(client_for, planner):
    return client_for(planner)


# --- Locations without a name ------------------------------------------------------------------------


def test_a_location_without_a_name_is_called_after_its_city_and_postal_code(planner_client):
    response = planner_client.post(LOCATIONS, ORIGINAL_LOCATION)
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "Springfield 97403"
    assert Location.objects.get(postal_code="97403").name == "Springfield 97403"


def test_a_location_given_a_name_keeps_it_and_an_update_without_one_keeps_the_old(planner_client):
    created = planner_client.post(LOCATIONS, {**ORIGINAL_LOCATION, "name": "Evergreen Works"}).json()
    assert created["name"] == "Evergreen Works"
    url = reverse("api:location-detail", args=[created["id"]])
    replaced = planner_client.put(url, {**ORIGINAL_LOCATION, "city": "Eugene"})
    assert replaced.status_code == 200, replaced.json()
    assert replaced.json()["name"] == "Evergreen Works"


def test_a_blank_name_is_still_refused(planner_client):
    """Only a missing name gets the default; an empty one is a mistake the client made."""
    response = planner_client.post(LOCATIONS, {**ORIGINAL_LOCATION, "name": ""})
    assert response.status_code == 400
    assert "name" in response.json()
    assert not Location.objects.filter(postal_code="97403").exists()


def test_the_default_location_name_fits_the_column():
    name = services.location_default_name(city="C" * 100, postal_code="12345")
    assert len(name) == 100
    assert services.location_default_name(city=" Leipzig ", postal_code="04109") == "Leipzig 04109"


def test_a_location_without_a_name_and_without_a_city_is_refused_on_the_city(planner_client):
    response = planner_client.post(LOCATIONS, {**ORIGINAL_LOCATION, "city": ""})
    assert response.status_code == 400
    assert "city" in response.json()
    assert not Location.objects.filter(postal_code="97403").exists()


# --- Sprocket types without a name -------------------------------------------------------------------


def test_a_sprocket_type_without_a_name_is_named_after_its_dimensions(planner_client):
    response = planner_client.post(TYPES, ORIGINAL_SPROCKET_TYPE)
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "5 teeth, pitch 1 mm, 5 × 6 mm"
    assert response.json()["teeth"] == 5


def test_decimal_dimensions_are_written_as_a_planner_would(planner_client):
    body = {"teeth": 24, "pitch_diameter": "97.340", "outside_diameter": "104.2", "pitch": "12.70"}
    response = planner_client.post(TYPES, body)
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "24 teeth, pitch 12.7 mm, 97.34 × 104.2 mm"
    body = {"teeth": 10, "pitch_diameter": "10", "outside_diameter": "20", "pitch": "10"}
    assert planner_client.post(TYPES, body).json()["name"] == "10 teeth, pitch 10 mm, 10 × 20 mm"  # never 1E+1


def test_a_second_type_of_the_same_dimensions_gets_a_number(planner_client):
    """Names are unique: the original API accepted the same body twice, so the second is numbered."""
    first = planner_client.post(TYPES, ORIGINAL_SPROCKET_TYPE).json()
    second = planner_client.post(TYPES, ORIGINAL_SPROCKET_TYPE)
    third = planner_client.post(TYPES, ORIGINAL_SPROCKET_TYPE)
    assert second.status_code == third.status_code == 201
    assert [first["name"], second.json()["name"], third.json()["name"]] == [
        "5 teeth, pitch 1 mm, 5 × 6 mm",
        "5 teeth, pitch 1 mm, 5 × 6 mm (2)",
        "5 teeth, pitch 1 mm, 5 × 6 mm (3)",
    ]


def test_a_type_without_a_name_still_checks_its_dimensions(planner_client):
    count = SprocketType.objects.count()
    response = planner_client.post(TYPES, {**ORIGINAL_SPROCKET_TYPE, "outside_diameter": 4})
    assert response.status_code == 400
    assert "outside_diameter" in response.json()
    response = planner_client.post(TYPES, {"pitch_diameter": 5, "outside_diameter": 6, "pitch": 1})
    assert response.status_code == 400
    assert "teeth" in response.json()
    assert SprocketType.objects.count() == count


def test_employees_still_may_not_create_a_type_without_a_name(client_for, employee):
    count = SprocketType.objects.count()
    assert client_for(employee).post(TYPES, ORIGINAL_SPROCKET_TYPE).status_code == 403
    assert SprocketType.objects.count() == count


# --- Sprockets without a time ------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_sprocket_without_produced_at_was_produced_now(planner_client):
    factory, sprocket_type = FactoryFactory(sprocket_production_goal=10), SprocketTypeFactory()
    response = planner_client.post(SPROCKETS, {"factory_id": factory.pk, "sprocket_type_id": sprocket_type.pk})
    assert response.status_code == 201, response.json()
    assert response.json()["produced_at"] == "2026-03-10T09:30:00Z"
    factory.refresh_from_db()
    assert factory.sprocket_production_actual == 1


@time_machine.travel(NOW, tick=False)
def test_a_batch_mixes_sprockets_with_and_without_a_time(planner_client):
    factory, sprocket_type = FactoryFactory(), SprocketTypeFactory()
    earlier = NOW - timedelta(hours=2)
    items = [
        {"factory_id": factory.pk, "sprocket_type_id": sprocket_type.pk},
        {"factory_id": factory.pk, "sprocket_type_id": sprocket_type.pk, "produced_at": earlier.isoformat()},
    ]
    response = planner_client.post(BULK, {"sprockets": items})
    assert response.status_code == 201, response.json()
    assert sorted(Sprocket.objects.values_list("produced_at", flat=True)) == [earlier, NOW]


def test_a_null_or_future_produced_at_is_still_refused(planner_client):
    factory, sprocket_type = FactoryFactory(), SprocketTypeFactory()
    body = {"factory_id": factory.pk, "sprocket_type_id": sprocket_type.pk}
    assert planner_client.post(SPROCKETS, {**body, "produced_at": None}).status_code == 400
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    response = planner_client.post(SPROCKETS, {**body, "produced_at": future})
    assert response.status_code == 400
    assert "produced_at" in response.json()
    assert not Sprocket.objects.exists()


def test_a_correction_without_produced_at_keeps_the_time(planner_client):
    factory, sprocket_type = FactoryFactory(), SprocketTypeFactory()
    sprocket = services.sprocket_record(
        factory_id=factory.pk, sprocket_type_id=sprocket_type.pk, produced_at=NOW - timedelta(days=1)
    )
    url = reverse("api:sprocket-detail", args=[sprocket.pk])
    response = planner_client.put(url, {"factory_id": factory.pk, "sprocket_type_id": sprocket_type.pk, "name": "x"})
    assert response.status_code == 200, response.json()
    sprocket.refresh_from_db()
    assert (sprocket.produced_at, sprocket.name) == (NOW - timedelta(days=1), "x")


# --- The postal code lookup and filter ---------------------------------------------------------------


def test_the_postal_code_lookup_finds_the_location(client_for, employee):
    wanted = LocationFactory(postal_code="97403", city="Springfield")
    LocationFactory(postal_code="04109")
    response = client_for(employee).get(by_postal_code("97403"))
    assert response.status_code == 200
    assert response.json()["id"] == wanted.pk
    assert response.json()["postal_code"] == "97403"


def test_the_postal_code_lookup_is_under_api_v1():
    assert by_postal_code("97403") == "/api/v1/locations/postal_code/97403/"


def test_an_unknown_postal_code_is_404(client_for, employee):
    LocationFactory(postal_code="97403")
    client = client_for(employee)
    assert client.get(by_postal_code("99999")).status_code == 404
    # Matched exactly as stored: a part of a code is not the code.
    assert client.get(by_postal_code("974")).status_code == 404
    assert client.get("/api/v1/locations/postal_code/" + "9" * 21 + "/").status_code == 404


def test_a_postal_code_with_a_space_is_found(client_for, employee):
    wanted = LocationFactory(postal_code="SW1A 1AA", country_code="GB")
    response = client_for(employee).get(by_postal_code("SW1A 1AA"))
    assert response.status_code == 200
    assert response.json()["id"] == wanted.pk


def test_the_postal_code_lookup_needs_a_login(api_client):
    LocationFactory(postal_code="97403")
    assert api_client.get(by_postal_code("97403")).status_code == 401


def test_two_locations_never_share_a_postal_code(planner_client):
    """So the lookup answers one location or none: a second location with the code is a 400 on it."""
    assert planner_client.post(LOCATIONS, ORIGINAL_LOCATION).status_code == 201
    second = planner_client.post(LOCATIONS, {**ORIGINAL_LOCATION, "address_1": "1 Other Road"})
    assert second.status_code == 400
    assert "postal_code" in second.json()
    assert Location.objects.filter(postal_code="97403").count() == 1


def test_the_list_filters_by_postal_code(client_for, employee):
    wanted = LocationFactory(postal_code="97403")
    LocationFactory(postal_code="04109")
    client = client_for(employee)
    response = client.get(LOCATIONS, {"postal_code": "97403"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]
    assert client.get(LOCATIONS, {"postal_code": "00000"}).json()["count"] == 0


def test_an_unknown_location_filter_is_refused_instead_of_returning_every_location(client_for, employee):
    LocationFactory(postal_code="97403")
    LocationFactory(postal_code="04109")
    response = client_for(employee).get(LOCATIONS, {"zip": "97403"})
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_parameter"
    assert "zip" in response.json()
