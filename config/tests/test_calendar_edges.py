"""The calendar's edges on every input that takes a day or a moment: the first and last days Python
knows (0001-01-01, 9999-12-31) and moments at the year limits are a 400 or an answer, never a 500
(date arithmetic past them overflows). The API's parameters are read from the OpenAPI schema, so a
new date parameter is covered without a line here."""

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from core.filters import FIRST_DAY, LAST_DAY
from leave.models import LeaveRequest
from leave.tests.factories import LeaveTypeFactory
from timetracking.models import TimeEntry, TimesheetPeriod

EDGE_DAYS = ["0001-01-01", "0001-01-07", "9999-12-31", "9999-12-25"]
EDGE_MOMENTS = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+05:00"]


def _date_parameters():
    """(path, name, format) of every date or date-time query parameter of a GET list operation."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = set()
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None or "{" in path:
            continue
        for parameter in operation.get("parameters", []):
            kind = parameter.get("schema", {}).get("format")
            if parameter["in"] == "query" and kind in ("date", "date-time"):
                found.add((path, parameter["name"], kind))
    return sorted(found)


@pytest.mark.parametrize("who", ["employee", "manager", "hr"])
def test_api_date_parameters_at_the_calendars_edges(db, request, client_for, who):
    parameters = _date_parameters()
    assert len(parameters) >= 10, parameters
    client = client_for(request.getfixturevalue(who))
    client.raise_request_exception = False  # collect every 500, not just the first
    server_errors = []
    for path, name, kind in parameters:
        for value in EDGE_DAYS if kind == "date" else EDGE_MOMENTS:
            # A range parameter alone, and (for from/to) both ends at once.
            for params in [{name: value}] + ([{"from": value, "to": value}] if name == "from" else []):
                response = client.get(path, params)
                if response.status_code >= 500:
                    server_errors.append((path, params, response.status_code))
    assert not server_errors, "\n".join(map(str, server_errors))


# --- Bodies and pages that take a day ---------------------------------------------------------------


@pytest.mark.parametrize("day", [*EDGE_DAYS, "1999-12-31", "2101-01-01"])
def test_days_in_request_bodies_outside_the_supported_range_are_field_errors(client_for, employee, day):
    vacation = LeaveTypeFactory()
    client = client_for(employee)
    draft = {"leave_type": vacation.pk, "start_date": day, "end_date": day}
    for url in (reverse("api:leave-request-preview"), reverse("api:leave-request-list")):
        response = client.post(url, draft, format="json")
        assert response.status_code == 400, (url, response.content)
        assert set(response.json()) >= {"start_date", "end_date"}
    response = client.post(reverse("api:period-submit"), {"week": day}, format="json")
    assert response.status_code == 400 and "week" in response.json()
    assert not LeaveRequest.objects.exists() and not TimesheetPeriod.objects.exists()


def test_the_supported_range_is_inclusive(client_for, employee):
    client = client_for(employee)
    for day in (FIRST_DAY, LAST_DAY):
        response = client.get(reverse("api:time-entry-list"), {"from": day.isoformat(), "to": day.isoformat()})
        assert response.status_code == 200, response.content


@pytest.mark.parametrize("day", EDGE_DAYS)
def test_pages_at_the_calendars_edges(client, employee, manager, day):
    client.force_login(employee)
    assert client.get(reverse("timetracking:week"), {"week": day}).status_code == 200
    assert client.get(reverse("timetracking:week"), {"date": day}).status_code == 200
    assert client.get(reverse("leave:calendar"), {"month": day[:7]}).status_code == 200  # this month instead
    out_of_range = f"Give a day between {FIRST_DAY} and {LAST_DAY}."
    response = client.post(reverse("timetracking:entry-create"), {"date": day, "start": "09:00", "end": "10:00"})
    assert response.status_code == 400 and out_of_range in response.content.decode()  # the form, with its error
    response = client.post(reverse("leave:index"), {"start_date": day, "end_date": day, "start_part": "full"})
    assert response.status_code == 400 and out_of_range in response.content.decode()
    assert not TimeEntry.objects.exists() and not LeaveRequest.objects.exists()
    client.force_login(manager)
    assert client.get(reverse("timetracking:team"), {"week": day}).status_code == 200
