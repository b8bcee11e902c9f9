"""Every scenario's SQL query count is the same on a data set with twice the rows."""

import pytest

from bench.scenarios import SCENARIOS, Context, measure_queries, prepare_auth
from bench.tests.factories import DOUBLE, TINY, generate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bench_urls(settings):
    """The bench server's URLs (bench/settings.py): the reference views (p), (q), (r) too."""
    settings.ROOT_URLCONF = "bench.urls"


def _counts(dataset):
    context = prepare_auth(Context.load(dataset))
    return context, measure_queries(context, full_stream=True)


def test_query_counts_do_not_grow_with_rows():
    small_context, small = _counts(generate(TINY, prefix="bench"))
    large_context, large = _counts(generate(DOUBLE, prefix="benchlarge"))

    assert set(small) == {scenario.key for scenario in SCENARIOS if scenario.available()}
    assert {"p", "q", "r", "a", "b", "c", "d", "g", "h", "j"} <= set(small)
    # The plain views run no query; the authenticated no-op only loads its user.
    assert small["p"]["queries"] == small["q"]["queries"] == [0]
    assert small["r"]["queries"] == [1]
    for key, measured in small.items():
        assert all(status < 300 for status in measured["status"]), (key, measured["status"])
        assert all(status < 300 for status in large[key]["status"]), (key, large[key]["status"])
        # (i) included: the streamed export reads every row, tags joined, through one query.
        assert measured["queries"] == large[key]["queries"], key
    # The larger data set really is larger where each scenario reads.
    assert large_context.factory.sprocket_production_actual == 2 * small_context.factory.sprocket_production_actual


def test_the_write_scenarios_leave_no_rows_behind():
    from timetracking.models import TimeEntry

    context = prepare_auth(Context.load(generate()))
    before = TimeEntry.objects.count()

    measure_queries(context, [scenario for scenario in SCENARIOS if scenario.mode != "plain"])

    assert TimeEntry.objects.count() == before


def test_the_reference_views_are_only_in_the_bench_servers_urls(client, settings):
    from django.urls import NoReverseMatch, reverse

    settings.ROOT_URLCONF = "config.urls"  # production's
    for name in ("bench-plain", "bench-drf-open", "bench-drf-authenticated"):
        with pytest.raises(NoReverseMatch):
            reverse(name)
    for path in ("/bench/plain/", "/bench/drf-open/", "/bench/drf-authenticated/"):
        assert client.get(path).status_code == 404


def test_the_authenticated_no_op_refuses_an_anonymous_caller(client):
    assert client.get("/bench/plain/").status_code == 200
    assert client.get("/bench/drf-open/").json() == {"ok": True}
    assert client.get("/bench/drf-authenticated/").status_code == 401


def test_the_priced_summary_has_amounts_and_leaves_no_rate_behind(client):
    from bench.scenarios import BY_KEY, auth_headers, priced_rates
    from billing.models import Rate

    context = prepare_auth(Context.load(generate(TINY, prefix="bench")))
    priced, unpriced = BY_KEY["k"], BY_KEY["f"]
    assert priced.path(context) == unpriced.path(context)  # the same request, with and without rates
    headers = auth_headers(priced, context, context.hr)
    plain = client.get(unpriced.path(context), headers=headers).json()["total"]
    with priced_rates(context):
        total = client.get(priced.path(context), headers=headers).json()["total"]
    assert plain["amount"] is None and total["amount"] is not None and total["cost"] is not None
    assert not Rate.objects.exists()
