from datetime import date
from decimal import Decimal

import factory

from billing.models import ClientBilling, ProjectBilling, Rate, RateKind, RateLevel
from timetracking.tests.factories import ClientFactory, ProjectFactory


class RateFactory(factory.django.DjangoModelFactory):
    """A company default billable rate. Bypasses the services: only for arranging tests."""

    class Meta:
        model = Rate

    kind = RateKind.BILLABLE
    level = RateLevel.COMPANY
    amount = Decimal("100.00")
    currency = "EUR"
    valid_from = date(2026, 1, 1)


class ClientBillingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientBilling

    client = factory.SubFactory(ClientFactory)
    currency = "USD"


class ProjectBillingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectBilling

    project = factory.SubFactory(ProjectFactory)
    rounding_mode = "up"
    rounding_minutes = 15
    rounding_scope = "entry"


def reprice_all():
    """Store every entry's price: entries, rates and roundings made by these factories are written past
    billing's services, which keep the stored prices (the entries' `price_*` columns) in step, so a test reading
    them (summaries, their exports) reprices after arranging, as `manage.py billing_reprice` does."""
    from billing.services.prices import prices_refresh
    from timetracking.models import TimeEntry

    prices_refresh(entries=TimeEntry.objects.all())
