from datetime import date
from decimal import Decimal

from billing.models import RateLevel
from billing.tests.factories import ProjectBillingFactory, RateFactory


def test_hr_reads_rates_in_the_admin_and_changes_nothing_there(client, hr, project):
    RateFactory(level=RateLevel.PROJECT, project=project, amount=Decimal("90"), valid_from=date(2026, 1, 1))
    ProjectBillingFactory(project=project)
    client.force_login(hr)
    for url in ("/admin/billing/rate/", "/admin/billing/projectbilling/", "/admin/billing/clientbilling/"):
        assert client.get(url).status_code == 200
    assert client.get("/admin/billing/rate/add/").status_code == 403


def test_a_manager_sees_no_billing_admin(client, manager, project):
    rate = RateFactory(level=RateLevel.PROJECT, project=project)
    client.force_login(manager)
    assert client.get("/admin/billing/rate/").status_code == 403
    assert client.get(f"/admin/billing/rate/{rate.pk}/change/").status_code in (403, 302)
