from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings

from billing.models import Rate, RateKind, RateLevel
from billing.tests.factories import RateFactory

URL = "/api/v1/rates/"


def detail(rate):
    return f"{URL}{rate.pk}/"


@pytest.fixture
def project_rates(project, other_project):
    return {
        "company": RateFactory(level=RateLevel.COMPANY),
        "company_cost": RateFactory(level=RateLevel.COMPANY, kind=RateKind.COST, amount=Decimal("40")),
        "mine": RateFactory(level=RateLevel.PROJECT, project=project),
        "mine_cost": RateFactory(level=RateLevel.PROJECT, project=project, kind=RateKind.COST),
        "theirs": RateFactory(level=RateLevel.PROJECT, project=other_project),
    }


def ids(response):
    return {row["id"] for row in response.json()["results"]}


# --- Create ----------------------------------------------------------------------------------


def test_hr_creates_a_rate(client_for, hr, project):
    response = client_for(hr).post(
        URL,
        {"kind": "billable", "level": "project", "project": project.pk, "amount": "85.5", "valid_from": "2026-04-01"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["currency"], body["valid_from"]) == ("85.50", "EUR", "2026-04-01")
    assert Rate.objects.get().project == project


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "USD"}, "currency"),
        ({"level": "client"}, "client"),
        ({"level": "task"}, "task"),
        ({"kind": "price"}, "kind"),
        ({"valid_from": "2026-13-01"}, "valid_from"),
        ({"valid_from": "1900-01-01"}, "valid_from"),
        ({"project": 999999}, "project"),
    ],
)
def test_bad_input_is_a_400_at_its_field(client_for, hr, project, body, field):
    data = {"kind": "billable", "level": "project", "project": project.pk, "amount": "10", "valid_from": "2026-04-01"}
    response = client_for(hr).post(URL, {**data, **body})
    assert response.status_code == 400
    assert field in response.json()
    assert not Rate.objects.exists()


def test_a_second_rate_on_the_same_day_is_a_400(client_for, hr, project):
    data = {"kind": "billable", "level": "project", "project": project.pk, "amount": "10", "valid_from": "2026-04-01"}
    assert client_for(hr).post(URL, data).status_code == 201
    response = client_for(hr).post(URL, {**data, "amount": "12"})
    assert response.status_code == 400
    assert response.json()["code"] == "duplicate"
    assert "valid_from" in response.json()


def test_a_future_rate_is_created(client_for, hr):
    response = client_for(hr).post(
        URL, {"kind": "billable", "level": "company", "amount": "110", "valid_from": "2027-01-01"}
    )
    assert response.status_code == 201


def test_a_manager_creates_for_their_project_not_for_another(client_for, manager, project, other_project):
    data = {"kind": "cost", "level": "project", "amount": "40", "valid_from": "2026-04-01"}
    assert client_for(manager).post(URL, {**data, "project": project.pk}).status_code == 201
    response = client_for(manager).post(URL, {**data, "project": other_project.pk})
    assert response.status_code == 400
    assert "project" in response.json()
    assert client_for(manager).post(URL, {**data, "level": "company"}).status_code == 403


def test_an_employee_cannot_create(client_for, employee, project):
    data = {"kind": "billable", "level": "project", "project": project.pk, "amount": "1", "valid_from": "2026-04-01"}
    assert client_for(employee).post(URL, data).status_code == 403


# --- Read -----------------------------------------------------------------------------------


def test_hr_reads_every_rate(client_for, hr, project_rates):
    assert ids(client_for(hr).get(URL)) == {rate.pk for rate in project_rates.values()}


def test_a_manager_reads_their_projects_rates_and_the_billable_defaults(client_for, manager, project_rates):
    expected = {project_rates[name].pk for name in ("company", "mine", "mine_cost")}
    assert ids(client_for(manager).get(URL)) == expected


def test_a_manager_of_another_project_gets_404(client_for, manager, project_rates):
    client = client_for(manager)
    theirs = project_rates["theirs"]
    assert client.get(detail(theirs)).status_code == 404
    assert client.patch(detail(theirs), {"amount": "1"}).status_code == 404
    assert client.delete(detail(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.amount == Decimal("100")


def test_an_employee_sees_no_rate_by_default(client_for, employee, project_rates):
    client = client_for(employee)
    assert ids(client.get(URL)) == set()
    assert client.get(detail(project_rates["mine"])).status_code == 404


@override_settings(BILLING_EMPLOYEES_SEE_RATES=True)
def test_an_employee_never_reads_a_cost_rate(client_for, employee, project_rates):
    client = client_for(employee)
    assert ids(client.get(URL)) == {project_rates[name].pk for name in ("company", "mine", "theirs")}
    assert client.get(detail(project_rates["mine_cost"])).status_code == 404
    assert client.get(detail(project_rates["company_cost"])).status_code == 404


# --- Filters ---------------------------------------------------------------------------------


def test_filters(client_for, hr, project, task, employee, project_rates):
    client = client_for(hr)
    task_rate = RateFactory(level=RateLevel.TASK, task=task)
    person = RateFactory(level=RateLevel.USER_ON_PROJECT, user=employee, project=project)
    assert ids(client.get(URL, {"level": "company"})) == {project_rates["company"].pk, project_rates["company_cost"].pk}
    assert ids(client.get(URL, {"project": project.pk})) == {
        project_rates["mine"].pk,
        project_rates["mine_cost"].pk,
        task_rate.pk,
        person.pk,
    }
    assert ids(client.get(URL, {"task": task.pk})) == {task_rate.pk}
    assert ids(client.get(URL, {"user": employee.pk})) == {person.pk}
    assert ids(client.get(URL, {"kind": "cost"})) == {project_rates["company_cost"].pk, project_rates["mine_cost"].pk}


def test_valid_on_answers_the_rate_in_force(client_for, hr, project):
    client = client_for(hr)
    january = RateFactory(level=RateLevel.PROJECT, project=project, valid_from=date(2026, 1, 1))
    march = RateFactory(level=RateLevel.PROJECT, project=project, valid_from=date(2026, 3, 15), amount=120)
    company = RateFactory(level=RateLevel.COMPANY, valid_from=date(2026, 2, 1))
    assert ids(client.get(URL, {"valid_on": "2026-03-14", "level": "project"})) == {january.pk}
    assert ids(client.get(URL, {"valid_on": "2026-03-15"})) == {march.pk, company.pk}
    assert ids(client.get(URL, {"valid_on": "2026-01-15"})) == {january.pk}


@pytest.mark.parametrize(
    "query", [{"level": "planet"}, {"valid_on": "soon"}, {"project": "x"}, {"projcet": "1"}, {"valid_on": "1800-01-01"}]
)
def test_bad_filters_are_a_400(client_for, hr, query):
    assert client_for(hr).get(URL, query).status_code == 400


# --- Change and delete -------------------------------------------------------------------------


def test_patch_changes_the_amount(client_for, manager, project_rates):
    response = client_for(manager).patch(detail(project_rates["mine"]), {"amount": "99.99"})
    assert response.status_code == 200, response.json()
    assert response.json()["amount"] == "99.99"


def test_patch_of_the_target_is_refused_not_ignored(client_for, hr, other_project, project_rates):
    response = client_for(hr).patch(detail(project_rates["mine"]), {"project": other_project.pk})
    assert response.status_code == 400
    assert response.json()["code"] == "not_editable"


def test_put_of_the_whole_rate(client_for, hr, project, project_rates):
    rate = project_rates["mine"]
    body = {"kind": "billable", "level": "project", "project": project.pk, "amount": "70", "valid_from": "2026-02-01"}
    response = client_for(hr).put(detail(rate), body)
    assert response.status_code == 200, response.json()
    rate.refresh_from_db()
    assert (rate.amount, rate.valid_from) == (Decimal("70"), date(2026, 2, 1))


def test_a_manager_reads_but_cannot_change_the_company_default(client_for, manager, project_rates):
    client = client_for(manager)
    assert client.get(detail(project_rates["company"])).status_code == 200
    assert client.patch(detail(project_rates["company"]), {"amount": "1"}).status_code == 403


def test_delete(client_for, hr, project_rates):
    assert client_for(hr).delete(detail(project_rates["mine"])).status_code == 204
    assert not Rate.objects.filter(pk=project_rates["mine"].pk).exists()


# --- Queries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("user_fixture", ["hr", "manager"])
def test_the_list_reads_a_constant_number_of_queries(
    request, client_for, project, task, employee, django_assert_max_num_queries, user_fixture
):
    user = request.getfixturevalue(user_fixture)
    client = client_for(user)
    RateFactory(level=RateLevel.PROJECT, project=project)
    client.get(URL)  # warm: the user's roles
    with django_assert_max_num_queries(6) as few:
        client.get(URL)
    for day in range(2, 22):
        RateFactory(level=RateLevel.TASK, task=task, valid_from=date(2026, 1, day))
        RateFactory(level=RateLevel.USER_ON_PROJECT, project=project, user=employee, valid_from=date(2026, 1, day))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert response.json()["count"] == 41
