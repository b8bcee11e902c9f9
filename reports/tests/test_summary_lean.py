"""The summary endpoint's lean output and `user=all` scope: the same answer as the serializer and as
a list of ids, in a constant number of queries."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from reports.api import SummarySerializer, summary_data
from reports.summary import Person, ReportFilters, parse_filters, summarize
from reports.tests.factories import ProjectFactory, TagFactory, TaskFactory, TimeEntryFactory, UserFactory, utc

pytestmark = pytest.mark.django_db

SUMMARY_URL = reverse("api:report-summary")
GROUPINGS = [["project"], ["task"], ["tag"], ["user"], ["day"], ["week", "project"], ["month", "tag"], ["user", "day"]]


@pytest.fixture
def people():
    berlin = UserFactory(username="berlin", timezone="Europe/Berlin", first_name="Bea", last_name="Lin")
    angeles = UserFactory(username="angeles", timezone="America/Los_Angeles")
    task = TaskFactory(name="Build")
    project = task.project
    other = ProjectFactory(name="Other", color="")
    review = TagFactory(name="review")
    start = utc(2026, 3, 1, 22)  # 23:00 in Berlin, 14:00 in Los Angeles: different local days
    TimeEntryFactory(user=berlin, started_at=start, ended_at=start + timedelta(minutes=95), project=project, task=task)
    TimeEntryFactory(
        user=angeles, started_at=start, ended_at=start + timedelta(seconds=7201), project=other, tags=[review]
    )
    TimeEntryFactory(user=angeles, started_at=start + timedelta(days=3), billable=True, tags=[review, TagFactory()])
    TimeEntryFactory(user=berlin, started_at=start + timedelta(days=9))
    return [berlin, angeles]


@pytest.mark.parametrize("group_by", GROUPINGS, ids=",".join)
def test_summary_data_is_exactly_the_serializers_output(people, group_by):
    report = summarize(ReportFilters(start=date(2026, 2, 27), end=date(2026, 3, 31), users=people), group_by)
    assert report["rows"], "the data must give rows to compare"
    assert summary_data(report) == SummarySerializer(report).data


@pytest.mark.parametrize("group_by", GROUPINGS, ids=",".join)
def test_everyone_by_subquery_equals_everyone_by_ids(people, hr, group_by):
    query = {"from": "2026-02-27", "to": "2026-03-31", "user": "all"}
    everyone = parse_filters(hr, query)
    assert everyone.everyone_of == hr
    assert all(isinstance(person, Person) for person in everyone.users)
    by_ids = ReportFilters(start=everyone.start, end=everyone.end, users=list(everyone.users))
    assert summarize(everyone, group_by) == summarize(by_ids, group_by)


def test_everyone_leaves_out_the_deactivated_and_the_invisible(people, manager, employee, colleague, outsider):
    TimeEntryFactory(user=colleague, started_at=utc(2026, 3, 2, 9))
    TimeEntryFactory(user=outsider, started_at=utc(2026, 3, 2, 9))
    TimeEntryFactory(user=employee, started_at=utc(2026, 3, 3, 9))
    employee.is_active = False
    employee.save()
    filters = parse_filters(manager, {"from": "2026-03-01", "to": "2026-03-31", "user": "all"})
    report = summarize(filters, ["user"])
    assert {row["user"] for row in report["rows"]} == {colleague.pk}
    assert sorted(report["users"]) == sorted([manager.pk, colleague.pk])


def test_the_company_summary_runs_a_constant_number_of_queries(
    client_for, hr, people, django_assert_max_num_queries, django_assert_num_queries
):
    client = client_for(hr)
    params = {"from": "2026-02-27", "to": "2026-03-31", "user": "all", "group_by": "project"}
    client.get(SUMMARY_URL, params)  # warm up: the viewer's role checks are cached on the user

    def count():
        with django_assert_max_num_queries(50) as captured:
            response = client.get(SUMMARY_URL, params)
        assert response.status_code == 200, response.json()
        return len(captured)

    few = count()
    for index in range(30):
        user = UserFactory(timezone=["Europe/Berlin", "Asia/Tokyo", "America/Los_Angeles"][index % 3])
        TimeEntryFactory(user=user, started_at=utc(2026, 3, 5, 9) + timedelta(hours=index), project=ProjectFactory())
    # people, the aggregate (one query for every zone), the project labels; the money HR sees: with
    # no rate and no rounding anywhere, whether there are any (reports.money.nothing_is_priced)
    assert count() == few == 5
    data = client.get(SUMMARY_URL, params).json()
    assert data["total"]["entries"] == 34 and len(data["rows"]) == 33
