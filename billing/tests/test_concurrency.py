"""Races on PostgreSQL with real concurrent connections (threads)."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.tests.factories import HRFactory
from billing import services
from billing.models import Rate, RateKind, RateLevel
from timetracking.tests.factories import ProjectFactory
from timetracking.tests.test_concurrency import outcome, run_at_once

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def test_two_rates_for_one_target_and_day_at_once_leave_one(transactional_db):
    hr, project = HRFactory(), ProjectFactory()

    def create(amount):
        return lambda: services.rate_create(
            actor=hr,
            kind=RateKind.BILLABLE,
            level=RateLevel.PROJECT,
            project=project,
            amount=Decimal(amount),
            valid_from=date(2026, 4, 1),
        )

    for _ in range(3):  # a race can go either way: repeat it
        Rate.objects.all().delete()
        results = run_at_once(create("90"), create("95"))
        assert outcome(results) == ["BillingError", "Rate"]
        refused = next(result for result in results if isinstance(result, Exception))
        assert (refused.code, refused.field) == ("duplicate", "valid_from")
        assert Rate.objects.count() == 1
