"""The factory pages and the dashboard panel: what they show, CSP-safe markup, fixed query counts."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from sprockets.tests.factories import FactoryFactory, SprocketFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("sprockets:factory-list")


def detail_url(factory):
    return reverse("sprockets:factory-detail", args=[factory.pk])


def test_pages_need_a_login(client):
    factory = FactoryFactory()
    for url in (LIST_URL, detail_url(factory)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.headers["Location"]


def test_navigation_links_the_factory_list(client, employee):
    client.force_login(employee)
    assert f'href="{LIST_URL}"' in client.get("/").content.decode()


@time_machine.travel(datetime(2026, 3, 4, 15, tzinfo=UTC), tick=False)
def test_list_shows_goal_today_and_percent(client, employee):
    factory = FactoryFactory(name="Leipzig Works", sprocket_production_goal=8)
    SprocketFactory.create_batch(2, factory=factory, produced_at=timezone.now() - timedelta(days=2))
    SprocketFactory.create_batch(6, factory=factory, produced_at=timezone.now() - timedelta(hours=1))
    client.force_login(employee)
    html = client.get(LIST_URL).content.decode()
    assert "Leipzig Works" in html
    assert "8 / day" in html
    assert "75 %" in html  # 6 of 8 today; the 2 from two days ago count in the total only
    assert re.search(r"Recorded in total</dt><dd[^>]*>8<", html)


def test_list_query_count_does_not_grow(client, employee, django_assert_max_num_queries):
    client.force_login(employee)
    for factory in FactoryFactory.create_batch(2):
        SprocketFactory(factory=factory)
    # session, user, the navigation's two role checks, the header timer's one, then one query for all the cards
    with django_assert_max_num_queries(6) as first:
        client.get(LIST_URL)
    for factory in FactoryFactory.create_batch(6):
        SprocketFactory(factory=factory)
    with django_assert_max_num_queries(len(first)):
        response = client.get(LIST_URL)
    assert response.content.decode().count('class="factory-card"') == 8


def test_detail_embeds_chart_data_and_loads_scripts_as_files(client, employee):
    factory = FactoryFactory(sprocket_production_goal=24)
    SprocketFactory(factory=factory, serial_number="SN-77")
    client.force_login(employee)
    response = client.get(detail_url(factory))
    html = response.content.decode()
    assert response.status_code == 200
    data = json.loads(
        re.search(r'<script id="production-chart-data" type="application/json">(.*?)</script>', html).group(1)
    )
    assert data["bucket"] == "day" and len(data["time"]) == 31
    assert data["sprocket_production_actual"][-1] == 1
    assert data["sprocket_production_goal"][-1] == "24.00"
    assert reverse("api:factory-chart", args=[factory.pk]) in html
    assert "chart.umd.min.js" in html and "js/sprockets.js" in html
    assert "SN-77" in html
    # The chart's numbers as a table too (31 days), for screen readers.
    table = html.split('id="production-chart-table"')[1].split("</tbody>")[0]
    assert table.count("<tr>") == 31 and "24.00" in table
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert " style=" not in html and " onclick=" not in html


def test_detail_query_count_does_not_grow(client, employee, django_assert_max_num_queries):
    factory = FactoryFactory()
    client.force_login(employee)
    SprocketFactory(factory=factory)
    # layout (4), factory with today's count, may-change-goal check, chart counts, goal timeline,
    # recent sprockets with their types
    with django_assert_max_num_queries(10) as first:  # the header timer's query included
        client.get(detail_url(factory))
    SprocketFactory.create_batch(30, factory=factory)
    with django_assert_max_num_queries(len(first)):
        response = client.get(detail_url(factory))
    recent = response.content.decode().split('id="recent-heading"')[1]
    assert recent.count("<tr>") == 21  # header + the 20 most recent


def test_unknown_factory_page_is_404(client, employee):
    client.force_login(employee)
    assert client.get(reverse("sprockets:factory-detail", args=[999_999])).status_code == 404


def test_dashboard_panel(client, employee, django_assert_max_num_queries):
    client.force_login(employee)
    assert "Production today" not in client.get("/").content.decode()  # no factories, no panel
    FactoryFactory(name="Leipzig Works")
    html = client.get("/").content.decode()
    assert "Production today" in html and "Leipzig Works" in html


def goal_url(factory):
    return reverse("sprockets:factory-goal", args=[factory.pk])


def test_planner_changes_the_goal_on_the_page(client, planner):
    factory = FactoryFactory(sprocket_production_goal=100)
    client.force_login(planner)
    assert 'action="' + goal_url(factory) + '"' in client.get(detail_url(factory)).content.decode()
    response = client.post(goal_url(factory), {"sprocket_production_goal": 140}, follow=True)
    assert response.redirect_chain[-1][0] == detail_url(factory)
    assert "is now 140" in response.content.decode()
    factory.refresh_from_db()
    assert factory.sprocket_production_goal == 140
    assert factory.chart_points.last().reason == "goal"


@pytest.mark.parametrize("value", ["-1", "abc", "", "3000000000"])
def test_bad_goal_is_shown_next_to_the_field(client, hr, value):
    factory = FactoryFactory(sprocket_production_goal=100)
    client.force_login(hr)
    response = client.post(goal_url(factory), {"sprocket_production_goal": value})
    assert response.status_code == 400
    assert 'id="id_sprocket_production_goal_error"' in response.content.decode()
    factory.refresh_from_db()
    assert factory.sprocket_production_goal == 100 and factory.chart_points.count() == 1


@pytest.mark.parametrize("role", ["employee", "manager", "outsider"])
def test_others_see_no_goal_form_and_cannot_post(request, client, role):
    factory = FactoryFactory(sprocket_production_goal=100)
    client.force_login(request.getfixturevalue(role))
    assert goal_url(factory) not in client.get(detail_url(factory)).content.decode()
    assert client.post(goal_url(factory), {"sprocket_production_goal": 5}).status_code == 403
    factory.refresh_from_db()
    assert factory.sprocket_production_goal == 100


def test_goal_for_unknown_factory_is_404_and_get_is_405(client, planner):
    client.force_login(planner)
    assert (
        client.post(reverse("sprockets:factory-goal", args=[999_999]), {"sprocket_production_goal": 5}).status_code
        == 404
    )
    assert client.get(goal_url(FactoryFactory())).status_code == 405
