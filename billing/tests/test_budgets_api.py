"""budgets/ and the billing fields of projects/ and clients/: who reads and writes what, bad input,
409 budget_exceeded on the entry paths, and query counts constant in rows."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditEvent
from billing import services
from billing.budget_models import Budget
from billing.models import ClientBilling, ProjectBilling
from billing.tests.factories import RateFactory
from timetracking import services as timetracking
from timetracking.tests.factories import ClientFactory, ProjectFactory

BUDGETS = reverse("api:budget-list")
MARCH = datetime(2026, 3, 2, 8, tzinfo=UTC)


def detail(budget):
    return reverse("api:budget-detail", args=[budget.pk])


def project_url(project):
    return reverse("api:project-detail", args=[project.pk])


@pytest.fixture
def budget(hr, project):
    return services.budget_create(actor=hr, project=project, hours=Decimal("10"), amount=Decimal("2000"))


# --- budgets/ ----------------------------------------------------------------------------------------


def test_hr_creates_reads_changes_and_deletes_a_budget(client_for, hr, employee, project):
    RateFactory(amount=Decimal("100"))
    timetracking.entry_create(user=employee, project=project, started_at=MARCH, ended_at=MARCH + timedelta(hours=2))
    api = client_for(hr)
    created = api.post(
        BUDGETS,
        {"project": project.pk, "hours": "10", "amount": "1000", "thresholds": [50, 100], "refuse_when_exceeded": True},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert {key: body[key] for key in ("hours", "amount", "currency", "period", "thresholds")} == {
        "hours": "10.00",
        "amount": "1000.00",
        "currency": "EUR",
        "period": "total",
        "thresholds": [50, 100],
    }
    assert (body["used_hours"], body["used_amount"], body["used_percent"]) == ("2.00", "200.00", "20.0")
    assert (body["period_start"], body["period_end"]) == ("2000-01-01", None)
    budget = Budget.objects.get()
    changed = api.patch(detail(budget), {"period": "month", "hours": None}, format="json")
    assert changed.status_code == 200 and (changed.json()["period"], changed.json()["hours"]) == ("month", None)
    assert api.delete(detail(budget)).status_code == 204
    assert not Budget.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="billing.budget").count() == 3


def test_a_manager_writes_the_budgets_of_the_projects_they_manage_only(client_for, manager, outsider, project, acme):
    api = client_for(manager)
    assert api.post(BUDGETS, {"project": project.pk, "hours": "5"}, format="json").status_code == 201
    elsewhere = ProjectFactory(members=[outsider])
    refused = api.post(BUDGETS, {"project": elsewhere.pk, "hours": "5"}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "does_not_exist" and "project" in refused.json()
    assert api.post(BUDGETS, {"client": acme.pk, "hours": "5"}, format="json").status_code == 403
    others = services.budget_create(actor=_hr(), project=elsewhere, hours=Decimal("1"))
    assert api.get(detail(others)).status_code == 404
    assert api.patch(detail(others), {"hours": "99"}, format="json").status_code == 404
    assert [row["project"] for row in api.get(BUDGETS).json()["results"]] == [project.pk]


def _hr():
    from accounts.tests.factories import HRFactory

    return HRFactory()


def test_employees_see_no_budget_and_write_none(client_for, employee, project, budget):
    api = client_for(employee)
    assert api.get(BUDGETS).json()["results"] == []
    assert api.get(detail(budget)).status_code == 404
    assert api.patch(detail(budget), {"hours": "1"}, format="json").status_code == 404
    refused = api.post(BUDGETS, {"project": project.pk, "hours": "5"}, format="json")
    assert refused.status_code == 403
    assert Budget.objects.get().hours == Decimal("10")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"hours": "-1"}, "hours"),
        ({"amount": "-5"}, "amount"),
        ({}, "hours"),
        ({"hours": "5", "thresholds": [0]}, "thresholds"),
        ({"hours": "5", "thresholds": [1001]}, "thresholds"),
        ({"hours": "5", "thresholds": "eighty"}, "thresholds"),
        ({"hours": "5", "period": "week"}, "period"),
        ({"hours": "abc"}, "hours"),
    ],
)
def test_bad_input_is_400_at_its_field(client_for, hr, project, body, field):
    response = client_for(hr).post(BUDGETS, {"project": project.pk, **body}, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Budget.objects.exists()


def test_a_second_budget_for_a_project_is_400(client_for, hr, project, budget):
    response = client_for(hr).post(BUDGETS, {"project": project.pk, "hours": "5"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "duplicate"


def test_the_budgets_list_reads_a_constant_number_of_queries(client_for, hr, employee, django_assert_num_queries):
    def add(count):
        for _ in range(count):
            project = ProjectFactory(members=[employee])
            services.budget_create(actor=hr, project=project, hours=Decimal("3"))
            start = MARCH + timedelta(hours=2 * Budget.objects.count())
            timetracking.entry_create(
                user=employee, project=project, started_at=start, ended_at=start + timedelta(hours=1)
            )

    api = client_for(hr)
    add(2)
    # count, page, the entries, the projects' terms (hours only: no rates)
    with django_assert_num_queries(4) as few:
        assert api.get(BUDGETS).status_code == 200
    add(8)
    with django_assert_num_queries(len(few.captured_queries)):
        response = api.get(BUDGETS)
    assert len(response.json()["results"]) == 10


# --- projects/ and clients/ ------------------------------------------------------------------------


def test_a_projects_budget_and_rounding_are_set_through_projects(client_for, hr, project):
    response = client_for(hr).patch(
        project_url(project),
        {"budget_hours": "40", "budget_amount": "5000", "budget_period": "month", "rounding": "up:15"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["budget_hours"], body["budget_amount"], body["budget_period"], body["rounding"]) == (
        "40.00",
        "5000.00",
        "month",
        "up:15:entry",
    )
    assert (body["budget_used_hours"], body["budget_used_amount"]) == ("0.00", "0.00")
    budget = Budget.objects.get(project=project)
    assert (budget.hours, budget.amount, budget.period) == (Decimal("40.00"), Decimal("5000.000"), "month")
    assert ProjectBilling.objects.get(project=project).rounding_mode == "up"
    cleared = client_for(hr).patch(project_url(project), {"budget_hours": None, "budget_amount": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["budget_hours"] is None
    assert not Budget.objects.exists()


def test_a_project_is_created_with_its_budget_in_one_transaction(client_for, hr):
    url = reverse("api:project-list")
    created = client_for(hr).post(url, {"name": "New", "budget_hours": "12"}, format="json")
    assert created.status_code == 201 and created.json()["budget_hours"] == "12.00"
    refused = client_for(hr).post(url, {"name": "Other", "budget_amount": "-1"}, format="json")
    assert refused.status_code == 400 and "budget_amount" in refused.json()
    assert not ProjectFactory._meta.model.objects.filter(name="Other").exists()


def test_bad_billing_fields_of_a_project_are_400(client_for, hr, project):
    api = client_for(hr)
    for body, field in [({"rounding": "sideways:15"}, "rounding"), ({"budget_hours": "-1"}, "budget_hours")]:
        response = api.patch(project_url(project), body, format="json")
        assert response.status_code == 400 and field in response.json(), response.json()
    assert not Budget.objects.exists() and not ProjectBilling.objects.exists()


def test_a_manager_cannot_budget_a_project_they_do_not_manage(client_for, manager, outsider, employee):
    elsewhere = ProjectFactory(members=[outsider])
    ProjectFactory(members=[employee])  # the manager manages one project
    response = client_for(manager).patch(project_url(elsewhere), {"budget_hours": "5"}, format="json")
    assert response.status_code == 403
    assert not Budget.objects.exists()


def test_employees_see_the_hours_of_a_budget_not_its_money(client_for, employee, project, budget):
    body = client_for(employee).get(project_url(project)).json()
    assert (body["budget_hours"], body["budget_used_hours"]) == ("10.00", "0.00")
    assert (body["budget_amount"], body["budget_used_amount"]) == (None, None)
    assert client_for(employee).patch(project_url(project), {"budget_hours": "99"}, format="json").status_code == 403


def test_the_projects_list_reads_a_constant_number_of_queries(client_for, hr, employee, django_assert_num_queries):
    def add(count):
        for _ in range(count):
            project = ProjectFactory(members=[employee])
            services.budget_create(actor=hr, project=project, hours=Decimal("3"), amount=Decimal("100"))
            start = MARCH + timedelta(hours=2 * Budget.objects.count())
            timetracking.entry_create(
                user=employee, project=project, started_at=start, ended_at=start + timedelta(hours=1)
            )

    api = client_for(hr)
    add(2)
    with django_assert_num_queries(6) as few:  # count, page, members, the entries, terms, HR? (amounts)
        assert api.get(reverse("api:project-list")).status_code == 200
    add(8)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(api.get(reverse("api:project-list")).json()["results"]) == 10


def test_a_clients_currency_and_budget_through_clients(client_for, hr, manager, employee, acme, project):
    url = reverse("api:client-detail", args=[acme.pk])
    response = client_for(hr).patch(url, {"currency": "USD", "budget_amount": "900"}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["currency"], response.json()["budget_amount"]) == ("USD", "900.00")
    assert ClientBilling.objects.get(client=acme).currency == "USD"
    assert Budget.objects.get(client=acme).currency == "USD"
    assert client_for(manager).patch(url, {"budget_hours": "5"}, format="json").status_code == 403
    assert client_for(manager).patch(url, {"currency": "EUR"}, format="json").status_code == 403
    assert client_for(hr).patch(url, {"currency": "XXX"}, format="json").status_code == 400
    listed = client_for(employee).get(reverse("api:client-list")).json()["results"]
    assert [(row["currency"], row["budget_amount"]) for row in listed] == [("USD", None)]


def test_the_clients_list_reads_a_constant_number_of_queries(client_for, hr, django_assert_num_queries):
    for _ in range(2):
        services.budget_create(actor=hr, client=ClientFactory(), hours=Decimal("3"))
    with django_assert_num_queries(3) as few:  # count, page, the clients' projects (none: no entries to read)
        assert client_for(hr).get(reverse("api:client-list")).status_code == 200
    for _ in range(6):
        services.budget_create(actor=hr, client=ClientFactory(), hours=Decimal("3"))
    with django_assert_num_queries(len(few.captured_queries)):
        assert client_for(hr).get(reverse("api:client-list")).status_code == 200


# --- 409 budget_exceeded on the entry paths -------------------------------------------------------


@pytest.fixture
def used_up(hr, employee, project):
    services.budget_create(actor=hr, project=project, hours=Decimal("1"), refuse_when_exceeded=True)
    timetracking.entry_create(user=employee, project=project, started_at=MARCH, ended_at=MARCH + timedelta(hours=1))


def test_creating_an_entry_past_a_used_up_budget_is_409(client_for, employee, project, used_up):
    response = client_for(employee).post(
        reverse("api:time-entry-list"),
        {"project": project.pk, "started_at": "2026-03-03T08:00:00Z", "ended_at": "2026-03-03T09:00:00Z"},
        format="json",
    )
    assert response.status_code == 409 and response.json()["code"] == "budget_exceeded"
    assert project.time_entries.count() == 1


def test_starting_a_timer_on_a_used_up_budget_is_409(client_for, employee, project, used_up):
    with time_machine.travel(MARCH + timedelta(days=1), tick=False):
        response = client_for(employee).post(reverse("api:timer-start"), {"project": project.pk}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "budget_exceeded"


def test_a_bulk_create_past_the_budget_is_refused_whole(client_for, employee, project, used_up):
    rows = [
        {"project": project.pk, "started_at": f"2026-03-0{day}T08:00:00Z", "ended_at": f"2026-03-0{day}T09:00:00Z"}
        for day in (4, 5)
    ]
    response = client_for(employee).post(reverse("api:time-entry-bulk"), rows, format="json")
    assert response.status_code in (400, 409) and project.time_entries.count() == 1
