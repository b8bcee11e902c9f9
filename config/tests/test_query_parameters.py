"""A list refuses a query parameter it does not read (issue 18, item 1): 400 `unknown_parameter` naming it,
never every row as if the filter had been applied. And the schema is honest about it: the parameters a
list accepts are exactly the ones its operation declares (plus DRF's `format`)."""

import pytest
from django.urls import resolve
from rest_framework.mixins import ListModelMixin
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.tests.factories import HRFactory
from config.tests.response_validation import openapi_schema
from core.filters import UNKNOWN_PARAMETER, list_query_parameters
from leave.tests.factories import LeaveRequestFactory
from sprockets.tests.factories import FactoryFactory
from timetracking.tests.factories import ProjectFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db

# Lists written as plain APIViews that read their query parameters themselves, outside the filter
# backends: they validate each one they read, but do not (yet) refuse the others.
NOT_GENERIC_LISTS = {"/api/v1/leave-balances/", "/api/v1/holidays/"}


def _list_operations():
    document = openapi_schema().raw_schema
    for path, path_item in document["paths"].items():
        operation = path_item.get("get")
        if operation and operation["operationId"].endswith("_list") and "{" not in path:
            yield path, {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}


LIST_OPERATIONS = dict(_list_operations())
GENERIC_LISTS = sorted(set(LIST_OPERATIONS) - NOT_GENERIC_LISTS)


@pytest.fixture
def admin_hr(db):
    """Sees every list (HR, staff, superuser), so that a refusal is never a 403."""
    return HRFactory(username="root", is_staff=True, is_superuser=True)


def test_the_lists_outside_the_filter_backends_are_the_known_ones():
    """A new plain-APIView list shows up here: make it generic, or refuse unknown parameters itself."""
    plain = set()
    for path in LIST_OPERATIONS:
        view_class = resolve(path).func.cls
        if not issubclass(view_class, ListModelMixin):
            plain.add(path)
    assert plain == NOT_GENERIC_LISTS
    assert len(GENERIC_LISTS) >= 15  # the check below really runs over the API's lists


@pytest.mark.parametrize("path", GENERIC_LISTS)
def test_every_list_refuses_an_unknown_parameter_and_names_it(client_for, admin_hr, path):
    client = client_for(admin_hr)
    assert client.get(path).status_code == 200
    response = client.get(path, {"not_a_filter": "1"})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == UNKNOWN_PARAMETER
    assert body["not_a_filter"] == ["`not_a_filter` is not a query parameter of this list."]
    assert "not_a_filter" in body["detail"]


@pytest.mark.parametrize("path", GENERIC_LISTS)
def test_a_list_accepts_exactly_the_parameters_its_schema_declares(admin_hr, path):
    match = resolve(path)
    view = match.func.cls(**match.func.initkwargs)
    if getattr(match.func, "actions", None):
        view.action_map = match.func.actions
    request = APIRequestFactory().get(path)
    force_authenticate(request, user=admin_hr)
    view.args, view.kwargs, view.format_kwarg = (), {}, None
    view.request = view.initialize_request(request)
    view.action = "list"
    accepted = list_query_parameters(view, view.get_queryset()) - {"format"}
    assert accepted == LIST_OPERATIONS[path]


def test_several_unknown_parameters_are_each_named(client_for, employee):
    response = client_for(employee).get("/api/v1/time-entries/", {"projcet": "3", "from_date": "2026-01-01"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == UNKNOWN_PARAMETER
    assert set(body) == {"code", "detail", "projcet", "from_date"}
    assert "`project`" in body["detail"]  # says what the list does read


def test_a_typo_in_a_time_entry_filter_no_longer_returns_every_entry(client_for, employee):
    wanted, other = ProjectFactory(), ProjectFactory()
    entry = TimeEntryFactory(user=employee, project=wanted)
    TimeEntryFactory(user=employee, project=other)
    client = client_for(employee)
    assert client.get("/api/v1/time-entries/", {"projcet": wanted.pk}).status_code == 400
    response = client.get("/api/v1/time-entries/", {"project": wanted.pk, "page": 1, "page_size": 10})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [entry.pk]


def test_leave_requests_keep_their_filters(client_for, employee):
    LeaveRequestFactory(user=employee)
    client = client_for(employee)
    assert client.get("/api/v1/leave-requests/", {"status": "pending", "ordering": "-start_date"}).status_code == 200
    response = client.get("/api/v1/leave-requests/", {"state": "pending"})
    assert response.status_code == 400
    assert response.json()["code"] == UNKNOWN_PARAMETER and "state" in response.json()


def test_factories_keep_with_chart_data(client_for, employee):
    FactoryFactory()
    client = client_for(employee)
    response = client.get("/api/v1/factories/", {"with_chart_data": "true"})
    assert response.status_code == 200
    assert "chart_data" in response.json()["results"][0]
    response = client.get("/api/v1/factories/", {"chart_data": "true"})
    assert response.status_code == 400 and "chart_data" in response.json()


def test_users_keep_paging_and_refuse_the_rest(client_for, hr):
    client = client_for(hr)
    assert client.get("/api/v1/users/", {"page_size": 1, "format": "json"}).status_code == 200
    response = client.get("/api/v1/users/", {"limit": 1})
    assert response.status_code == 400 and response.json()["code"] == UNKNOWN_PARAMETER


def test_detail_views_and_actions_are_not_lists(client_for, employee):
    """A detail answer has no rows to get wrong: a stray parameter there is not refused."""
    factory = FactoryFactory()
    client = client_for(employee)
    assert client.get(f"/api/v1/factories/{factory.pk}/", {"anything": "1"}).status_code == 200
    assert client.get("/api/v1/users/me/", {"anything": "1"}).status_code == 200


def test_an_unknown_parameter_is_refused_before_any_row_is_read(client_for, employee, django_assert_num_queries):
    client = client_for(employee)
    client.get("/api/v1/time-entries/")  # warm up (session, permissions)
    with django_assert_num_queries(0):
        response = client.get("/api/v1/time-entries/", {"nonsense": "1"})
    assert response.status_code == 400
