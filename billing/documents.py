"""An invoice as a document: the PDF (WeasyPrint, from the HTML template `billing/invoice_pdf.html`,
which a company overrides by putting its own under TEMPLATE_OVERRIDES_DIR) and its lines as CSV or
XLSX. Reads only."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from openpyxl import Workbook  # type: ignore[import-untyped]  # no types-openpyxl in requirements-dev.txt

from billing.currencies import round_money
from billing.models import Invoice, InvoiceKind
from billing.services.errors import BillingError
from core.spreadsheets import safe_cell

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TEMPLATE = "billing/invoice_pdf.html"


def _filename(invoice: Invoice, extension: str) -> str:
    name = invoice.number or f"draft-{invoice.pk}"
    return "".join(character if character.isalnum() or character in "-_" else "-" for character in name) + extension


def invoice_html(invoice: Invoice) -> str:
    lines = list(invoice.lines.all())
    return render_to_string(
        PDF_TEMPLATE,
        {
            "invoice": invoice,
            "lines": lines,
            "company": settings.BILLING_COMPANY_NAME,
            "company_address": settings.BILLING_COMPANY_ADDRESS,
            "is_credit_note": invoice.kind == InvoiceKind.CREDIT_NOTE,
        },
    )


def invoice_pdf(invoice: Invoice) -> HttpResponse:
    # Imported here: WeasyPrint loads Pango at import, and a machine without it still runs the rest.
    try:
        from weasyprint import HTML
    except OSError:  # pragma: no cover - the system libraries are missing
        raise BillingError(_("PDF rendering is not installed on this server (WeasyPrint needs Pango)."),
                           code="unavailable") from None  # fmt: skip
    pdf = HTML(string=invoice_html(invoice), base_url=str(settings.BASE_DIR)).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(invoice, ".pdf")}"'
    return response


def export_header() -> list[str]:
    return [_("Position"), _("Description"), _("Quantity"), _("Unit price"), _("Amount"), _("Currency")]


def export_rows(invoice: Invoice) -> list[list[Any]]:
    currency = invoice.currency

    def money(value: Decimal) -> Decimal:
        return round_money(value, currency)

    rows: list[list[Any]] = [
        [line.position, safe_cell(line.description), line.quantity.normalize(), money(line.unit_price),
         money(line.amount), currency]
        for line in invoice.lines.all()
    ]  # fmt: skip
    rows.append(["", _("Net"), "", "", money(invoice.net), currency])
    rows.append(
        ["", _("Tax %(rate)s %%") % {"rate": invoice.tax_rate.normalize()}, "", "", money(invoice.tax), currency]
    )
    rows.append(["", _("Gross"), "", "", money(invoice.gross), currency])
    return rows


def invoice_export(invoice: Invoice, file_format: str) -> HttpResponse:
    if file_format not in ("csv", "xlsx"):
        raise BillingError(_("Choose csv or xlsx."), field="format", code="invalid_choice")
    header, rows = export_header(), export_rows(invoice)
    if file_format == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # the BOM makes Excel read UTF-8
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows([str(value) if isinstance(value, Decimal) else value for value in row] for row in rows)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        extension = ".csv"
    else:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=(invoice.number or _("Draft"))[:31])
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        target = io.BytesIO()
        workbook.save(target)
        response = HttpResponse(target.getvalue(), content_type=XLSX_CONTENT_TYPE)
        extension = ".xlsx"
    response["Content-Disposition"] = f'attachment; filename="{_filename(invoice, extension)}"'
    return response
