"""Demo money for `manage.py seed_demo`: rates (a company default, a client's, a project's and a
person's on a project) and invoices: last month's for Acme Corp issued, Globex's as a draft to check.

Idempotent: rates and invoices are made only when there are none. Everything goes through the
services (audited, numbered), as HR would do it.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from billing.models import Budget, Invoice, Rate, RateKind, RateLevel
from billing.services import budget_create, invoices, rate_create
from billing.services.errors import BillingError
from timetracking.models import Client, Project

SINCE = date(2020, 1, 1)


def seed(stdout, users):
    hr = users["hr"]
    if not Rate.objects.exists():
        acme = Client.objects.filter(name="Acme Corp").first()
        app = Project.objects.filter(code="GLX-APP").first()

        def rate(kind, level, amount, **targets):
            rate_create(actor=hr, kind=kind, level=level, amount=Decimal(amount), valid_from=SINCE, **targets)

        rate(RateKind.BILLABLE, RateLevel.COMPANY, "95", currency="EUR")
        rate(RateKind.COST, RateLevel.COMPANY, "48", currency="EUR")
        if acme is not None:
            rate(RateKind.BILLABLE, RateLevel.CLIENT, "110", client=acme)
        if app is not None:
            rate(RateKind.BILLABLE, RateLevel.PROJECT, "120", project=app)
            rate(RateKind.BILLABLE, RateLevel.USER_ON_PROJECT, "135", project=app, user=users["manager"])
        stdout.write("  billing: rates (company 95 EUR/h, Acme Corp 110, Globex's app 120, the manager on it 135)")
    _seed_budgets(stdout, hr)
    if Invoice.objects.exists():
        return
    first_of_month = timezone.localdate(timezone=hr.tzinfo).replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    last_month = (last_month_end.replace(day=1), last_month_end)
    for name, issue in (("Acme Corp", True), ("Globex", False)):
        client = Client.objects.filter(name=name).first()
        if client is None:
            continue
        try:
            draft = invoices.invoice_draft_create(
                actor=hr, client=client, period_from=last_month[0], period_to=last_month[1], tax_rate=Decimal("19")
            )
        except BillingError as refused:  # no billable time last month (a fresh demo on the 1st, say)
            stdout.write(f"  billing: no invoice for {name}: {refused.message}")
            continue
        if issue:
            draft = invoices.invoice_issue(actor=hr, invoice=draft)
        stdout.write(
            f"  billing: {name}'s invoice for last month {'issued as ' + str(draft.number) if issue else 'drafted'}"
        )


def _seed_budgets(stdout, hr):
    """The demo projects' budget hours become their total budgets (time tracking stores the hours;
    billing checks them), and Globex's app a monthly budget in hours and money, alerted at 50, 80 and 100 %."""
    if Budget.objects.exists():
        return
    app = Project.objects.filter(code="GLX-APP").first()
    for project in Project.objects.filter(budget_hours__isnull=False).exclude(code="GLX-APP").order_by("pk"):
        budget_create(actor=hr, project=project, hours=project.budget_hours)
    if app is not None:
        budget_create(
            actor=hr,
            project=app,
            hours=Decimal("160"),
            amount=Decimal("20000"),
            period="month",
            thresholds=[50, 80, 100],
        )
    stdout.write(f"  billing: {Budget.objects.count()} project budgets (Globex's app: 160 h / 20000 per month)")
