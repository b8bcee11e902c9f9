"""The money of a summary's groups (billing): each row's billed seconds, amount and cost, the sums of
its entries' stored prices (the entries' `price_*` columns, each entry's own as billing.pricing prices
it), read by `reports.summary.summarize` in the same aggregate as the hours; and the entries export's
money."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max, Min, Q, Sum

from billing.currencies import round_money
from billing.models import ProjectBilling, Rate
from billing.pricing import RateBook, price_entries, project_terms, sees_amounts, sees_costs
from billing.services import default_rounding
from core.durations import hours_from_seconds

# What billing adds to each row and the total: the billed seconds, the amount and the cost, each the
# sum of the group's entries' own (billing.pricing), in the group's currency. A group whose entries
# are in several currencies (clients billed in EUR and USD) has no amount or cost: amounts of two
# currencies are never added. Null too what the viewer may not see (MoneyView).
MONEY_KEYS = ("billed_seconds", "amount", "cost", "currency")
NO_MONEY = dict.fromkeys(MONEY_KEYS)


@dataclass(frozen=True)
class MoneyView:
    """What of the money a viewer sees: the billable side (billed seconds, amount), the cost side."""

    amounts: bool = False
    costs: bool = False

    @property
    def any(self):
        return self.amounts or self.costs


def nothing_is_priced():
    """No rate, no project rounding and no company rounding: every entry bills its tracked seconds
    (billable ones) and has no amount or cost, so a summary need not read its entries (two queries
    instead of the entries of the whole range)."""
    return default_rounding().is_none and not Rate.objects.exists() and not ProjectBilling.objects.exists()


def unpriced_money(view, billable_seconds):
    """A group's money when `nothing_is_priced`: its billable seconds billed, no amount, no cost."""
    return {
        "billed_seconds": billable_seconds if view.amounts else None,
        "amount": None,
        "cost": None,
        "currency": None,
    }


def money_view(user):
    """What of the money `user` sees (billing's rule: costs for HR and managers, amounts also for
    employees when BILLING_EMPLOYEES_SEE_RATES is on)."""
    return MoneyView(amounts=sees_amounts(user), costs=sees_costs(user))


def money_columns(view):
    """The summary export's money columns for `view`, after its hours (none for who sees no money)."""
    if view is None or not view.any:
        return []
    return [*(["Billed hours", "Amount"] if view.amounts else []), *(["Cost"] if view.costs else []), "Currency"]


def money_cells(view, money):
    """A row's (or the total's) cells for `money_columns(view)`: empty where there is no figure."""
    if view is None or not view.any:
        return []

    def cell(value):
        return "" if value is None else value

    billed = money["billed_seconds"]
    cells = [hours_from_seconds(billed) if billed is not None else "", cell(money["amount"])] if view.amounts else []
    if view.costs:
        cells.append(cell(money["cost"]))
    return [*cells, cell(money["currency"])]


def stored_money_aggregates():
    """The summary's money aggregates over its entries' stored prices (the entries' `price_*` columns:
    each entry's own, as billing.pricing prices it), beside its hours in the same scan. The lowest and
    highest currency of the priced entries tell whether a group has one currency."""
    priced = Q(price_amount__isnull=False) | Q(price_cost__isnull=False)
    return {
        "money_billed": Sum("price_billed_seconds"),
        "money_amount": Sum("price_amount"),
        "money_cost": Sum("price_cost"),
        "money_lowest": Min("price_currency", filter=priced),
        "money_highest": Max("price_currency", filter=priced),
    }


@dataclass
class StoredMoney:
    """A group's money summed over `stored_money_aggregates` rows (a group spans time zones, each
    zone its own aggregate). Amounts of two currencies are never added: such a group has none."""

    billed_seconds: int = 0
    amount: Decimal | None = None
    cost: Decimal | None = None
    currencies: set = field(default_factory=set)

    def add(self, row):
        self.billed_seconds += row["money_billed"] or 0
        if row["money_amount"] is not None:
            self.amount = (self.amount or Decimal(0)) + row["money_amount"]
        if row["money_cost"] is not None:
            self.cost = (self.cost or Decimal(0)) + row["money_cost"]
        self.currencies.update(code for code in (row["money_lowest"], row["money_highest"]) if code is not None)

    def as_dict(self, view):
        currency = next(iter(self.currencies)) if len(self.currencies) == 1 else None

        def rounded(value):  # each stored amount is rounded to its currency: the sum is exact
            return None if value is None or currency is None else round_money(value, currency)

        return {
            "billed_seconds": self.billed_seconds if view.amounts else None,
            "amount": rounded(self.amount) if view.amounts else None,
            "cost": rounded(self.cost) if view.costs else None,
            "currency": currency,
        }


# --- The entries export's money ---------------------------------------------------------------------

PRICING_CHUNK = 2000


def _priced_chunks(filters, entries_in_scope):
    """{entry id: EntryPrice} for the export's entries, `PRICING_CHUNK` at a time, in the export's
    order (start, id), the entries read by one server-side cursor. The projects' terms and the rates
    are loaded once for the whole export (its distinct projects and tasks: one query), so the query
    count does not grow with rows (day-rounded projects read their days' entries per chunk)."""
    scope = entries_in_scope(filters)
    targets = set(scope.order_by().values_list("project_id", "task_id").distinct())
    project_ids = {project_id for project_id, _ in targets if project_id is not None}
    terms = project_terms(project_ids)
    book = RateBook.load(
        client_ids={term.client_id for term in terms.values() if term.client_id is not None},
        project_ids=project_ids,
        task_ids={task_id for _, task_id in targets if task_id is not None},
    )
    rows = (
        scope.order_by("started_at", "id")
        .values("id", "user_id", "project_id", "task_id", "started_at", "ended_at", "billable", "user__timezone")
        .iterator(chunk_size=PRICING_CHUNK)
    )
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == PRICING_CHUNK:
            yield from _priced(chunk, terms, book)
            chunk = []
    if chunk:
        yield from _priced(chunk, terms, book)


def _priced(chunk, terms, book):
    prices = price_entries(chunk, terms=terms, book=book)
    for row in chunk:
        yield prices[row["id"]]


def with_entry_money(rows, filters, view, entries_in_scope):
    """The entries export's rows (reports.exports.entry_rows: one per entry, ordered by start and id)
    with `money_cells` after them: each entry's billed hours, amount, cost and currency, read beside
    them in the same order. `entries_in_scope` is reports.summary's (passed in: summary imports this)."""
    prices = _priced_chunks(filters, entries_in_scope)
    for row, price in zip(rows, prices, strict=True):
        money = {
            "billed_seconds": price.billed_seconds,
            "amount": price.amount,
            "cost": price.cost,
            "currency": price.currency,
        }
        yield [*row, *money_cells(view, money)]
