"""The invoice pages' forms: shapes only; billing.services.invoices checks the rules."""

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import InvoiceGrouping
from core.errors import DomainError
from timetracking.models import Client


def _last_month() -> tuple[date, date]:
    first_of_this = date.today().replace(day=1)
    last = first_of_this - timedelta(days=1)
    return last.replace(day=1), last


class ServiceErrorsMixin:
    # The services' field names → this form's.
    SERVICE_FIELDS: dict[str, str] = {}

    def add_service_error(self, error: DomainError) -> None:
        """A service's refusal at its field, or above the form when it names none of its fields."""
        field = self.SERVICE_FIELDS.get(error.field or "", error.field)
        self.add_error(field if field in self.fields else None, error.message)  # type: ignore[attr-defined]


class InvoiceDraftForm(ServiceErrorsMixin, forms.Form):
    SERVICE_FIELDS = {"from": "period_from", "to": "period_to"}

    client = forms.ModelChoiceField(queryset=Client.objects.none(), label=_("Client"))
    period_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    period_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    grouping = forms.ChoiceField(label=_("Lines"), choices=InvoiceGrouping.choices, initial=InvoiceGrouping.PROJECT)
    tax_rate = forms.DecimalField(
        label=_("Tax rate (%)"), min_value=0, max_value=100, decimal_places=2, required=False,
        help_text=_("Empty: the company default."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.order_by("name")
        first, last = _last_month()
        self.fields["period_from"].initial, self.fields["period_to"].initial = first, last


class InvoiceLineForm(ServiceErrorsMixin, forms.Form):
    description = forms.CharField(label=_("Description"), max_length=500)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=12, decimal_places=4)
    unit_price = forms.DecimalField(label=_("Unit price"), max_digits=12, decimal_places=3, min_value=0)


class InvoiceSettingsForm(ServiceErrorsMixin, forms.Form):
    tax_rate = forms.DecimalField(label=_("Tax rate (%)"), min_value=0, max_value=100, decimal_places=2)
    note = forms.CharField(
        label=_("Note on the invoice"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
