"""The reads behind the /reports/ page: groups with sub-groups (summary.summarize_grouped), the
presets' dates (forms.preset_range) and expected/overtime for a set of people
(overtime.group_overtime), checked against hand-computed figures and query counts."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from accounts.models import User
from reports import overtime
from reports.forms import preset_range
from reports.summary import ReportError, ReportFilters, summarize, summarize_grouped
from reports.tests.factories import (
    ApprovedLeaveFactory,
    ProjectFactory,
    TagFactory,
    TimeEntryFactory,
    UserFactory,
    utc,
)

pytestmark = pytest.mark.django_db

# The week of Monday 30 March 2026; Friday 3 April is Good Friday (a public holiday in Bavaria).
MONDAY, SUNDAY = date(2026, 3, 30), date(2026, 4, 5)
JOINED = datetime(2026, 1, 1, 8, tzinfo=UTC)


def _person(username, **fields):
    return UserFactory(username=username, date_joined=JOINED, **fields)


def _work(user, day, hours, project=None, tags=(), start_hour=7):
    """An entry starting at `start_hour` UTC (the same Berlin day) on `day`."""
    start = datetime(day.year, day.month, day.day, start_hour, tzinfo=UTC)
    entry = TimeEntryFactory(user=user, project=project, started_at=start, ended_at=start + timedelta(hours=hours))
    if tags:
        entry.tags.set(tags)
    return entry


# --- Presets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "preset", "expected"),
    [
        (date(2026, 3, 20), "this_week", (date(2026, 3, 16), date(2026, 3, 22))),
        (date(2026, 3, 20), "last_week", (date(2026, 3, 9), date(2026, 3, 15))),
        (date(2026, 3, 16), "this_week", (date(2026, 3, 16), date(2026, 3, 22))),  # a Monday is its own week
        (date(2026, 3, 22), "this_week", (date(2026, 3, 16), date(2026, 3, 22))),  # a Sunday ends it
        (date(2026, 1, 1), "this_week", (date(2025, 12, 29), date(2026, 1, 4))),  # across the new year
        (date(2026, 1, 1), "last_week", (date(2025, 12, 22), date(2025, 12, 28))),
        (date(2026, 1, 1), "last_month", (date(2025, 12, 1), date(2025, 12, 31))),
        (date(2026, 1, 31), "this_month", (date(2026, 1, 1), date(2026, 1, 31))),
        (date(2024, 3, 1), "last_month", (date(2024, 2, 1), date(2024, 2, 29))),  # a leap February
        (date(2026, 3, 31), "last_month", (date(2026, 2, 1), date(2026, 2, 28))),
        (date(2026, 12, 31), "this_year", (date(2026, 1, 1), date(2026, 12, 31))),
    ],
)
def test_presets_resolve_to_whole_weeks_months_and_years(today, preset, expected):
    assert preset_range(preset, today) == expected


def test_custom_has_no_dates_of_its_own():
    with pytest.raises(ValueError, match="custom"):
        preset_range("custom", date(2026, 3, 20))


# --- Groups with sub-groups --------------------------------------------------------------------


def test_groups_hold_their_sub_groups_and_the_rows_are_the_summary_exports():
    alice = _person("alice")
    alpha, beta = ProjectFactory(name="Alpha"), ProjectFactory(name="beta")  # names sort case-blind
    _work(alice, MONDAY, 2, alpha)
    _work(alice, MONDAY, 1, beta, start_hour=10)
    _work(alice, MONDAY + timedelta(days=1), 3, beta)
    _work(alice, MONDAY + timedelta(days=1), 0.5, None, start_hour=11)
    filters = ReportFilters(start=MONDAY, end=SUNDAY, users=[alice])

    report = summarize_grouped(filters, "project", "day")

    assert [(group["label"], group["seconds"]) for group in report["groups"]] == [
        ("Alpha", 7200),
        ("beta", 14400),
        ("(no project)", 1800),  # none last
    ]
    beta_days = report["groups"][1]["children"]
    assert [(child["key"], child["label"], child["seconds"]) for child in beta_days] == [
        (MONDAY, "Mon 30 Mar 2026", 3600),
        (MONDAY + timedelta(days=1), "Tue 31 Mar 2026", 10800),
    ]
    assert report["total"]["seconds"] == 7200 + 14400 + 1800
    # Every (group, sub-group) pair is a row of summarize([group, sub-group]): what the summary
    # export of group_by=project,day writes.
    pairs = {
        (group["key"], child["key"]): child["seconds"] for group in report["groups"] for child in group["children"]
    }
    exported = summarize(filters, ["project", "day"])["rows"]
    assert pairs == {(row["project"], row["day"]): row["seconds"] for row in exported}
    assert [sub["label"] for sub in report["sub_groups"]] == ["Mon 30 Mar 2026", "Tue 31 Mar 2026"]


def test_an_entry_with_two_tags_is_in_both_sub_groups_and_once_in_its_group():
    alice = _person("alice")
    review, urgent = TagFactory(name="review"), TagFactory(name="urgent")
    _work(alice, MONDAY, 2, tags=[review, urgent])
    report = summarize_grouped(ReportFilters(start=MONDAY, end=SUNDAY, users=[alice]), "week", "tag")
    (week,) = report["groups"]
    assert week["label"] == "Week 14 from 30 Mar 2026"
    assert week["seconds"] == 7200
    assert [(child["label"], child["seconds"]) for child in week["children"]] == [("review", 7200), ("urgent", 7200)]
    assert report["total"]["seconds"] == 7200


def test_no_sub_group_and_month_labels():
    alice = _person("alice")
    _work(alice, date(2026, 3, 31), 1)
    _work(alice, date(2026, 4, 1), 2)
    report = summarize_grouped(ReportFilters(start=date(2026, 3, 1), end=date(2026, 4, 30), users=[alice]), "month")
    assert [(group["label"], group["seconds"], group["children"]) for group in report["groups"]] == [
        ("March 2026", 3600, []),
        ("April 2026", 7200, []),
    ]
    assert report["sub_groups"] == []


def test_a_grouping_cannot_be_its_own_sub_group():
    alice = _person("alice")
    with pytest.raises(ReportError) as refused:
        summarize_grouped(ReportFilters(start=MONDAY, end=SUNDAY, users=[alice]), "day", "day")
    assert refused.value.field == "sub_group"


# --- Expected and overtime for a set of people --------------------------------------------------


@pytest.fixture
def team(db):
    """A full-timer (40 h over Mon-Fri) and a part-timer (20 h over Mon, Wed, Fri), both in Bavaria."""
    full = _person("full", weekly_hours=Decimal("40"))
    part = _person("part", weekly_hours=Decimal("20"), working_weekdays="135")
    return full, part


def test_a_team_sums_each_persons_contract_holidays_and_leave(team):
    full, part = team
    # full: Mon-Thu 9 h (Good Friday is a holiday): 36 h worked against 4 x 8 = 32 h.
    for offset in range(4):
        _work(full, MONDAY + timedelta(days=offset), 9)
    # part: 20/3 h a day on Mon, Wed, Fri; Friday is the holiday and Wednesday approved leave:
    # 20/3 h expected (24000 s), 7 h worked on Monday.
    ApprovedLeaveFactory(user=part, start_date=date(2026, 4, 1), end_date=date(2026, 4, 1))
    _work(part, MONDAY, 7)

    report = overtime.group_overtime(User.objects.filter(pk__in=[full.pk, part.pk]), MONDAY, SUNDAY, today=SUNDAY)

    assert report["expected_seconds"] == 32 * 3600 + 24000  # 38:40
    assert report["actual_seconds"] == 43 * 3600
    assert report["overtime_seconds"] == 43 * 3600 - (32 * 3600 + 24000)  # +4:20
    assert report["overtime_hours"] == Decimal("4.33")
    people = {row["user"]: row for row in report["people"]}
    assert people[full.pk]["expected_seconds"] == 32 * 3600 and people[full.pk]["overtime_seconds"] == 4 * 3600
    assert people[part.pk]["expected_seconds"] == 24000 and people[part.pk]["overtime_seconds"] == 7 * 3600 - 24000
    (week,) = report["rows"]
    assert week["period"] == MONDAY and week["expected_seconds"] == report["expected_seconds"]


def test_days_after_today_are_expected_but_count_no_overtime_yet(team):
    full, part = team
    _work(full, MONDAY, 8)
    _work(full, MONDAY + timedelta(days=1), 8)
    # Tuesday: full is expected 16 h so far (worked 16 h), part 20/3 h (Monday; worked nothing).
    report = overtime.group_overtime(
        User.objects.filter(pk__in=[full.pk, part.pk]), MONDAY, SUNDAY, today=date(2026, 3, 31)
    )
    assert report["expected_seconds"] == 32 * 3600 + 2 * 24000  # the whole week's contract is shown
    assert report["overtime_seconds"] == -24000  # only part's Monday is missing so far


def test_nothing_is_expected_before_someone_joined(team):
    full, _part = team
    User.objects.filter(pk=full.pk).update(date_joined=datetime(2026, 4, 1, 8, tzinfo=UTC))  # a Wednesday
    report = overtime.group_overtime(User.objects.filter(pk=full.pk), MONDAY, SUNDAY, today=SUNDAY)
    assert report["expected_seconds"] == 2 * 8 * 3600  # Wednesday and Thursday


def test_one_person_as_a_group_agrees_with_their_own_report(team):
    full, _part = team
    ApprovedLeaveFactory(user=full, start_date=date(2026, 3, 31), end_date=date(2026, 3, 31), end_part="morning")
    _work(full, MONDAY, 9.5)
    _work(full, date(2026, 4, 2), 6)
    for period in ("day", "week", "month"):
        own = overtime.overtime_report(full, MONDAY, SUNDAY, period=period, today=SUNDAY, with_seconds=True)
        group = overtime.group_overtime(User.objects.filter(pk=full.pk), MONDAY, SUNDAY, period=period, today=SUNDAY)
        for name in ("expected", "actual", "overtime"):
            assert group[f"{name}_seconds"] == own[f"{name}_seconds"], (period, name)
        assert [row["period"] for row in group["rows"]] == [row["period"] for row in own["rows"]]
        assert [row["overtime_seconds"] for row in group["rows"]] == [row["overtime_seconds"] for row in own["rows"]]


def test_people_in_another_time_zone_count_their_own_days(team):
    full, _part = team
    angeles = _person("angeles", timezone="America/Los_Angeles", country="US", subdivision="CA")
    # 05:00 UTC on Tuesday is Monday 22:00 in Los Angeles.
    TimeEntryFactory(user=angeles, started_at=utc(2026, 3, 31, 5), ended_at=utc(2026, 3, 31, 6))
    report = overtime.group_overtime(
        User.objects.filter(pk__in=[full.pk, angeles.pk]), MONDAY, MONDAY, period="day", today=SUNDAY
    )
    people = {row["user"]: row for row in report["people"]}
    assert people[angeles.pk]["actual_seconds"] == 3600


def test_an_unknown_period_is_refused(team):
    with pytest.raises(ReportError):
        overtime.group_overtime(User.objects.all(), MONDAY, SUNDAY, period="year")


def test_the_query_count_does_not_grow_with_the_number_of_people(team, django_assert_num_queries):
    def people_with_time(prefix, count):
        users = [_person(f"{prefix}{index}", weekly_hours=Decimal("40")) for index in range(count)]
        for user in users:
            _work(user, MONDAY, 8)
            ApprovedLeaveFactory(user=user, start_date=date(2026, 4, 1), end_date=date(2026, 4, 1))
        return User.objects.filter(pk__in=[user.pk for user in users])

    few = people_with_time("few", 2)
    # The people, their first entries, their leave, the closures of their one calendar, the hours
    # of their one time zone.
    with django_assert_num_queries(5):
        overtime.group_overtime(few, MONDAY, SUNDAY, today=SUNDAY)
    many = few | people_with_time("many", 8)
    with django_assert_num_queries(5):
        report = overtime.group_overtime(many, MONDAY, SUNDAY, today=SUNDAY)
    assert len(report["people"]) == 10
    # 10 people x (32 h less Wednesday's leave: 24 h expected, 8 h worked).
    assert report["expected_seconds"] == 10 * 24 * 3600 and report["actual_seconds"] == 10 * 8 * 3600


def test_the_real_today_counts_as_far_as_it_is_worked_for_a_group_too(team):
    full, part = team
    _work(full, MONDAY, 8)
    _work(full, MONDAY + timedelta(days=1), 3)  # Tuesday, today: 3 h of its 8 so far
    with time_machine.travel(datetime(2026, 3, 31, 16, tzinfo=UTC), tick=False):
        report = overtime.group_overtime(User.objects.filter(pk__in=[full.pk, part.pk]), MONDAY, SUNDAY)
        own = overtime.overtime_report(full, MONDAY, SUNDAY, period="week", with_seconds=True)
    people = {row["user"]: row for row in report["people"]}
    assert people[full.pk]["overtime_seconds"] == 0  # not −5:00: today is not over
    assert people[full.pk]["overtime_seconds"] == own["overtime_seconds"]
    assert people[part.pk]["overtime_seconds"] == -24000  # part's Monday, a day that is over
