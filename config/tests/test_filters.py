"""Moment filters (`from`/`to`, `created_after`/`created_before`) on the query string: any offset
Python reads is a moment (PostgreSQL stores offsets of at most ±15:59, so they reach it in UTC),
and a moment outside the years 1–9999 in UTC is a 400, never a 500. Found by Schemathesis."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from accounts import services as accounts_services
from sprockets.tests.factories import SprocketFactory

SPROCKETS = reverse("api:sprocket-list")
AUDIT = reverse("api:audit-event-list")

FAR_EAST = "+20:46"  # within Python's ±23:59, beyond PostgreSQL's ±15:59


def _ids(response):
    assert response.status_code == 200, response.content
    return sorted(row["id"] for row in response.json()["results"])


def test_a_sprocket_range_with_an_offset_postgresql_cannot_store_is_the_same_moment(client_for, employee):
    produced = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    sprocket = SprocketFactory(produced_at=produced)
    client = client_for(employee)
    # 2026-03-05T08:45+20:46 is 2026-03-04T11:59 UTC: one minute before the sprocket.
    assert _ids(client.get(SPROCKETS, {"from": f"2026-03-05T08:45:00{FAR_EAST}"})) == [sprocket.pk]
    assert _ids(client.get(SPROCKETS, {"to": f"2026-03-05T08:45:00{FAR_EAST}"})) == []
    assert _ids(client.get(SPROCKETS, {"to": "7608-10-25T09:30:35+20:46"})) == [sprocket.pk]


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:30:00+05:00", "9999-12-31T23:30:00-05:00", "0001-01-01T00:00:00+23:59"],
)
def test_a_moment_that_leaves_the_calendar_in_utc_is_a_400(client_for, employee, hr, moment):
    for client, url, params in [
        (client_for(employee), SPROCKETS, {"from": moment}),
        (client_for(employee), SPROCKETS, {"to": moment}),
        (client_for(hr), AUDIT, {"created_after": moment}),
        (client_for(hr), AUDIT, {"created_before": moment}),
    ]:
        response = client.get(url, params)
        assert response.status_code == 400, (url, params, response.content)
        assert set(response.json()) & set(params), response.json()


def test_audit_events_by_a_far_offset_moment(client_for, hr, employee):
    event = accounts_services.audit_record(actor=employee, action="thing.done")
    # The event's moment, written in a +20:46 offset.
    shifted = (event.created_at + timedelta(hours=20, minutes=46)).replace(tzinfo=None).isoformat() + FAR_EAST
    client = client_for(hr)
    actions_after = [row["action"] for row in client.get(AUDIT, {"created_after": shifted}).json()["results"]]
    actions_before = [row["action"] for row in client.get(AUDIT, {"created_before": shifted}).json()["results"]]
    assert "thing.done" in actions_after
    assert "thing.done" not in actions_before
