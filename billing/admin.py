"""Rates in the admin, read-only: every write goes through billing.services (rules and audit), which
the API calls; the admin shows the history for HR."""

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from billing.budget_models import Budget, BudgetAlert
from billing.models import ClientBilling, Invoice, InvoiceLine, ProjectBilling, Rate
from billing.services.budgets import Usage, budget_usages
from billing.services.invoices import can_invoice, invoice_issue
from core.errors import DomainError


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return bool(getattr(request.user, "is_hr", False))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_hr", False))


@admin.register(Rate)
class RateAdmin(ReadOnlyAdmin):
    list_display = ["kind", "level", "client", "project", "task", "user", "amount", "currency", "valid_from"]
    list_filter = ["kind", "level", "currency"]
    list_select_related = ["client", "project", "task__project", "user"]
    date_hierarchy = "valid_from"


@admin.register(ClientBilling)
class ClientBillingAdmin(ReadOnlyAdmin):
    list_display = ["client", "currency"]
    list_select_related = ["client"]


@admin.register(ProjectBilling)
class ProjectBillingAdmin(ReadOnlyAdmin):
    list_display = ["project", "rounding_mode", "rounding_minutes", "rounding_scope"]
    list_select_related = ["project"]


# --- Budgets ----------------------------------------------------------------------------------------


class BudgetChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # The page's usage at once (billing.services.budgets.budget_usages): a constant number of
        # queries, not one pricing per row.
        usages = budget_usages(list(self.result_list))
        for budget in self.result_list:
            budget.usage = usages[budget.pk]


@admin.register(Budget)
class BudgetAdmin(ReadOnlyAdmin):
    """Budgets with their usage in the current period, read-only: budgets/ and the projects/ and
    clients/ fields write them through billing.services (rules, audit, re-armed alerts)."""

    list_display = ["__str__", "project", "client", "period", "limits", "used", "used_percent", "refuse_when_exceeded"]
    list_filter = ["period", "refuse_when_exceeded"]
    list_select_related = ["project__client", "client"]
    search_fields = ["project__name", "client__name"]

    def get_changelist(self, request: HttpRequest, **kwargs: object) -> type[ChangeList]:
        return BudgetChangeList

    def _usage(self, budget: Budget) -> Usage:
        usage = getattr(budget, "usage", None)
        return usage if usage is not None else budget_usages([budget])[budget.pk]

    @admin.display(description=_("Limits"))
    def limits(self, budget: Budget) -> str:
        return budget.limits_text

    @admin.display(description=_("Used"))
    def used(self, budget: Budget) -> str:
        usage = self._usage(budget)
        parts = []
        if budget.hours is not None:
            parts.append(f"{usage.hours} h")
        if budget.amount is not None:
            parts.append(f"{usage.amount} {budget.currency}")
        return " / ".join(parts)

    @admin.display(description=_("Used %"))
    def used_percent(self, budget: Budget) -> str:
        return f"{self._usage(budget).percent} %"

    readonly_fields = ["limits", "used", "used_percent"]


@admin.register(BudgetAlert)
class BudgetAlertAdmin(ReadOnlyAdmin):
    list_display = ["budget", "period_start", "threshold", "used_percent", "sent_at"]
    list_filter = ["threshold"]
    list_select_related = ["budget__project", "budget__client"]
    date_hierarchy = "sent_at"


# --- Invoices: read in the admin, written through the pages and the API (billing.services.invoices) ---


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = ("position", "kind", "description", "quantity", "unit_price", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "status", "client", "period_from", "period_to", "gross", "currency", "issued_on"]
    list_filter = ["status", "kind", "currency", "year"]
    list_select_related = ["client"]
    search_fields = ["number", "client__name"]
    date_hierarchy = "created_at"
    inlines = [InvoiceLineInline]
    actions = ["issue_drafts"]

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return can_invoice(request.user)  # type: ignore[arg-type]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_invoice(request.user)  # type: ignore[arg-type]

    def get_actions(self, request: HttpRequest):
        # The read-only admin has no delete action; issuing is the one write, through the service.
        return {"issue_drafts": self.get_action("issue_drafts")} if can_invoice(request.user) else {}  # type: ignore[arg-type]

    @admin.action(description="Issue the selected drafts (each gets the next number)")
    def issue_drafts(self, request: HttpRequest, queryset) -> None:
        issued, refused = [], []
        for invoice in queryset.order_by("created_at", "pk"):
            try:
                issued.append(invoice_issue(actor=request.user, invoice=invoice).number)  # type: ignore[arg-type]
            except DomainError as error:
                refused.append(f"{invoice}: {error.message}")
        if issued:
            self.message_user(request, f"Issued {', '.join(str(number) for number in issued)}.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.ERROR)
