"""The invoice pages: `/invoices/` (the list and a new draft) and `/invoices/<id>/` (lines, fixed lines,
tax, issue, credit note, downloads). HR and the billing group; anyone else gets the styled 403 page
for the list and 404 for an invoice. Thin adapters over billing.services.invoices."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing.documents import invoice_export, invoice_pdf
from billing.forms import InvoiceDraftForm, InvoiceLineForm, InvoiceSettingsForm
from billing.models import Invoice, InvoiceLine
from billing.services import invoices as services
from core.errors import DomainError

PAGE_SIZE = 25


def billing_page(view):
    """The list: the styled 403 page, with its reason, for anyone but HR and the billing group."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not services.can_invoice(request.user):
            raise PermissionDenied(_("Invoices are for HR and the billing group."))
        return view(request, *args, **kwargs)

    return wrapper


def invoice_page(view):
    """An invoice's pages and actions: someone else's object is 404, not 403 (nothing is told)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not services.can_invoice(request.user):
            raise Http404(_("No such invoice."))
        return view(request, *args, **kwargs)

    return wrapper


def _invoices(user):
    credit = Invoice.objects.filter(credited_invoice=OuterRef("pk")).values("number")[:1]
    return services.invoices_visible_to(user).select_related("client").annotate(credit_number=Subquery(credit))


def _invoice(request, pk) -> Invoice:
    invoice = (
        _invoices(request.user)
        .select_related("credited_invoice")
        .prefetch_related(Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "pk")))
        .filter(pk=pk)
        .first()
    )
    if invoice is None:
        raise Http404(_("No such invoice."))
    return invoice


@billing_page
def invoice_list(request):
    form = InvoiceDraftForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                invoice = services.invoice_draft_create(
                    actor=request.user,
                    client=data["client"],
                    period_from=data["period_from"],
                    period_to=data["period_to"],
                    grouping=data["grouping"],
                    tax_rate=data["tax_rate"],
                )
            except DomainError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("A draft was made: check its lines, then issue it."))
                return redirect("invoices:detail", pk=invoice.pk)
    page = Paginator(_invoices(request.user).order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "billing/invoice_list.html", {"form": form, "page": page}, status=status)


def _detail(request, invoice, *, line_form=None, settings_form=None, line_errors=None, status=200):
    settings_form = settings_form or InvoiceSettingsForm(initial={"tax_rate": invoice.tax_rate, "note": invoice.note})
    line_errors = line_errors or {}
    rows = []
    for line in invoice.lines.all():
        form = line_errors.get(line.pk) or InvoiceLineForm(
            prefix=f"line-{line.pk}",
            initial={"description": line.description, "quantity": line.quantity.normalize(),
                     "unit_price": line.unit_price.normalize()},
        )  # fmt: skip
        rows.append((line, form))
    context = {
        "invoice": invoice,
        "rows": rows,
        "line_form": line_form or InvoiceLineForm(),
        "settings_form": settings_form,
        "open_line": next(iter(line_errors), None),
    }
    return render(request, "billing/invoice_detail.html", context, status=status)


@invoice_page
def invoice_detail(request, pk):
    return _detail(request, _invoice(request, pk))


@invoice_page
@require_POST
def invoice_line_add(request, pk):
    invoice = _invoice(request, pk)
    form = InvoiceLineForm(request.POST)
    if form.is_valid():
        try:
            services.invoice_line_add(actor=request.user, invoice=invoice, data=form.cleaned_data)
        except DomainError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("The line was added."))
            return redirect("invoices:detail", pk=pk)
    return _detail(request, invoice, line_form=form, status=400)


@invoice_page
@require_POST
def invoice_line_edit(request, pk, line_id):
    invoice = _invoice(request, pk)
    form = InvoiceLineForm(request.POST, prefix=f"line-{line_id}")
    if form.is_valid():
        try:
            services.invoice_line_update(actor=request.user, invoice=invoice, line_id=line_id, data=form.cleaned_data)
        except DomainError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("The line was saved."))
            return redirect("invoices:detail", pk=pk)
    errors = {int(line_id): form}
    return _detail(request, invoice, line_errors=errors, status=400)


@invoice_page
@require_POST
def invoice_line_delete(request, pk, line_id):
    invoice = _invoice(request, pk)
    try:
        services.invoice_line_delete(actor=request.user, invoice=invoice, line_id=line_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The line was removed; its entries can be invoiced again."))
    return redirect("invoices:detail", pk=pk)


@invoice_page
@require_POST
def invoice_settings(request, pk):
    invoice = _invoice(request, pk)
    form = InvoiceSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.invoice_update(actor=request.user, invoice=invoice, data=form.cleaned_data)
        except DomainError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Saved."))
            return redirect("invoices:detail", pk=pk)
    return _detail(request, invoice, settings_form=form, status=400)


@invoice_page
@require_POST
def invoice_issue(request, pk):
    invoice = _invoice(request, pk)
    try:
        issued = services.invoice_issue(actor=request.user, invoice=invoice)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Invoice %(number)s was issued; its entries are locked.") % {"number": issued.number}
        )
    return redirect("invoices:detail", pk=pk)


@invoice_page
@require_POST
def invoice_cancel(request, pk):
    invoice = _invoice(request, pk)
    try:
        credit = services.invoice_cancel(actor=request.user, invoice=invoice, note=request.POST.get("note", ""))
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("invoices:detail", pk=pk)
    messages.success(
        request,
        _("Credit note %(number)s cancels invoice %(invoice)s; its entries are free again.")
        % {"number": credit.number, "invoice": invoice.number},
    )
    return redirect("invoices:detail", pk=credit.pk)


@invoice_page
@require_POST
def invoice_delete(request, pk):
    invoice = _invoice(request, pk)
    try:
        services.invoice_draft_delete(actor=request.user, invoice=invoice)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("invoices:detail", pk=pk)
    messages.success(request, _("The draft was deleted; its entries can be invoiced again."))
    return redirect("invoices:list")


@invoice_page
def invoice_download(request, pk, file_format):
    invoice = _invoice(request, pk)
    try:
        return invoice_pdf(invoice) if file_format == "pdf" else invoice_export(invoice, file_format)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("invoices:detail", pk=pk)
