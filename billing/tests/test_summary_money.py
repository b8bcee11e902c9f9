"""reports/summary/ with billing's money: each group's billed seconds, amount and cost are the sums of
its entries' own (as time-entries/ answers them), in every grouping, for any entries and rates; and an
invoice's total is its lines' and its entries' amounts."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import UserFactory
from billing.models import InvoiceGrouping, RateKind, RateLevel
from billing.services import invoices as invoice_services
from billing.services.errors import BillingError
from billing.tests.factories import ClientBillingFactory, ProjectBillingFactory, RateFactory, reprice_all
from core.days import week_start
from reports.summary import DIMENSIONS
from timetracking.tests.factories import (
    ClientFactory,
    ProjectFactory,
    TagFactory,
    TaskFactory,
    TimeEntryFactory,
)

SUMMARY = "/api/v1/reports/summary/"
ENTRIES = "/api/v1/time-entries/"
RANGE = {"from": "2026-03-01", "to": "2026-03-31", "user": "all"}
GROUPINGS = [[dimension] for dimension in DIMENSIONS] + [["week", "project"], ["user", "tag"], ["month", "task"]]
BASE = datetime(2026, 2, 27, 6, tzinfo=UTC)


def _local_day(entry, zones):
    return datetime.fromisoformat(entry["started_at"].replace("Z", "+00:00")).astimezone(zones[entry["user"]]).date()


def _keys(entry, group_by, zones):
    local = _local_day(entry, zones)
    parts = []
    for dimension in group_by:
        parts.append(
            {
                "day": [local.isoformat()],
                "week": [week_start(local).isoformat()],
                "month": [local.replace(day=1).isoformat()],
                "project": [entry["project"]],
                "task": [entry["task"]],
                "user": [entry["user"]],
                "tag": [tag["id"] for tag in entry["tags"]] or [None],
            }[dimension]
        )
    keys = [()]
    for values in parts:
        keys = [(*key, value) for key in keys for value in values]
    return keys


def _expected(entries, group_by, zones):
    groups = defaultdict(list)
    for entry in entries:
        for key in _keys(entry, group_by, zones):
            groups[key].append(entry)
    return groups


def _sum(entries, name):
    values = [Decimal(entry[name]) for entry in entries if entry[name] is not None]
    return sum(values, Decimal(0)) if values else None


def check_every_grouping(client, zones):
    # Every entry, then those on the report's days in their owner's time zone (the list's from/to
    # are the caller's local days).
    entries = client.get(ENTRIES, {"page_size": 500}).json()["results"]
    first, last = date.fromisoformat(RANGE["from"]), date.fromisoformat(RANGE["to"])
    finished = [
        entry for entry in entries if entry["ended_at"] is not None and first <= _local_day(entry, zones) <= last
    ]
    for group_by in GROUPINGS:
        report = client.get(SUMMARY, {**RANGE, "group_by": ",".join(group_by)}).json()
        expected = _expected(finished, group_by, zones)
        assert len(report["rows"]) == len(expected), group_by
        for row in report["rows"]:
            members = expected[tuple(row[dimension] for dimension in group_by)]
            assert row["seconds"] == sum(entry["duration_seconds"] for entry in members)
            assert row["billed_seconds"] == sum(entry["billed_seconds"] for entry in members)
            currencies = {entry["currency"] for entry in members if entry["amount"] or entry["cost"]}
            currencies |= {entry["currency"] for entry in members if entry["cost"] is not None}
            currencies |= {entry["currency"] for entry in members if entry["amount"] is not None}
            if len(currencies) > 1:
                assert (row["amount"], row["cost"], row["currency"]) == (None, None, None), (group_by, row)
                continue
            for name in ("amount", "cost"):
                total = _sum(members, name)
                assert (None if row[name] is None else Decimal(row[name])) == total, (group_by, name, row)
        total = report["total"]
        assert total["billed_seconds"] == sum(entry["billed_seconds"] for entry in finished)
        if total["currency"] is not None:
            assert Decimal(total["amount"] or 0) == (_sum(finished, "amount") or 0)


@pytest.fixture
def world(db, hr):
    tokyo = UserFactory(username="tokyo", timezone="Asia/Tokyo")
    berlin = UserFactory(username="berlin", timezone="Europe/Berlin")
    euro, yen = ClientFactory(name="Euro client"), ClientFactory(name="Yen client")
    ClientBillingFactory(client=yen, currency="JPY")
    projects = [ProjectFactory(client=euro), ProjectFactory(client=euro), ProjectFactory(client=yen)]
    tasks = [TaskFactory(project=project) for project in projects]
    tags = [TagFactory(), TagFactory()]
    return {
        "users": [berlin, tokyo],
        "clients": [euro, yen],
        "projects": projects,
        "tasks": tasks,
        "tags": tags,
        "zones": {berlin.pk: ZoneInfo(berlin.timezone), tokyo.pk: ZoneInfo(tokyo.timezone)},
    }


entry_strategy = st.fixed_dictionaries(
    {
        "user": st.integers(0, 1),
        "project": st.one_of(st.none(), st.integers(0, 2)),
        "with_task": st.booleans(),
        "minutes": st.integers(1, 299),
        "billable": st.booleans(),
        "tags": st.sets(st.integers(0, 1)),
    }
)
rate_strategy = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(RateKind.values),
        "level": st.sampled_from(RateLevel.values),
        "target": st.integers(0, 2),
        "user": st.integers(0, 1),
        "day": st.integers(0, 40),
        "amount": st.integers(0, 20000),
    }
)
rounding_strategy = st.tuples(
    st.sampled_from(["none", "up", "down", "nearest"]),
    st.sampled_from([1, 5, 6, 10, 15, 30]),
    st.sampled_from(["entry", "day"]),
)


def arrange(world, entries, rates, roundings):
    for index, (mode, minutes, scope) in enumerate(roundings):
        ProjectBillingFactory(
            project=world["projects"][index], rounding_mode=mode, rounding_minutes=minutes, rounding_scope=scope
        )
    for index, spec in enumerate(entries):
        project = None if spec["project"] is None else world["projects"][spec["project"]]
        task = world["tasks"][spec["project"]] if project is not None and spec["with_task"] else None
        start = BASE + timedelta(hours=5 * index)  # never overlapping, over a month and more
        TimeEntryFactory(
            user=world["users"][spec["user"]],
            project=project,
            task=task,
            billable=spec["billable"],
            started_at=start,
            ended_at=start + timedelta(minutes=spec["minutes"]),
            tags=[world["tags"][tag] for tag in spec["tags"]],
        )
    seen = set()
    for spec in rates:
        project = world["projects"][spec["target"]]
        currency = "JPY" if project.client == world["clients"][1] else "EUR"
        level, targets = spec["level"], {}
        if level == RateLevel.COMPANY:
            currency = ["EUR", "JPY", "EUR"][spec["target"]]
        elif level == RateLevel.CLIENT:
            targets = {"client": project.client}
        elif level == RateLevel.PROJECT:
            targets = {"project": project}
        elif level == RateLevel.TASK:
            targets = {"task": world["tasks"][spec["target"]]}
        else:
            targets = {"project": project, "user": world["users"][spec["user"]]}
        valid_from = date(2026, 2, 20) + timedelta(days=spec["day"])
        key = (spec["kind"], level, currency, tuple(sorted((k, v.pk) for k, v in targets.items())), valid_from)
        if key in seen:
            continue
        seen.add(key)
        amount = Decimal(spec["amount"]) if currency == "JPY" else Decimal(spec["amount"]) / 100
        RateFactory(kind=spec["kind"], level=level, currency=currency, valid_from=valid_from, amount=amount, **targets)
    reprice_all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.lists(entry_strategy, min_size=1, max_size=12),
    rates=st.lists(rate_strategy, max_size=10),
    roundings=st.lists(rounding_strategy, max_size=3),
)
def test_summary_amounts_are_the_sums_of_the_entries_amounts(world, client_for, hr, entries, rates, roundings):
    with transaction.atomic():
        arrange(world, entries, rates, roundings)
        check_every_grouping(client_for(hr), world["zones"])
        transaction.set_rollback(True)


def test_a_known_case(world, client_for, hr):
    """Berlin: 50 min and 20 min on project 0 at 90/h rounded up to 15 min per entry; Tokyo: 1 h on the
    yen project at 1000/h; the project grouping's rows, and the total mixes currencies."""
    berlin, tokyo = world["users"]
    first, _, yen_project = world["projects"]
    ProjectBillingFactory(project=first, rounding_mode="up", rounding_minutes=15)
    RateFactory(level=RateLevel.PROJECT, project=first, amount=Decimal("90"))
    RateFactory(level=RateLevel.PROJECT, project=yen_project, amount=Decimal("1000"), currency="JPY")
    start = datetime(2026, 3, 10, 8, tzinfo=UTC)
    for minutes, offset in ((50, 0), (20, 2)):
        TimeEntryFactory(
            user=berlin,
            project=first,
            billable=True,
            started_at=start + timedelta(hours=offset),
            ended_at=start + timedelta(hours=offset, minutes=minutes),
        )
    TimeEntryFactory(
        user=tokyo, project=yen_project, billable=True, started_at=start, ended_at=start + timedelta(hours=1)
    )
    reprice_all()
    report = client_for(hr).get(SUMMARY, {**RANGE, "group_by": "project"}).json()
    rows = {row["project"]: row for row in report["rows"]}
    assert (rows[first.pk]["amount"], rows[first.pk]["billed_seconds"], rows[first.pk]["currency"]) == (
        "135.00",  # 1 h and 30 min billed
        5400,
        "EUR",
    )
    assert (rows[yen_project.pk]["amount"], rows[yen_project.pk]["currency"]) == ("1000", "JPY")
    assert (report["total"]["amount"], report["total"]["currency"]) == (None, None)
    assert report["total"]["billed_seconds"] == 5400 + 3600


def test_employees_see_no_money_in_the_summary_unless_allowed(world, client_for):
    berlin = world["users"][0]
    RateFactory(level=RateLevel.PROJECT, project=world["projects"][0], amount=Decimal("90"))
    RateFactory(level=RateLevel.PROJECT, project=world["projects"][0], amount=Decimal("50"), kind=RateKind.COST)
    start = datetime(2026, 3, 10, 8, tzinfo=UTC)
    TimeEntryFactory(
        user=berlin, project=world["projects"][0], billable=True, started_at=start, ended_at=start + timedelta(hours=1)
    )
    reprice_all()
    query = {"from": "2026-03-01", "to": "2026-03-31", "group_by": "project"}
    (row,) = client_for(berlin).get(SUMMARY, query).json()["rows"]
    assert (row["amount"], row["cost"], row["billed_seconds"]) == (None, None, None)
    with override_settings(BILLING_EMPLOYEES_SEE_RATES=True):
        (row,) = client_for(berlin).get(SUMMARY, query).json()["rows"]
    assert (row["amount"], row["cost"], row["billed_seconds"]) == ("90.00", None, 3600)


def test_the_priced_summary_reads_a_constant_number_of_queries(world, client_for, hr, django_assert_max_num_queries):
    berlin, tokyo = world["users"]
    RateFactory(level=RateLevel.COMPANY, amount=Decimal("50"))
    ProjectBillingFactory(project=world["projects"][0], rounding_mode="up", rounding_minutes=15, rounding_scope="day")
    client = client_for(hr)

    def add(count, offset):
        for index in range(count):
            start = datetime(2026, 3, 2, 6, tzinfo=UTC) + timedelta(hours=5 * (index + offset))
            project = world["projects"][index % 3]
            RateFactory(
                level=RateLevel.PROJECT,
                project=project,
                valid_from=date(2026, 1, 1) + timedelta(days=index + offset),
                currency="JPY" if index % 3 == 2 else "EUR",
            )
            TimeEntryFactory(
                user=[berlin, tokyo][index % 2],
                project=project,
                task=world["tasks"][index % 3],
                billable=True,
                started_at=start,
                ended_at=start + timedelta(minutes=40),
                tags=world["tags"][: index % 3],
            )

    add(3, 0)
    reprice_all()
    for round_number, group_by in enumerate(("project", "tag", "week,user")):
        query = {**RANGE, "group_by": group_by}
        client.get(SUMMARY, query)  # warm up
        with django_assert_max_num_queries(12) as few:
            client.get(SUMMARY, query)
        add(12, 3 + 12 * round_number)
        reprice_all()
        with django_assert_max_num_queries(len(few.captured_queries)):
            report = client.get(SUMMARY, query).json()
        assert report["total"]["entries"] == 3 + 12 * (round_number + 1)


# --- Invoices: any entries, rates and roundings ---------------------------------------------------
# A client's invoice bills exactly the amounts the entries list shows for its billable entries in the
# range, and its total is the sum of its lines.

FIRST, LAST = date(2026, 3, 1), date(2026, 3, 31)


def _billed_entries(client_for, hr, world, client):
    entries = client_for(hr).get(ENTRIES, {"page_size": 500}).json()["results"]
    projects = {project.pk for project in world["projects"] if project.client_id == client.pk}
    return [
        entry
        for entry in entries
        if entry["project"] in projects
        and entry["billable"]
        and entry["ended_at"] is not None
        and FIRST <= _local_day(entry, world["zones"]) <= LAST
    ]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.lists(entry_strategy, min_size=1, max_size=12),
    rates=st.lists(rate_strategy, max_size=10),
    roundings=st.lists(rounding_strategy, max_size=3),
    grouping=st.sampled_from(InvoiceGrouping.values),
    tax_rate=st.sampled_from(["0", "7", "19", "20.5"]),
)
def test_an_invoice_bills_its_entries_amounts_and_totals_its_lines(
    world, client_for, hr, entries, rates, roundings, grouping, tax_rate
):
    with transaction.atomic():
        # Company defaults under the drawn rates: most drafts are priced (and an unpriced one refused).
        RateFactory(level=RateLevel.COMPANY, currency="EUR", amount=Decimal("61.50"), valid_from=date(2026, 1, 1))
        RateFactory(level=RateLevel.COMPANY, currency="JPY", amount=Decimal("9000"), valid_from=date(2026, 1, 1))
        arrange(world, entries, rates, roundings)
        for client in world["clients"]:
            billed = _billed_entries(client_for, hr, world, client)
            try:
                invoice = invoice_services.invoice_draft_create(
                    actor=hr, client=client, period_from=FIRST, period_to=LAST, grouping=grouping, tax_rate=tax_rate
                )
            except BillingError as refused:
                if refused.code == "empty":
                    assert billed == []
                else:
                    assert refused.code == "unpriced"
                    assert any(entry["amount"] is None for entry in billed)
                continue
            lines = list(invoice.lines.all())
            assert invoice.net == sum((line.amount for line in lines), Decimal(0))
            assert invoice.net == sum((Decimal(entry["amount"]) for entry in billed), Decimal(0))
            assert sum(line.billed_seconds for line in lines) == sum(entry["billed_seconds"] for entry in billed)
            assert invoice.gross == invoice.net + invoice.tax
            assert {entry.entry_id for entry in invoice.entries.all()} == {entry["id"] for entry in billed}
        transaction.set_rollback(True)
