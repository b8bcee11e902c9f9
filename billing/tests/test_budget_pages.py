"""Budgets on the pages: the projects page (a progress bar per budget), the managers' dashboard card,
and the admin (read-only, with usage)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from billing import services
from timetracking import services as timetracking
from timetracking.tests.factories import ProjectFactory

PROJECTS = reverse("budgets:project-list")
MARCH = datetime(2026, 3, 2, 8, tzinfo=UTC)


@pytest.fixture
def budgeted(hr, employee, project):
    budget = services.budget_create(actor=hr, project=project, hours=Decimal("10"), amount=Decimal("2000"))
    timetracking.entry_create(user=employee, project=project, started_at=MARCH, ended_at=MARCH + timedelta(hours=4))
    return budget


def test_the_projects_page_shows_each_budgets_usage(client, manager, outsider, project, budgeted):
    ProjectFactory(name="Not mine", members=[outsider])
    client.force_login(manager)
    page = client.get(PROJECTS).content.decode()
    assert 'value="40.0" max="100"' in page and "Budget of Website: 40.0 % used" in page
    assert "4.00 of 10.00 h" in page and "0.00 of 2000.00 EUR" in page
    assert "Not mine" not in page  # a manager sees the projects they manage


def test_employees_see_the_hours_not_the_money(client, employee, project, budgeted):
    client.force_login(employee)
    page = client.get(PROJECTS).content.decode()
    assert "4.00 of 10.00 h" in page and "EUR" not in page


def test_the_projects_page_has_an_empty_state_and_a_no_budget_state(client, employee, manager, project):
    client.force_login(manager)
    assert "No budget." in client.get(PROJECTS).content.decode()
    project.members.clear()
    assert "No projects to show." in client.get(PROJECTS).content.decode()


def test_the_projects_page_reads_a_constant_number_of_queries(client, hr, employee, django_assert_num_queries):
    def add(count):
        for index in range(count):
            project = ProjectFactory(members=[employee])
            services.budget_create(actor=hr, project=project, hours=Decimal("3"))
            start = MARCH + timedelta(hours=2 * project.pk + index)
            timetracking.entry_create(
                user=employee, project=project, started_at=start, ended_at=start + timedelta(hours=1)
            )

    client.force_login(hr)
    add(2)
    with django_assert_num_queries(30, exact=False) as few:
        assert client.get(PROJECTS).status_code == 200
    add(8)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(PROJECTS).status_code == 200


def test_the_managers_dashboard_has_a_budgets_card(client, manager, project, budgeted):
    client.force_login(manager)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Project budgets" in page and "Budget of Website: 40.0 % used" in page


def test_employees_and_hr_get_no_budgets_card(client, employee, hr, project, budgeted):
    for user in (employee, hr):
        client.force_login(user)
        assert "Project budgets" not in client.get(reverse("dashboard")).content.decode()


def test_the_card_costs_a_few_queries_whatever_the_budgets(client, hr, manager, employee, django_assert_num_queries):
    client.force_login(manager)
    ProjectFactory(members=[employee])
    with django_assert_num_queries(100, exact=False) as without:
        client.get(reverse("dashboard"))
    for index in range(8):
        project = ProjectFactory(members=[employee])
        services.budget_create(actor=hr, project=project, hours=Decimal("3"))
        start = MARCH + timedelta(hours=2 * index)
        timetracking.entry_create(user=employee, project=project, started_at=start, ended_at=start + timedelta(hours=1))
    with django_assert_num_queries(100, exact=False) as card:
        assert "Project budgets" in client.get(reverse("dashboard")).content.decode()
    # Beyond the budgets' query (which finds none without budgets): their entries and the projects' terms
    # (hours only: no rate is read).
    assert len(card.captured_queries) - len(without.captured_queries) == 2


def test_hr_reads_budgets_with_their_usage_in_the_admin(client, hr, project, budgeted):
    client.force_login(hr)
    page = client.get("/admin/billing/budget/").content.decode()
    assert "4.00 h / 0.00 EUR" in page and "40.0 %" in page
    assert client.get(f"/admin/billing/budget/{budgeted.pk}/change/").status_code == 200
    assert client.get("/admin/billing/budgetalert/").status_code == 200
    assert client.get("/admin/billing/budget/add/").status_code == 403


def test_a_manager_sees_no_budget_admin(client, manager, budgeted):
    client.force_login(manager)
    assert client.get("/admin/billing/budget/").status_code == 403
