"""The invoice pages: HR (and the billing group) make, edit, issue and cancel invoices; anyone else
gets the 403 page for the list and 404 for an invoice; refusals land at their field."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from billing.models import Invoice, RateLevel
from billing.services import invoices as services
from billing.tests.factories import RateFactory
from timetracking.tests.factories import TimeEntryFactory

MARCH = datetime(2026, 3, 2, 8, tzinfo=UTC)


@pytest.fixture
def billable(employee, project):
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("90"))
    return TimeEntryFactory(
        user=employee, project=project, billable=True, started_at=MARCH, ended_at=MARCH + timedelta(hours=2)
    )


def login(client, user):
    client.force_login(user)
    return client


def new_draft(client, acme, **extra):
    data = {"client": acme.pk, "period_from": "2026-03-01", "period_to": "2026-03-31", "grouping": "project"}
    return client.post(reverse("invoices:list"), data | extra)


def test_hr_makes_a_draft_edits_issues_and_cancels_it(client, hr, acme, billable):
    login(client, hr)
    empty = client.get(reverse("invoices:list"))
    assert empty.status_code == 200 and "No invoices yet" in empty.content.decode()
    response = new_draft(client, acme, tax_rate="19")
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("invoices:detail", args=[invoice.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Website" in page and "180.00 EUR" in page and "214.20 EUR" in page
    line = invoice.lines.get()
    edit = client.post(
        reverse("invoices:line-edit", args=[invoice.pk, line.pk]),
        {
            f"line-{line.pk}-description": "Website work",
            f"line-{line.pk}-quantity": "2",
            f"line-{line.pk}-unit_price": "95",
        },
    )
    assert edit.status_code == 302
    added = client.post(
        reverse("invoices:line-add", args=[invoice.pk]), {"description": "Hosting", "quantity": "1", "unit_price": "10"}
    )
    assert added.status_code == 302
    invoice.refresh_from_db()
    assert invoice.net == Decimal("200")
    assert client.post(reverse("invoices:issue", args=[invoice.pk])).status_code == 302
    invoice.refresh_from_db()
    assert invoice.number and invoice.status == "issued"
    page = client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    assert "Issue invoice" not in page and "Issue credit note" in page
    pdf = client.get(reverse("invoices:download", args=[invoice.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    cancel = client.post(reverse("invoices:cancel", args=[invoice.pk]), {"note": "Wrong rate"})
    credit = Invoice.objects.get(kind="credit_note")
    assert cancel["Location"] == reverse("invoices:detail", args=[credit.pk]) and credit.note == "Wrong rate"
    listing = client.get(reverse("invoices:list")).content.decode()
    assert f"Cancelled by {credit.number}" in listing


def test_refusals_land_at_their_field(client, hr, acme, billable):
    login(client, hr)
    nothing = new_draft(client, acme, period_from="2027-01-01", period_to="2027-01-31")
    assert nothing.status_code == 400
    assert 'id="id_period_from_error"' in nothing.content.decode() and not Invoice.objects.exists()
    backwards = new_draft(client, acme, period_from="2026-03-31", period_to="2026-03-01")
    assert backwards.status_code == 400 and 'id="id_period_to_error"' in backwards.content.decode()
    new_draft(client, acme)
    invoice = Invoice.objects.get()
    bad = client.post(
        reverse("invoices:line-add", args=[invoice.pk]), {"description": "X", "quantity": "x", "unit_price": "-1"}
    )
    assert bad.status_code == 400 and 'id="id_quantity_error"' in bad.content.decode()
    line = invoice.lines.get()
    bad_edit = client.post(
        reverse("invoices:line-edit", args=[invoice.pk, line.pk]),
        {f"line-{line.pk}-description": "", f"line-{line.pk}-quantity": "1", f"line-{line.pk}-unit_price": "1"},
    )
    assert bad_edit.status_code == 400 and f'id="id_line-{line.pk}-description_error"' in bad_edit.content.decode()
    assert invoice.lines.get().description == "Website"
    tax = client.post(reverse("invoices:settings", args=[invoice.pk]), {"tax_rate": "150", "note": ""})
    assert tax.status_code == 400 and 'id="id_tax_rate_error"' in tax.content.decode()


def test_issuing_twice_and_deleting_an_issued_invoice_are_refused_with_a_message(client, hr, acme, billable):
    login(client, hr)
    invoice = services.invoice_issue(
        actor=hr,
        invoice=services.invoice_draft_create(
            actor=hr, client=acme, period_from=date(2026, 3, 1), period_to=date(2026, 3, 31)
        ),
    )
    again = client.post(reverse("invoices:issue", args=[invoice.pk]), follow=True)
    assert "never changes" in again.content.decode()
    client.post(reverse("invoices:delete", args=[invoice.pk]))
    assert Invoice.objects.filter(pk=invoice.pk, status="issued").exists()


def test_others_get_403_and_404(client, hr, acme, billable, manager, employee):
    invoice = services.invoice_draft_create(
        actor=hr, client=acme, period_from=date(2026, 3, 1), period_to=date(2026, 3, 31)
    )
    for user in (manager, employee):
        login(client, user)
        assert client.get(reverse("invoices:list")).status_code == 403
        assert new_draft(client, acme).status_code == 403
        assert client.get(reverse("invoices:detail", args=[invoice.pk])).status_code == 404
        assert client.post(reverse("invoices:issue", args=[invoice.pk])).status_code == 404
        assert client.get(reverse("invoices:download", args=[invoice.pk, "pdf"])).status_code == 404
        assert "Invoices" not in client.get("/").content.decode().split("<main")[0]
    assert Invoice.objects.get().status == "draft"


def test_the_billing_group_works_with_invoices(client, manager, acme, billable):
    manager.groups.add(Group.objects.get_or_create(name="billing")[0])
    login(client, manager)
    assert client.get(reverse("invoices:list")).status_code == 200
    assert new_draft(client, acme).status_code == 302


def test_a_missing_invoice_is_404(client, hr):
    login(client, hr)
    assert client.get(reverse("invoices:detail", args=[999999])).status_code == 404
    assert client.get(reverse("invoices:download", args=[999999, "pdf"])).status_code == 404


# --- An invoiced entry on every path of the pages and the admin ----------------------------------


@pytest.fixture
def invoiced(hr, acme, billable):
    services.invoice_issue(
        actor=hr,
        invoice=services.invoice_draft_create(
            actor=hr, client=acme, period_from=date(2026, 3, 1), period_to=date(2026, 3, 31)
        ),
    )
    return billable


def _unchanged(entry):
    before = (entry.started_at, entry.ended_at, entry.description)
    entry.refresh_from_db()
    return (entry.started_at, entry.ended_at, entry.description) == before


def test_the_week_page_refuses_to_edit_or_delete_an_invoiced_entry(client, employee, invoiced):
    login(client, employee)
    edit = client.post(
        reverse("timetracking:entry-edit", args=[invoiced.pk]), {"date": "2026-03-02", "start": "08:00", "end": "11:00"}
    )
    assert edit.status_code == 409 and "can no longer change" in edit.content.decode()
    deleted = client.post(reverse("timetracking:entry-delete", args=[invoiced.pk]), follow=True)
    assert "can no longer change" in deleted.content.decode()
    assert _unchanged(invoiced)


def test_the_week_grid_refuses_to_change_an_invoiced_cell(client, employee, invoiced):
    login(client, employee)
    for value in ("4:00", ""):
        response = client.post(
            reverse("timetracking:grid-cell"),
            {"week": "2026-03-02", "day": "2026-03-02", "project": invoiced.project_id, "task": "", "value": value},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 409 and "can no longer change" in response.content.decode()
    assert _unchanged(invoiced)


def test_the_admin_refuses_to_delete_an_invoiced_entry(admin_client, invoiced):
    client = admin_client
    response = client.post(
        reverse("admin:timetracking_timeentry_delete", args=[invoiced.pk]), {"post": "yes"}, follow=True
    )
    assert response.status_code == 200 and "can no longer change" in response.content.decode()
    bulk = client.post(
        reverse("admin:timetracking_timeentry_changelist"),
        {"action": "delete_selected", "_selected_action": [invoiced.pk], "post": "yes"},
        follow=True,
    )
    # Django's own check sees the invoice's protected link first and refuses the whole selection.
    assert bulk.status_code == 200 and "Cannot delete time entry" in bulk.content.decode()
    assert _unchanged(invoiced)
