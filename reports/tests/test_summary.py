"""Summary aggregates: totals equal the entries in every grouping, local-day buckets across DST."""

from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.summary import DIMENSIONS, ReportError, ReportFilters, parse_group_by, summarize
from reports.tests.factories import ProjectFactory, TagFactory, TimeEntryFactory, UserFactory, utc

ENTRY = st.tuples(
    st.integers(0, 1),  # user
    st.integers(0, 40),  # day offset from the base
    st.integers(0, 600),  # start minute offset in the slot
    st.integers(1, 600),  # duration in minutes
    st.sampled_from([None, 0, 1]),  # project
    st.sets(st.integers(0, 2), max_size=3),  # tags
    st.booleans(),  # billable
)


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(ENTRY, max_size=12), levels=st.sampled_from([1, 2]))
def test_totals_equal_the_sum_of_the_entries_in_every_grouping(entries, levels):
    with transaction.atomic():
        users = [
            UserFactory(username="berlin", timezone="Europe/Berlin"),
            UserFactory(username="angeles", timezone="America/Los_Angeles"),
        ]
        projects = [ProjectFactory(name="A"), ProjectFactory(name="B")]
        tags = [TagFactory(name=f"t{index}") for index in range(3)]
        expected_total, by_tag, by_project = 0, defaultdict(int), defaultdict(int)
        used_slots = set()
        for user_index, day, minute, minutes, project, tag_set, billable in entries:
            if (user_index, day) in used_slots:
                continue  # one entry per user and slot: entries of one user never overlap
            used_slots.add((user_index, day))
            start = utc(2026, 3, 1) + timedelta(days=day, minutes=minute)
            TimeEntryFactory(
                user=users[user_index],
                started_at=start,
                ended_at=start + timedelta(minutes=minutes),
                project=projects[project] if project is not None else None,
                billable=billable,
                tags=[tags[index] for index in tag_set],
            )
            expected_total += minutes * 60
            by_project[projects[project].pk if project is not None else None] += minutes * 60
            for index in tag_set:
                by_tag[tags[index].pk] += minutes * 60
            if not tag_set:
                by_tag[None] += minutes * 60
        # A range wide enough for every local day the entries can fall on.
        filters = ReportFilters(start=date(2026, 2, 27), end=date(2026, 4, 15), users=users)
        for first in DIMENSIONS:
            others = [dimension for dimension in DIMENSIONS if dimension != first] if levels == 2 else [None]
            for second in others:
                group_by = [first] if second is None else [first, second]
                report = summarize(filters, group_by)
                assert report["total"]["seconds"] == expected_total, group_by
                rows = report["rows"]
                if "tag" not in group_by:
                    assert sum(row["seconds"] for row in rows) == expected_total, group_by
                else:
                    per_tag = defaultdict(int)
                    for row in rows:
                        per_tag[row["tag"]] += row["seconds"]
                    assert dict(per_tag) == dict(by_tag), group_by
                if group_by == ["project"]:
                    assert {row["project"]: row["seconds"] for row in rows} == dict(by_project)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_days_are_each_users_local_days_across_dst_in_two_time_zones():
    berlin = UserFactory(username="berlin", timezone="Europe/Berlin")  # CET -> CEST on 29 March 2026
    angeles = UserFactory(username="angeles", timezone="America/Los_Angeles")  # PST -> PDT on 8 March 2026
    # 23:30 UTC on the 28th is 00:30 on the 29th in Berlin (still CET, +1).
    TimeEntryFactory(user=berlin, started_at=utc(2026, 3, 28, 23, 30), ended_at=utc(2026, 3, 29, 0, 30))
    # 22:30 UTC on the 29th is 00:30 on the 30th in Berlin (now CEST, +2); a fixed +1 would say the 29th.
    TimeEntryFactory(user=berlin, started_at=utc(2026, 3, 29, 22, 30), ended_at=utc(2026, 3, 29, 23, 0))
    # 07:30 UTC on the 8th is 23:30 on the 7th in Los Angeles (PST, -8).
    TimeEntryFactory(user=angeles, started_at=utc(2026, 3, 8, 7, 30), ended_at=utc(2026, 3, 8, 9, 30))
    # 07:30 UTC on the 9th is 00:30 on the 9th (PDT, -7); a fixed -8 would say the 8th.
    TimeEntryFactory(user=angeles, started_at=utc(2026, 3, 9, 7, 30), ended_at=utc(2026, 3, 9, 8, 0))

    filters = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31), users=[berlin, angeles])
    rows = summarize(filters, ["user", "day"])["rows"]
    found = {(row["user"], row["day"]): row["seconds"] for row in rows}
    assert found == {
        (berlin.pk, date(2026, 3, 29)): 3600,
        (berlin.pk, date(2026, 3, 30)): 1800,
        (angeles.pk, date(2026, 3, 7)): 7200,
        (angeles.pk, date(2026, 3, 9)): 1800,
    }
    weeks = {(row["user"], row["week"]): row["seconds"] for row in summarize(filters, ["user", "week"])["rows"]}
    assert weeks == {
        (berlin.pk, date(2026, 3, 23)): 3600,
        (berlin.pk, date(2026, 3, 30)): 1800,
        (angeles.pk, date(2026, 3, 2)): 7200,
        (angeles.pk, date(2026, 3, 9)): 1800,
    }


@pytest.mark.django_db
def test_the_range_is_in_local_days_and_running_timers_do_not_count():
    berlin = UserFactory(username="berlin", timezone="Europe/Berlin")
    TimeEntryFactory(user=berlin, started_at=utc(2026, 3, 1, 23, 30), ended_at=utc(2026, 3, 2, 0, 30))  # 2 March
    TimeEntryFactory(user=berlin, started_at=utc(2026, 3, 3, 9), ended_at=None)  # running
    report = summarize(ReportFilters(start=date(2026, 3, 2), end=date(2026, 3, 2), users=[berlin]), ["day"])
    assert report["total"]["seconds"] == 3600
    report = summarize(ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 1), users=[berlin]), ["day"])
    assert report["total"]["seconds"] == 0


@pytest.mark.parametrize("raw", ["", "week,project", "tag", "user,month"])
def test_group_by_accepts_one_or_two_dimensions(raw):
    assert parse_group_by(raw) == (raw.split(",") if raw else ["day"])


@pytest.mark.parametrize("raw", ["year", "day,day", "day,week,project", "x" * 50])
def test_group_by_refuses_anything_else(raw):
    with pytest.raises(ReportError) as error:
        parse_group_by(raw)
    assert error.value.field == "group_by"
