"""The summary export (CSV, XLSX, the export job) with the money columns its requester may see."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.test import override_settings

from billing.models import RateKind, RateLevel
from billing.tests.factories import ClientBillingFactory, RateFactory, reprice_all
from reports.models import JobStatus
from timetracking.tests.factories import TimeEntryFactory

EXPORT = "/api/v1/reports/export/"
QUERY = {"from": "2026-03-01", "to": "2026-03-31", "kind": "summary", "group_by": "project"}
START = datetime(2026, 3, 10, 8, tzinfo=UTC)


def rows_of(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.fixture
def priced(employee, project):
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("90"))
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("40"), kind=RateKind.COST)
    TimeEntryFactory(
        user=employee, project=project, billable=True, started_at=START, ended_at=START + timedelta(minutes=90)
    )
    reprice_all()
    return project


def test_hr_gets_billed_hours_amount_cost_and_currency(client_for, hr, employee, priced):
    rows = rows_of(client_for(hr).get(EXPORT, {**QUERY, "user": employee.pk}))
    assert rows[0] == [
        "Project id", "Project", "Hours", "Billable hours", "Entries", "Billed hours", "Amount", "Cost", "Currency"
    ]  # fmt: skip
    assert rows[1][1:] == ["Website", "1.50", "1.50", "1", "1.50", "135.00", "60.00", "EUR"]
    assert rows[-1] == ["Total", "", "1.50", "1.50", "1", "1.50", "135.00", "60.00", "EUR"]


def test_an_employee_gets_no_money_columns(client_for, employee, priced):
    rows = rows_of(client_for(employee).get(EXPORT, QUERY))
    assert rows[0] == ["Project id", "Project", "Hours", "Billable hours", "Entries"]


@override_settings(BILLING_EMPLOYEES_SEE_RATES=True)
def test_an_employee_allowed_to_see_rates_gets_the_amount_never_the_cost(client_for, employee, priced):
    rows = rows_of(client_for(employee).get(EXPORT, QUERY))
    assert rows[0][5:] == ["Billed hours", "Amount", "Currency"]
    assert rows[1][5:] == ["1.50", "135.00", "EUR"]


def test_xlsx_and_yen(client_for, hr, employee, acme, priced):
    ClientBillingFactory(client=acme, currency="JPY")
    priced.rates.update(currency="JPY", amount=Decimal("1001"))
    reprice_all()
    response = client_for(hr).get(EXPORT, {**QUERY, "user": employee.pk, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [cell.value for cell in sheet[1]][5:] == ["Billed hours", "Amount", "Cost", "Currency"]
    assert [cell.value for cell in sheet[2]][6:] == [1502, 1502, "JPY"]  # 1.5 h × 1001 = 1501.5 -> 1502


def test_the_export_job_writes_the_requesters_columns(
    hr, employee, priced, settings, django_capture_on_commit_callbacks, tmp_path
):
    from reports.services import export_job_create
    from reports.summary import parse_filters

    settings.MEDIA_ROOT = tmp_path
    filters = parse_filters(hr, {"from": "2026-03-01", "to": "2026-03-31", "user": str(employee.pk)})
    with django_capture_on_commit_callbacks(execute=True):
        job = export_job_create(
            requested_by=hr, filters=filters, export_format="csv", kind="summary", group_by=["project"]
        )
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    text = job.file.read().decode("utf-8-sig")
    header, first = list(csv.reader(io.StringIO(text)))[:2]
    assert header[-4:] == ["Billed hours", "Amount", "Cost", "Currency"]
    assert first[-3:] == ["135.00", "60.00", "EUR"]


ENTRIES_QUERY = {"from": "2026-03-01", "to": "2026-03-31"}


def test_the_entries_export_has_each_entrys_money_for_hr(
    client_for, hr, employee, project, priced, tag_names=("b", "a")
):
    from timetracking.tests.factories import TagFactory

    later = START + timedelta(hours=3)
    TimeEntryFactory(
        user=employee,
        project=project,
        billable=False,
        started_at=later,
        ended_at=later + timedelta(minutes=30),
        tags=[TagFactory(name=name) for name in tag_names],  # two tags: still one row
    )
    rows = rows_of(client_for(hr).get(EXPORT, {**ENTRIES_QUERY, "user": employee.pk}))
    assert rows[0][-4:] == ["Billed hours", "Amount", "Cost", "Currency"]
    assert len(rows) == 3
    assert rows[1][-4:] == ["1.50", "135.00", "60.00", "EUR"]
    assert rows[2][-4:] == ["0.00", "0.00", "20.00", "EUR"]  # not billable: no amount, a cost


def test_the_entries_export_of_an_employee_has_no_money(client_for, employee, priced):
    from reports.exports import ENTRY_COLUMNS

    rows = rows_of(client_for(employee).get(EXPORT, ENTRIES_QUERY))
    assert rows[0] == ENTRY_COLUMNS


def test_the_entries_xlsx_has_the_money(client_for, manager, employee, priced):
    response = client_for(manager).get(EXPORT, {**ENTRIES_QUERY, "user": employee.pk, "format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert [cell.value for cell in sheet[2]][-4:] == [1.5, 135, 60, "EUR"]
