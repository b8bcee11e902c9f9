"""Hostile JSON at every write operation of the OpenAPI schema, as an employee and as HR: never a
5xx, and a 4xx writes nothing.

The operations are read from the schema (drf-spectacular), so a new endpoint is covered without a
line here; detail routes point at real objects. Each example is a body sent as raw bytes (so a
lone surrogate arrives as the `\\ud800` escape a client would send): bodies nested far too deep,
NUL characters, lone surrogates, integers beyond bigint, NaN/Infinity, days and moments at the
calendar's edges and with ±23:59 offsets, wrong types, odd keys, and otherwise valid bodies with
one hostile field (also inside a list, as a tag or a bulk row). Every example runs in a savepoint
rolled back at its end; for a 4xx, the row counts of every table (and the row a detail route
names) are the same after as before.
"""

import json
import re
from collections import Counter

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import services as account_services
from accounts.models import AuditEvent
from leave.tests.factories import LeaveRequestFactory, LeaveTypeFactory
from sprockets.tests.factories import FactoryFactory, LocationFactory, SprocketFactory, SprocketTypeFactory
from timetracking import services as time_services
from timetracking.tests.factories import ClientFactory, ProjectFactory, TagFactory, TaskFactory, TimeEntryFactory, utc
from webhooks.models import Endpoint

# Random examples per operation and role, after the sweep (see sweep()).
MAX_EXAMPLES = 8
WRITE_METHODS = ("post", "put", "patch", "delete")
COUNTS = Counter()


class Raw:
    """JSON text put into the body as it is (NaN, 1e999, a nesting no encoder would produce)."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return f"Raw({self.text[:40]!r}{'...' if len(self.text) > 40 else ''})"


def encode(value):
    """JSON text of `value`; ensure_ascii writes NUL as \\u0000 and a lone surrogate as \\ud800."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(key))}:{encode(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode(item) for item in value) + "]"
    return json.dumps(value)


def nested(depth):
    return Raw("[" * depth + "]" * depth)


HOSTILE_STRINGS = ["a\x00b", "\x00", "a\ud800b", "\udfff", "\ud800\x00", "\udbff\udfff\ud800", " \x00 "]
HOSTILE_NUMBERS = [
    2**63,
    -(2**63) - 1,
    2**64,
    10**30,
    2**31,
    -1,
    0,
    1e308,
    -1e308,
    Raw("NaN"),
    Raw("-Infinity"),
    Raw("1e999"),
    Raw("9" * 5000),
]
HOSTILE_MOMENTS = [
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00",
    "9999-12-31T23:30",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59-23:59",
    "2026-03-02T10:00:00+23:59",
    "2026-03-02T10:00:00-23:59",
    "1999-12-31T23:59:59+23:59",
    "2100-12-31T23:59:59-23:59",
    "2026-02-30T10:00:00Z",
    "2026-03-29T02:30:00",  # does not exist in Berlin
]
SWEEP_STRINGS = ["a\x00b", "a\ud800b"]
EDGE_MOMENTS = ["0001-01-01T00:00", "9999-12-31T23:30", "0001-01-01"]
WRONG_TYPES = [[], ["x"], {}, {"a": 1}, True, None, [[[[]]]], {"": "\x00"}, nested(40), nested(5000)]
HOSTILE_VALUES = st.one_of(
    st.sampled_from(HOSTILE_STRINGS + HOSTILE_NUMBERS + HOSTILE_MOMENTS + WRONG_TYPES),
    st.text(st.one_of(st.characters(), st.sampled_from(["\x00", "\ud800", "\udc00"])), max_size=8),
    st.integers(),
    st.floats(),
)
HOSTILE_KEYS = st.sampled_from(["\x00", "a\ud800", "", "tags", "__proto__", "x" * 300])
WHOLE_BODIES = [
    nested(100_000),
    Raw("{" * 50_000),
    Raw('{"a":' * 2_000 + "1" + "}" * 2_000),
    Raw(""),
    Raw("[]"),
    Raw('"\\ud800"'),
    Raw("1e999"),
    Raw("NaN"),
    Raw("null"),
    Raw('{"a": 1,}'),
]


# --- The operations, and a plausible body for each -------------------------------------------------

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
OPERATIONS = sorted(
    (path, method) for path, operations in SCHEMA["paths"].items() for method in operations if method in WRITE_METHODS
)


def _resolve(schema):
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].split("/")[-1]]
    for combinator in ("allOf", "oneOf", "anyOf"):
        if combinator in schema:
            return _resolve(schema[combinator][0])
    return schema


def _request_schema(path, method):
    content = SCHEMA["paths"][path][method].get("requestBody", {}).get("content", {})
    schema = content.get("application/json")
    return _resolve(schema["schema"]) if schema else None


def _plausible(schema, name, ids, depth=0):
    """A value of `schema` the API is likely to take (`ids` names the real objects)."""
    schema = _resolve(schema)
    if "enum" in schema:
        return next((choice for choice in schema["enum"] if choice is not None), None)
    kind, format_ = schema.get("type"), schema.get("format")
    if kind == "array":
        return [_plausible(schema.get("items", {}), name, ids, depth + 1)] if depth < 3 else []
    if kind == "object":
        return {
            key: _plausible(item, key, ids, depth + 1)
            for key, item in schema.get("properties", {}).items()
            if not item.get("readOnly") and depth < 3
        }
    if kind == "integer":
        return ids.get(name.removesuffix("_id"), 1)
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    return {
        "date-time": "2026-03-02T10:00:00Z",
        "date": "2026-03-02",
        "uri": "http://127.0.0.1:9/hook",
        "email": "someone@example.com",
    }.get(format_, "x")


# Bodies a schema cannot guess but that pass the rules, so that a hostile field next to them gets past
# the serializer to the services (where the tag names were looked up).
KNOWN_GOOD = {
    ("/api/v1/time-entries/", "post"): {"started_at": "2026-03-03T10:00:00Z", "duration": "1:00", "tags": ["t"]},
    ("/api/v1/time-entries/{id}/", "put"): {"started_at": "2026-03-02T08:00:00Z", "duration": "1:00", "tags": ["t"]},
    ("/api/v1/time-entries/{id}/", "patch"): {"tags": ["t"], "description": "d"},
    ("/api/v1/time-entries/bulk/", "post"): {
        "entries": [{"started_at": "2026-03-03T10:00:00Z", "duration": "1:00", "tags": ["t"]}]
    },
    ("/api/v1/timer/start/", "post"): {"description": "d", "tags": ["t"]},
    ("/api/v1/timer/", "patch"): {"description": "d", "tags": ["t"]},
    ("/api/v1/webhooks/", "post"): {"url": "http://127.0.0.1:9/hook", "events": ["time_entry.created"]},
}


def _base_bodies(path, method, ids):
    schema = _request_schema(path, method)
    bodies = []
    if (path, method) in KNOWN_GOOD:
        bodies.append(KNOWN_GOOD[(path, method)])
    if schema is not None and schema.get("type", "object") == "object":
        bodies.append(_plausible(schema, "", ids))
        required = set(schema.get("required", []))
        bodies.append({key: value for key, value in bodies[-1].items() if key in required})
    return bodies or [{}]


def _field_names(path, method):
    schema = _request_schema(path, method) or {}
    return sorted(schema.get("properties", {})) or ["x"]


def bodies(path, method, ids):
    bases = _base_bodies(path, method, ids)
    names = sorted({*_field_names(path, method), *(key for base in bases for key in base)})
    base = st.sampled_from(bases)
    name = st.sampled_from(names)
    one_field = st.builds(lambda body, key, value: {**body, key: value}, base, name, HOSTILE_VALUES)
    in_a_list = st.builds(lambda body, key, value: {**body, key: [value]}, base, name, HOSTILE_VALUES)
    in_each_row = st.builds(  # a hostile field in every object of the body's lists (bulk rows)
        lambda body, key, value: {
            field: [{**row, key: value} if isinstance(row, dict) else row for row in rows]
            if isinstance(rows, list)
            else rows
            for field, rows in body.items()
        },
        base,
        st.sampled_from(["tags", "started_at", "ended_at", "project", "produced_at", "name", "user"]),
        HOSTILE_VALUES,
    )
    odd_keys = st.builds(lambda body, extra: {**body, **extra}, base, st.dictionaries(HOSTILE_KEYS, HOSTILE_VALUES))
    return st.one_of(st.sampled_from(WHOLE_BODIES), one_field, in_a_list, in_each_row, odd_keys, base)


# --- Fixtures: two roles and a real object behind every detail route --------------------------------


@pytest.fixture
def world(employee, manager, hr):
    """The objects detail routes point at, by the resource name before `{id}`."""
    client = ClientFactory()
    project = ProjectFactory(client=client)
    task = TaskFactory(project=project)
    tag = TagFactory()
    entry = TimeEntryFactory(user=employee, project=project, started_at=utc(2026, 3, 2, 8), ended_at=utc(2026, 3, 2, 9))
    time_services.timer_start(user=employee, started_at=utc(2026, 3, 4, 8))
    period = time_services.period_submit(user=employee, day=utc(2026, 2, 23, 12).date())
    leave_type = LeaveTypeFactory()
    leave_request = LeaveRequestFactory(user=employee, leave_type=leave_type)
    location = LocationFactory()
    sprocket_type = SprocketTypeFactory()
    factory = FactoryFactory(location=location)
    sprocket = SprocketFactory(sprocket_type=sprocket_type, factory=factory)
    webhook = Endpoint.objects.create(url="http://127.0.0.1:9/hook", events=["time_entry.created"], created_by=hr)
    api_key, _ = account_services.api_key_create(user=employee, name="script")
    return {
        "clients": client.pk,
        "client": client.pk,
        "projects": project.pk,
        "project": project.pk,
        "tasks": task.pk,
        "task": task.pk,
        "tags": tag.pk,
        "time-entries": entry.pk,
        "periods": period.pk,
        "leave-requests": leave_request.pk,
        "leave_type": leave_type.pk,
        "locations": location.pk,
        "location": location.pk,
        "sprocket-types": sprocket_type.pk,
        "sprocket_type": sprocket_type.pk,
        "factories": factory.pk,
        "factory": factory.pk,
        "sprockets": sprocket.pk,
        "webhooks": webhook.pk,
        "api-keys": api_key.pk,
        "users": employee.pk,
        "user": employee.pk,
    }


@pytest.fixture(autouse=True)
def _lift_throttles(settings):
    rest_framework = {**settings.REST_FRAMEWORK}
    rest_framework["DEFAULT_THROTTLE_RATES"] = dict.fromkeys(rest_framework["DEFAULT_THROTTLE_RATES"], "100000/minute")
    settings.REST_FRAMEWORK = rest_framework


def _count_rows_sql():
    tables = sorted(
        {model._meta.db_table for model in apps.get_models(include_auto_created=True) if model._meta.managed}
    )
    quote = connection.ops.quote_name
    return tables, "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables)


def _url(path, ids):
    def real_id(match):
        resource = path[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        return str(ids.get(resource, 1))

    return re.sub(r"\{[^}]+\}", real_id, path)


def _detail_row(url):
    """The row a detail route names, to see that a refused PUT/PATCH left it as it was."""
    match = resolve(url)
    if "pk" not in match.kwargs:
        return None
    serializer_class = getattr(getattr(match.func, "cls", None), "serializer_class", None)
    model = getattr(getattr(serializer_class, "Meta", None), "model", None)
    row = model.objects.filter(pk=match.kwargs["pk"]).first() if model is not None else None
    return model_to_dict(row) if row is not None else None


@pytest.fixture(scope="module", autouse=True)
def _report_the_counts(request):
    """Prints what the property test sent, after the module's last test."""
    yield
    if COUNTS["examples"]:
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():
            request.config.pluginmanager.get_plugin("terminalreporter").write_line(
                f"hostile input: {len(OPERATIONS)} write operations x 2 roles = {COUNTS['tests']} tests, "
                f"{COUNTS['examples']} examples: {COUNTS[200]} 2xx, {COUNTS[300]} 3xx, {COUNTS[400]} 4xx, "
                f"{COUNTS[500]} 5xx"
            )


def sweep(path, method, ids):
    """The deterministic part: each field of a good body in turn holds each class of hostile value
    (a list field also holds it as an item, and each row of a list of objects holds it): the
    random part cannot be trusted to draw, in a few examples, the one field that reaches a service."""
    base = _base_bodies(path, method, ids)[0]
    schema = _request_schema(path, method) or {}
    for key in sorted({*base, *schema.get("properties", {})}):
        values = [*SWEEP_STRINGS, 2**63]
        if _resolve(schema.get("properties", {}).get(key, {})).get("format") in ("date-time", "date"):
            values += EDGE_MOMENTS
        yield from ({**base, key: value} for value in values)
        if isinstance(base.get(key), list):
            yield from ({**base, key: [value]} for value in SWEEP_STRINGS)
            for row_key in (row_key for row in base[key] if isinstance(row, dict) for row_key in row):
                for value in [*SWEEP_STRINGS, *EDGE_MOMENTS]:
                    yield {**base, key: [{**row, row_key: value} for row in base[key]]}
                    yield {**base, key: [{**row, row_key: [value]} for row in base[key]]}
    yield from WHOLE_BODIES[:3]


@pytest.mark.parametrize("role", ["employee", "hr"])
@pytest.mark.parametrize(("path", "method"), OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_hostile_bodies_are_refused_without_a_trace(request, client_for, world, role, path, method):
    client = client_for(request.getfixturevalue(role))
    client.raise_request_exception = False  # a 500 is an answer to count, not an exception
    url = _url(path, world)
    tables, count_rows = _count_rows_sql()
    updates = method in ("put", "patch")
    failures = []

    def send(body):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(count_rows)
                before = cursor.fetchone()
            row_before = _detail_row(url) if updates else None
            response = client.generic(method.upper(), url, encode(body).encode(), content_type="application/json")
            status = response.status_code
            COUNTS[status // 100 * 100] += 1
            COUNTS["examples"] += 1
            if status >= 500:
                failures.append((status, repr(body)[:200], response.content[:200]))
            elif status >= 400:
                with connection.cursor() as cursor:
                    cursor.execute(count_rows)
                    after = cursor.fetchone()
                changed = [(table, b, a) for table, b, a in zip(tables, before, after, strict=True) if a != b]
                if status == 401 and [table for table, _, _ in changed] == [AuditEvent._meta.db_table]:
                    changed = []  # a failed sign-in is recorded in the audit trail, by design
                if changed or (updates and _detail_row(url) != row_before):
                    failures.append((status, repr(body)[:200], f"wrote {changed or 'the detail row'}"))
            transaction.set_rollback(True)

    for body in sweep(path, method, world):
        send(body)

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=bodies(path, method, world))
    def explore(body):
        send(body)

    explore()
    COUNTS["tests"] += 1
    assert not failures, "\n".join(map(str, failures[:10]))
