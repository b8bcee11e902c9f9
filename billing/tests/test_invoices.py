"""Invoices: drafting from billable time, lines, issuing with gap-free numbers, credit notes, the lock on
invoiced entries on every path, the database's guard on issued invoices, documents, and who may."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent
from billing.models import Invoice, InvoicedEntry, InvoiceLine, InvoiceSequence, RateLevel
from billing.services import invoices as services
from billing.services.errors import BillingConflict, BillingError, BillingForbidden
from billing.tests.factories import ClientBillingFactory, RateFactory
from timetracking import services as tt
from timetracking.tests.factories import ClientFactory, ProjectFactory, TaskFactory, TimeEntryFactory
from webhooks.models import OutboxEvent

URL = "/api/v1/invoices/"
MARCH = datetime(2026, 3, 2, 8, tzinfo=UTC)


@pytest.fixture
def entries(employee, project):
    """Three billable hours on the project in March (90/h) and one not billable."""
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("90"))
    made = [
        TimeEntryFactory(
            user=employee,
            project=project,
            billable=True,
            started_at=MARCH + timedelta(days=day),
            ended_at=MARCH + timedelta(days=day, hours=1),
        )
        for day in range(3)
    ]
    TimeEntryFactory(
        user=employee, project=project, billable=False, started_at=MARCH + timedelta(days=5),
        ended_at=MARCH + timedelta(days=5, hours=2),
    )  # fmt: skip
    return made


def draft(hr, acme, **kwargs):
    arguments = {"period_from": date(2026, 3, 1), "period_to": date(2026, 3, 31)} | kwargs
    return services.invoice_draft_create(actor=hr, client=acme, **arguments)


# --- Drafting ---------------------------------------------------------------------------------------


def test_a_draft_bills_the_clients_billable_uninvoiced_time(hr, acme, entries):
    invoice = draft(hr, acme, tax_rate=Decimal("19"))
    (line,) = invoice.lines.all()
    assert (line.quantity, line.unit_price, line.amount) == (Decimal("3"), Decimal("90"), Decimal("270"))
    assert (invoice.net, invoice.tax, invoice.gross) == (Decimal("270"), Decimal("51.30"), Decimal("321.30"))
    assert invoice.number is None and invoice.status == "draft"
    assert set(InvoicedEntry.objects.values_list("entry_id", flat=True)) == {entry.pk for entry in entries}
    assert AuditEvent.objects.filter(action="billing.invoice_drafted").count() == 1


def test_grouping_per_task_and_per_entry(hr, acme, project, entries):
    design = TaskFactory(project=project, name="Design")
    tt.entry_update(entry=entries[0], actor=hr, task=design)
    by_task = draft(hr, acme, grouping="task")
    assert sorted(line.description for line in by_task.lines.all()) == ["Website", "Website · Design"]
    services.invoice_draft_delete(actor=hr, invoice=by_task)
    by_entry = draft(hr, acme, grouping="entry")
    assert by_entry.lines.count() == 3 and by_entry.net == Decimal("270")


def test_a_person_with_their_own_rate_gets_their_own_line(hr, acme, project, employee, entries, colleague):
    project.members.add(colleague)
    RateFactory(level=RateLevel.USER_ON_PROJECT, project=project, user=colleague, amount=Decimal("120"))
    TimeEntryFactory(
        user=colleague, project=project, billable=True, started_at=MARCH, ended_at=MARCH + timedelta(minutes=30)
    )
    invoice = draft(hr, acme)
    assert sorted((line.unit_price, line.amount) for line in invoice.lines.all()) == [
        (Decimal("90"), Decimal("270")),
        (Decimal("120"), Decimal("60")),
    ]


def test_entries_of_other_clients_and_days_are_left_out(hr, acme, entries, outsider):
    other = ProjectFactory(client=ClientFactory(name="Other"), members=[outsider])
    RateFactory(level=RateLevel.PROJECT, project=other, amount=Decimal("50"))
    TimeEntryFactory(user=outsider, project=other, billable=True, started_at=MARCH, ended_at=MARCH + timedelta(hours=5))
    invoice = draft(hr, acme, period_to=date(2026, 3, 3))  # days 2 and 3 of March: two entries
    assert invoice.net == Decimal("180")
    assert not InvoicedEntry.objects.filter(entry__project=other).exists()


def test_an_entry_is_on_one_invoice_only(hr, acme, entries):
    draft(hr, acme)
    with pytest.raises(BillingError) as refused:
        draft(hr, acme)
    assert refused.value.code == "empty"


def test_bad_drafts_are_refused(hr, acme, entries):
    cases = [
        ({"period_from": date(2026, 3, 31), "period_to": date(2026, 3, 1)}, "to"),
        ({"period_from": date(2025, 1, 1), "period_to": date(2026, 3, 1)}, "to"),
        ({"grouping": "week"}, "grouping"),
        ({"tax_rate": "-1"}, "tax_rate"),
        ({"tax_rate": "101"}, "tax_rate"),
        ({"tax_rate": "19.005"}, "tax_rate"),
        ({"tax_rate": "NaN"}, "tax_rate"),
        ({"period_from": date(2027, 1, 1), "period_to": date(2027, 1, 31)}, "from"),  # nothing to bill
    ]
    for kwargs, field in cases:
        with pytest.raises(BillingError) as refused:
            draft(hr, acme, **kwargs)
        assert refused.value.field == field, kwargs
    assert not Invoice.objects.exists() and not InvoicedEntry.objects.exists()


def test_time_without_a_billable_rate_is_refused_not_billed_at_zero(hr, acme, employee, project):
    TimeEntryFactory(
        user=employee, project=project, billable=True, started_at=MARCH, ended_at=MARCH + timedelta(hours=1)
    )
    with pytest.raises(BillingError) as refused:
        draft(hr, acme)
    assert refused.value.code == "unpriced" and not Invoice.objects.exists()


def test_only_hr_and_the_billing_group_write_invoices(hr, acme, entries, manager, employee):
    for actor in (manager, employee):
        with pytest.raises(BillingForbidden):
            draft(actor, acme)
    manager.groups.add(Group.objects.get_or_create(name="billing")[0])
    manager = type(manager).objects.get(pk=manager.pk)  # roles are read once per user object (a request's)
    assert draft(manager, acme).net == Decimal("270")


# --- Lines ------------------------------------------------------------------------------------------


def test_fixed_lines_and_edits_keep_the_total_the_sum_of_the_lines(hr, acme, entries):
    invoice = draft(hr, acme, tax_rate="10")
    services.invoice_line_add(
        actor=hr, invoice=invoice, data={"description": "Licence", "quantity": "2", "unit_price": "15.50"}
    )
    services.invoice_line_add(
        actor=hr, invoice=invoice, data={"description": "Discount", "quantity": "-1", "unit_price": "20"}
    )
    time_line = invoice.lines.get(kind="time")
    services.invoice_line_update(actor=hr, invoice=invoice, line_id=time_line.pk, data={"quantity": "2.5"})
    invoice.refresh_from_db()
    lines = list(invoice.lines.all())
    assert [line.amount for line in lines] == [Decimal("225"), Decimal("31"), Decimal("-20")]
    assert invoice.net == sum(line.amount for line in lines) == Decimal("236")
    assert (invoice.tax, invoice.gross) == (Decimal("23.60"), Decimal("259.60"))


def test_bad_lines_are_refused(hr, acme, entries):
    invoice = draft(hr, acme)
    cases = [
        ({"description": " ", "quantity": "1", "unit_price": "1"}, "description"),
        ({"description": "X", "quantity": "many", "unit_price": "1"}, "quantity"),
        ({"description": "X", "quantity": "1e9", "unit_price": "1"}, "quantity"),
        ({"description": "X", "quantity": "1", "unit_price": "-5"}, "unit_price"),
        ({"description": "X", "quantity": "1"}, "unit_price"),
    ]
    for data, field in cases:
        with pytest.raises(BillingError) as refused:
            services.invoice_line_add(actor=hr, invoice=invoice, data=data)
        assert refused.value.field == field, data
    assert invoice.lines.count() == 1


def test_removing_a_line_releases_its_entries(hr, acme, entries):
    invoice = draft(hr, acme)
    services.invoice_line_delete(actor=hr, invoice=invoice, line_id=invoice.lines.get().pk)
    assert not InvoicedEntry.objects.exists()
    invoice.refresh_from_db()
    assert invoice.net == 0
    with pytest.raises(BillingError) as refused:
        services.invoice_issue(actor=hr, invoice=invoice)
    assert refused.value.code == "empty"


# --- Issuing, numbers, credit notes -------------------------------------------------------------------


@override_settings(BILLING_INVOICE_NUMBER_FORMAT="RE-{year}-{number:03d}")
def test_issuing_numbers_consecutively_and_publishes_the_event(hr, acme, entries, django_capture_on_commit_callbacks):
    first = draft(hr, acme, period_to=date(2026, 3, 2))
    second = draft(hr, acme)
    with django_capture_on_commit_callbacks():
        services.invoice_issue(actor=hr, invoice=first)
        services.invoice_issue(actor=hr, invoice=second)
    first.refresh_from_db()
    second.refresh_from_db()
    year = first.issued_on.year
    assert (first.number, second.number) == (f"RE-{year}-001", f"RE-{year}-002")
    assert InvoiceSequence.objects.get(year=year).last == 2
    issued = OutboxEvent.objects.filter(event_type="invoice.issued")
    assert sorted(event.payload["number"] for event in issued) == [first.number, second.number]


def test_issuing_twice_is_a_conflict(hr, acme, entries):
    invoice = draft(hr, acme)
    services.invoice_issue(actor=hr, invoice=invoice)
    with pytest.raises(BillingConflict) as refused:
        services.invoice_issue(actor=hr, invoice=invoice)
    assert refused.value.code == "issued"
    for write in (
        lambda: services.invoice_update(actor=hr, invoice=invoice, data={"note": "x"}),
        lambda: services.invoice_line_add(
            actor=hr, invoice=invoice, data={"description": "x", "quantity": 1, "unit_price": 1}
        ),
        lambda: services.invoice_draft_delete(actor=hr, invoice=invoice),
    ):  # fmt: skip
        with pytest.raises(BillingConflict):
            write()


def test_a_credit_note_cancels_and_releases_the_entries(hr, acme, entries):
    invoice = services.invoice_issue(actor=hr, invoice=draft(hr, acme, tax_rate="19"))
    credit = services.invoice_cancel(actor=hr, invoice=invoice)
    assert credit.kind == "credit_note" and credit.credited_invoice_id == invoice.pk
    assert (credit.net, credit.gross) == (-invoice.net, -invoice.gross)
    assert credit.sequence == invoice.sequence + 1
    assert [line.amount for line in credit.lines.all()] == [-line.amount for line in invoice.lines.all()]
    assert not InvoicedEntry.objects.exists()
    tt.entry_update(entry=entries[0], actor=hr, description="corrected")  # free again
    again = draft(hr, acme)
    assert again.net == invoice.net
    for refused_kind, target in (("cancelled", invoice), ("credit_note", credit), ("draft", again)):
        with pytest.raises(BillingConflict) as refused:
            services.invoice_cancel(actor=hr, invoice=target)
        assert refused.value.code == refused_kind


# --- The lock on invoiced entries ------------------------------------------------------------------


@pytest.mark.parametrize("issued", [False, True])
def test_an_invoiced_entry_cannot_change_or_go(hr, acme, employee, entries, issued):
    invoice = draft(hr, acme)
    if issued:
        services.invoice_issue(actor=hr, invoice=invoice)
    entry = entries[0]
    description = entry.description
    for write in (
        lambda: tt.entry_update(entry=entry, actor=employee, description="changed"),
        lambda: tt.entry_update(entry=entry, actor=employee, duration="2h"),
        lambda: tt.entry_delete(entry=entry, actor=employee),
        lambda: tt.timesheet_cell_set(user=employee, actor=employee, day=date(2026, 3, 2), project=entry.project,
                                      task=None, value="3h"),
        lambda: tt.timesheet_cell_set(user=employee, actor=employee, day=date(2026, 3, 2), project=entry.project,
                                      task=None, value=""),
    ):  # fmt: skip
        with pytest.raises(services.Invoiced) as refused:
            write()
        assert refused.value.code == "invoiced"
    entry.refresh_from_db()
    assert entry.description == description and entry.ended_at - entry.started_at == timedelta(hours=1)


def test_a_rate_change_over_invoiced_days_is_refused(hr, acme, project, entries):
    from billing.services import rate_create

    draft(hr, acme)
    with pytest.raises(BillingConflict) as refused:
        rate_create(actor=hr, kind="billable", level="project", project=project, amount=Decimal("95"),
                    valid_from=date(2026, 3, 15))  # fmt: skip
    assert refused.value.code == "invoiced"
    rate_create(actor=hr, kind="billable", level="project", project=project, amount=Decimal("95"),
                valid_from=date(2026, 4, 1))  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_to_change_an_issued_invoice(hr, acme, entries):
    invoice = services.invoice_issue(actor=hr, invoice=draft(hr, acme))
    line = invoice.lines.get()
    for write in (
        lambda: Invoice.objects.filter(pk=invoice.pk).update(gross=0),
        lambda: Invoice.objects.filter(pk=invoice.pk).update(status="draft", number=None, sequence=None),
        lambda: InvoiceLine.objects.filter(pk=line.pk).update(amount=1),
        lambda: InvoiceLine.objects.filter(pk=line.pk).delete(),
        lambda: InvoiceLine.objects.create(
            invoice=invoice, position=9, description="x", quantity=1, unit_price=1, amount=1
        ),
    ):  # fmt: skip
        with pytest.raises(DatabaseError), transaction.atomic():
            write()
    invoice.refresh_from_db()
    assert invoice.gross == Decimal("270") and invoice.lines.get().amount == Decimal("270")


# --- The API -----------------------------------------------------------------------------------------


def test_the_api_drafts_edits_issues_and_cancels(client_for, hr, acme, entries):
    api = client_for(hr)
    response = api.post(
        URL, {"client": acme.pk, "from": "2026-03-01", "to": "2026-03-31", "tax_rate": "19"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["number"] is None and body["net"] == "270.00"
    assert body["lines"][0]["amount"] == "270.00" and body["from"] == "2026-03-01"
    pk = body["id"]
    response = api.post(
        f"{URL}{pk}/lines/", {"description": "Setup", "quantity": "1", "unit_price": "30"}, format="json"
    )
    assert response.status_code == 201 and response.json()["net"] == "300.00"
    line_id = response.json()["lines"][1]["id"]
    assert api.patch(f"{URL}{pk}/lines/{line_id}/", {"unit_price": "40"}, format="json").json()["net"] == "310.00"
    assert api.patch(f"{URL}{pk}/", {"note": "Thanks"}, format="json").json()["note"] == "Thanks"
    issued = api.post(f"{URL}{pk}/issue/")
    assert issued.status_code == 200 and issued.json()["number"] and issued.json()["gross"] == "368.90"
    assert api.post(f"{URL}{pk}/issue/").status_code == 409
    assert api.patch(f"{URL}{pk}/lines/{line_id}/", {"unit_price": "1"}, format="json").status_code == 409
    assert api.delete(f"{URL}{pk}/").status_code == 409
    credit = api.post(f"{URL}{pk}/cancel/", {}, format="json")
    assert credit.status_code == 201 and credit.json()["kind"] == "credit_note" and credit.json()["gross"] == "-368.90"
    assert api.get(f"{URL}{pk}/").json()["is_cancelled"] is True
    actions = set(AuditEvent.objects.filter(action__startswith="billing.invoice").values_list("action", flat=True))
    assert actions == {
        "billing.invoice_drafted",
        "billing.invoice_line_added",
        "billing.invoice_line_updated",
        "billing.invoice_updated",
        "billing.invoice_issued",
        "billing.invoice_cancelled",
    }


def test_editing_an_invoiced_entry_over_the_api_is_409(client_for, hr, acme, employee, entries):
    services.invoice_issue(actor=hr, invoice=draft(hr, acme))
    api = client_for(employee)
    url = f"/api/v1/time-entries/{entries[0].pk}/"
    assert api.get(url).json()["invoice"] is not None
    response = api.patch(url, {"description": "later"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "invoiced"
    assert api.delete(url).status_code == 409


def test_bad_api_input_is_400(client_for, hr, acme, entries):
    api = client_for(hr)
    for body in (
        {"client": acme.pk, "from": "2026-03-31", "to": "2026-03-01"},
        {"client": acme.pk, "from": "March", "to": "2026-03-01"},
        {"client": 999999, "from": "2026-03-01", "to": "2026-03-31"},
        {"client": acme.pk, "from": "2026-03-01", "to": "2026-03-31", "grouping": "week"},
        {"client": acme.pk, "from": "2026-03-01", "to": "2026-03-31", "tax_rate": "120"},
        {"from": "2026-03-01", "to": "2026-03-31"},
    ):
        assert api.post(URL, body, format="json").status_code == 400, body
    assert not Invoice.objects.exists()
    pk = draft(hr, acme).pk
    assert api.patch(f"{URL}{pk}/lines/999999/", {"unit_price": "1"}, format="json").status_code == 404
    assert api.get(f"{URL}{pk}/export/", {"format": "pdf"}).status_code == 400
    assert api.get(URL, {"colour": "red"}).status_code == 400


def test_others_get_404_and_403(client_for, hr, acme, entries, manager, employee):
    invoice = draft(hr, acme)
    pk, line_id = invoice.pk, invoice.lines.get().pk
    for user in (manager, employee):
        api = client_for(user)
        assert api.get(URL).json()["results"] == []
        assert api.get(f"{URL}{pk}/").status_code == 404
        assert api.patch(f"{URL}{pk}/lines/{line_id}/", {"unit_price": "1"}, format="json").status_code == 404
        assert api.delete(f"{URL}{pk}/lines/{line_id}/").status_code == 404
        assert api.post(f"{URL}{pk}/issue/").status_code == 404
        assert (
            api.post(URL, {"client": acme.pk, "from": "2026-03-01", "to": "2026-03-31"}, format="json").status_code
            == 403
        )
    assert Invoice.objects.get(pk=pk).status == "draft"


def test_documents(client_for, hr, acme, entries):
    ClientBillingFactory(client=acme, currency="EUR")
    invoice = services.invoice_issue(actor=hr, invoice=draft(hr, acme, tax_rate="19"))
    api = client_for(hr)
    pdf = api.get(f"{URL}{invoice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert invoice.number in pdf["Content-Disposition"]
    csv_text = api.get(f"{URL}{invoice.pk}/export/", {"format": "csv"}).content.decode("utf-8-sig")
    assert "Website" in csv_text and ",3,90.00,270.00,EUR" in csv_text and ",321.30,EUR" in csv_text
    xlsx = api.get(f"{URL}{invoice.pk}/export/", {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")


def test_an_export_defuses_formulas(client_for, hr, acme, entries):
    invoice = draft(hr, acme)
    services.invoice_line_add(
        actor=hr, invoice=invoice, data={"description": "=HYPERLINK(1)", "quantity": 1, "unit_price": 1}
    )
    text = client_for(hr).get(f"{URL}{invoice.pk}/export/").content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_the_list_reads_a_constant_number_of_queries(client_for, hr, acme, entries):
    api = client_for(hr)
    services.invoice_issue(actor=hr, invoice=draft(hr, acme, period_to=date(2026, 3, 2)))
    api.get(URL)
    with CaptureQueriesContext(connection) as one:
        assert len(api.get(URL).json()["results"]) == 1
    second = services.invoice_issue(actor=hr, invoice=draft(hr, acme, grouping="entry"))
    services.invoice_cancel(actor=hr, invoice=second)
    with CaptureQueriesContext(connection) as three:
        assert len(api.get(URL).json()["results"]) == 3
    assert len(three) == len(one)
