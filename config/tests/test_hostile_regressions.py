"""The hostile inputs an outside probe answered with 500s (issue 14), one test per write path: each is
now a 400 naming the field at fault (or a parse error for a body too deep to read), and nothing is
written. Bodies are sent as raw bytes, so a lone surrogate reaches the server as the JSON escape
`\\ud800` a client would send."""

from datetime import date

import pytest
from django.urls import reverse

from timetracking import services
from timetracking.models import Tag, TimeEntry, TimesheetPeriod
from timetracking.tests.factories import TimeEntryFactory, utc
from webhooks.models import Endpoint

HOSTILE_TAGS = {"nul": '"a\\u0000b"', "surrogate": '"a\\ud800b"'}
EXTREME_STARTS = ["0001-01-01T00:00", "9999-12-31T23:30"]


def send(client, method, url, body):
    """`body` is the JSON text itself (str), sent as UTF-8 bytes."""
    client.raise_request_exception = False  # a 500 is an answer to assert on, not an exception
    return client.generic(method, url, body.encode(), content_type="application/json")


@pytest.fixture
def entry(employee):
    return TimeEntryFactory(user=employee, started_at=utc(2026, 3, 2, 8), ended_at=utc(2026, 3, 2, 9))


def assert_field_error(response, field):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert field in response.json(), response.json()


@pytest.mark.parametrize("kind", HOSTILE_TAGS)
def test_tag_name_in_a_new_entry(client_for, employee, kind):
    body = f'{{"started_at": "2026-03-02T10:00:00Z", "duration": "1:00", "tags": [{HOSTILE_TAGS[kind]}]}}'
    assert_field_error(send(client_for(employee), "POST", reverse("api:time-entry-list"), body), "tags")
    assert not TimeEntry.objects.exists() and not Tag.objects.exists()


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("kind", HOSTILE_TAGS)
def test_tag_name_in_an_entry_update(client_for, employee, entry, method, kind):
    body = f'{{"started_at": "2026-03-02T08:00:00Z", "duration": "1:00", "tags": [{HOSTILE_TAGS[kind]}]}}'
    url = reverse("api:time-entry-detail", args=[entry.pk])
    assert_field_error(send(client_for(employee), method, url, body), "tags")
    assert not Tag.objects.exists() and not entry.tags.exists()


@pytest.mark.parametrize("kind", HOSTILE_TAGS)
def test_tag_name_in_a_bulk_row(client_for, employee, kind):
    good = '{"started_at": "2026-03-02T08:00:00Z", "duration": "1:00"}'
    bad = f'{{"started_at": "2026-03-02T10:00:00Z", "duration": "1:00", "tags": [{HOSTILE_TAGS[kind]}]}}'
    response = send(client_for(employee), "POST", reverse("api:time-entry-bulk"), f'{{"entries": [{good}, {bad}]}}')
    assert response.status_code == 400, response.content[:300]
    assert [(row["index"], set(row["errors"])) for row in response.json()["errors"]] == [(1, {"tags"})]
    assert not TimeEntry.objects.exists() and not Tag.objects.exists()


@pytest.mark.parametrize("kind", HOSTILE_TAGS)
def test_tag_name_when_starting_the_timer(client_for, employee, kind):
    body = f'{{"description": "x", "tags": [{HOSTILE_TAGS[kind]}]}}'
    assert_field_error(send(client_for(employee), "POST", reverse("api:timer-start"), body), "tags")
    assert not TimeEntry.objects.exists() and not Tag.objects.exists()


@pytest.mark.parametrize("kind", HOSTILE_TAGS)
def test_webhook_events(client_for, hr, kind):
    body = f'{{"url": "http://127.0.0.1:9/hook", "events": ["time_entry.created", {HOSTILE_TAGS[kind]}]}}'
    assert_field_error(send(client_for(hr), "POST", reverse("api:webhook-list"), body), "events")
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize("started_at", EXTREME_STARTS)
def test_started_at_at_the_calendars_edges(client_for, employee, entry, started_at):
    client = client_for(employee)
    body = f'{{"started_at": "{started_at}", "duration": "0:30"}}'
    assert_field_error(send(client, "POST", reverse("api:time-entry-list"), body), "started_at")
    assert_field_error(send(client, "POST", reverse("api:timer-start"), body), "started_at")
    url = reverse("api:time-entry-detail", args=[entry.pk])
    assert_field_error(send(client, "PATCH", url, body), "started_at")
    assert TimeEntry.objects.get() == entry and TimeEntry.objects.get().started_at == utc(2026, 3, 2, 8)


def test_deeply_nested_json_is_a_parse_error(client_for, employee):
    depth = 100_000
    body = '{"description": ' + "[" * depth + "]" * depth + "}"
    response = send(client_for(employee), "POST", reverse("api:time-entry-list"), body)
    assert response.status_code == 400, response.content[:300]
    assert "nested deeper than" in response.json()["detail"]
    assert not TimeEntry.objects.exists()


# --- The same classes elsewhere: a page's form, numbers no column holds, every JSON parser ----------


def test_nul_in_a_page_form_read_without_a_form_is_refused(client, employee, manager):
    """period_reject reads `note` straight from request.POST: a NUL in it reached PostgreSQL."""
    period = services.period_submit(user=employee, day=date(2026, 3, 2))
    client.force_login(manager)
    client.raise_request_exception = False
    response = client.post(reverse("timetracking:period-reject", args=[period.pk]), {"note": "why\x00"})
    assert response.status_code == 400, response.content[:300]
    period.refresh_from_db()
    assert period.status == TimesheetPeriod.Status.SUBMITTED


@pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity", str(2**63), str(-(2**63) - 1), "9" * 5000])
def test_numbers_no_column_holds_are_a_parse_error(client_for, employee, number):
    body = f'{{"started_at": "2026-03-02T10:00:00Z", "duration": "1:00", "project": {number}}}'
    response = send(client_for(employee), "POST", reverse("api:time-entry-list"), body)
    assert response.status_code == 400, response.content[:300]
    assert "JSON parse error" in response.json()["detail"]
    assert not TimeEntry.objects.exists()


def test_every_json_parser_of_the_api_is_the_projects():
    """A view that lists its own parsers (leave requests do) must not bring back DRF's JSONParser."""
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.parsers import JSONParser as DRFJSONParser

    from core.parsers import JSONParser

    generator = SchemaGenerator()
    generator._initialise_endpoints()
    stock = set()
    for path, _, method, callback in generator.endpoints:
        view = generator.create_view(callback, method)
        for parser in view.get_parsers():
            if isinstance(parser, DRFJSONParser) and not isinstance(parser, JSONParser):
                stock.add((path, method))
    assert not stock, sorted(stock)


def _write_serializers():
    """(operation, serializer instance) of every POST/PUT/PATCH operation's request body."""
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework import serializers

    generator = SchemaGenerator()
    generator._initialise_endpoints()
    for path, path_regex, method, callback in generator.endpoints:
        if method not in ("POST", "PUT", "PATCH"):
            continue
        schema = generator.create_view(callback, method).schema
        schema.path, schema.path_regex, schema.method = path, path_regex, method  # as get_operation() sets them
        request = schema.get_request_serializer()
        if isinstance(request, dict):  # per media type
            request = next(iter(request.values()))
        if isinstance(request, type) and issubclass(request, serializers.BaseSerializer):
            request = request()
        if isinstance(request, serializers.BaseSerializer):
            yield f"{method} {path}", request


def _writable_fields(serializer, prefix=""):
    from rest_framework import serializers

    serializer = serializer.child if isinstance(serializer, serializers.ListSerializer) else serializer
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        while isinstance(field, serializers.ListSerializer | serializers.ListField):
            field = field.child
        if isinstance(field, serializers.Serializer):
            yield from _writable_fields(field, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", field


def test_every_date_and_moment_a_request_writes_is_bounded():
    """Each date or datetime field of a write operation is core.filters' DayField or MomentField
    (a model serializer gets them from core.serializers.ModelSerializer), so 0001-01-01 and
    9999-12-31 are field errors wherever they are written."""
    from rest_framework import serializers

    from core.filters import DayField, MomentField, validate_day

    def bounded(field):
        if isinstance(field, serializers.DateTimeField):
            return isinstance(field, MomentField)
        if isinstance(field, serializers.DateField):
            return isinstance(field, DayField) or validate_day in field.validators
        return True

    unbounded = [
        (operation, name, type(field).__name__)
        for operation, serializer in _write_serializers()
        for name, field in _writable_fields(serializer)
        if not bounded(field)
    ]
    assert not unbounded, sorted(set(unbounded))
