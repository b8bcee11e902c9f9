"""Every scenario's SQL query count is the same on a data set with twice the rows."""

import pytest

from bench.scenarios import SCENARIOS, Context, measure_queries, prepare_auth
from bench.tests.factories import DOUBLE, TINY, generate

pytestmark = pytest.mark.django_db


def _counts(dataset):
    context = prepare_auth(Context.load(dataset))
    return context, measure_queries(context, full_stream=True)


def test_query_counts_do_not_grow_with_rows():
    small_context, small = _counts(generate(TINY, prefix="bench"))
    large_context, large = _counts(generate(DOUBLE, prefix="benchlarge"))

    assert set(small) == {scenario.key for scenario in SCENARIOS if scenario.available()}
    assert {"a", "b", "c", "d", "g", "h", "j"} <= set(small)
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
