from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from accounts.models import AuditEvent
from billing import services
from billing.models import Rate, RateKind, RateLevel
from billing.services import BillingError, BillingForbidden
from billing.tests.factories import ClientBillingFactory, RateFactory

DAY = date(2026, 3, 1)


def create(actor, **overrides):
    arguments = {"kind": RateKind.BILLABLE, "level": RateLevel.COMPANY, "amount": Decimal("90"), "valid_from": DAY}
    return services.rate_create(actor=actor, **{**arguments, **overrides})


# --- The rules --------------------------------------------------------------------------------


def test_hr_creates_a_company_rate_audited(hr):
    rate = create(hr)
    assert (rate.currency, rate.amount, rate.level) == ("EUR", Decimal("90"), "company")
    event = AuditEvent.objects.get(action="billing.rate_created")
    assert event.object_id == str(rate.pk)
    assert event.changes["amount"] == [None, "90.00"]


def test_a_future_first_day_is_allowed(hr):
    rate = create(hr, valid_from=date(2030, 1, 1))
    assert rate.valid_from == date(2030, 1, 1)


def test_a_negative_rate_is_refused(hr):
    with pytest.raises(BillingError) as error:
        create(hr, amount=Decimal("-1"))
    assert (error.value.field, error.value.code) == ("amount", "negative")
    assert not Rate.objects.exists()


def test_more_decimals_than_the_currency_has_are_refused(hr, acme):
    ClientBillingFactory(client=acme, currency="JPY")
    with pytest.raises(BillingError) as error:
        create(hr, level=RateLevel.CLIENT, client=acme, amount=Decimal("1000.5"))
    assert (error.value.field, error.value.code) == ("amount", "precision")
    assert create(hr, level=RateLevel.CLIENT, client=acme, amount=Decimal("1000")).currency == "JPY"


def test_an_unknown_currency_is_refused(hr):
    with pytest.raises(BillingError) as error:
        create(hr, currency="XYZ")
    assert (error.value.field, error.value.code) == ("currency", "unknown")


def test_a_rate_in_another_currency_than_its_clients_is_refused(hr, acme):
    with pytest.raises(BillingError) as error:
        create(hr, level=RateLevel.CLIENT, client=acme, currency="USD")
    assert error.value.code == "mismatch"


def test_company_rates_exist_per_currency(hr):
    create(hr, currency="EUR")
    assert create(hr, currency="USD").currency == "USD"


def test_the_same_first_day_twice_is_refused(hr, project):
    create(hr, level=RateLevel.PROJECT, project=project)
    with pytest.raises(BillingError) as error:
        create(hr, level=RateLevel.PROJECT, project=project, amount=Decimal("1"))
    assert (error.value.field, error.value.code) == ("valid_from", "duplicate")
    # Another kind on the same day is another history.
    create(hr, level=RateLevel.PROJECT, project=project, kind=RateKind.COST)


@pytest.mark.parametrize(
    ("level", "given", "field", "code"),
    [
        ("company", {"project": True}, "project", "not_allowed"),
        ("client", {}, "client", "required"),
        ("project", {"client": True, "project": True}, "client", "not_allowed"),
        ("task", {"project": True}, "task", "required"),
        ("user_on_project", {"project": True}, "user", "required"),
        ("user_on_project", {"user": True}, "project", "required"),
    ],
)
def test_wrong_targets_for_the_level_are_refused(hr, acme, project, task, employee, level, given, field, code):
    objects = {"client": acme, "project": project, "task": task, "user": employee}
    with pytest.raises(BillingError) as error:
        create(hr, level=level, **{name: objects[name] for name in given})
    assert (error.value.field, error.value.code) == (field, code)


@pytest.mark.parametrize(
    ("level", "targets"),
    [
        ("company", {"project_id": "project"}),
        ("client", {}),
        ("task", {"task_id": "task", "project_id": "project"}),
        ("user_on_project", {"project_id": "project"}),
    ],
)
def test_the_database_refuses_wrong_targets_too(hr, project, task, level, targets):
    ids = {"project": project.pk, "task": task.pk}
    with pytest.raises(IntegrityError), transaction.atomic():
        Rate.objects.create(
            kind="billable",
            level=level,
            amount=1,
            currency="EUR",
            valid_from=DAY,
            **{name: ids[value] for name, value in targets.items()},
        )


def test_the_database_refuses_a_negative_amount_and_a_duplicate_day(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        RateFactory(amount=Decimal("-0.01"))
    RateFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RateFactory()


# --- Who may --------------------------------------------------------------------------------


def test_a_manager_sets_the_rates_of_their_project(manager, project, task, employee):
    assert create(manager, level=RateLevel.PROJECT, project=project).project == project
    assert create(manager, level=RateLevel.TASK, task=task).task == task
    assert create(manager, level=RateLevel.USER_ON_PROJECT, project=project, user=employee).user == employee


def test_a_manager_of_another_project_cannot(manager, project, other_project):
    with pytest.raises(BillingError) as error:
        create(manager, level=RateLevel.PROJECT, project=other_project)
    assert (error.value.field, error.value.code) == ("project", "does_not_exist")


def test_a_manager_sets_no_company_or_client_rate(manager, acme):
    with pytest.raises(BillingForbidden):
        create(manager)
    with pytest.raises(BillingForbidden):
        create(manager, level=RateLevel.CLIENT, client=acme)


def test_an_employee_sets_no_rate(employee, project):
    with pytest.raises(BillingForbidden):
        create(employee, level=RateLevel.PROJECT, project=project)


# --- Change and delete ------------------------------------------------------------------------


def test_update_changes_the_amount_and_day_audited(hr, project):
    rate = create(hr, level=RateLevel.PROJECT, project=project)
    rate = services.rate_update(actor=hr, rate=rate, data={"amount": Decimal("95.50"), "valid_from": date(2026, 4, 1)})
    assert (rate.amount, rate.valid_from) == (Decimal("95.50"), date(2026, 4, 1))
    event = AuditEvent.objects.get(action="billing.rate_updated")
    assert event.changes["amount"] == ["90.00", "95.50"]


def test_update_refuses_another_target_and_a_negative_amount(hr, project, other_project):
    rate = create(hr, level=RateLevel.PROJECT, project=project)
    with pytest.raises(BillingError) as error:
        services.rate_update(actor=hr, rate=rate, data={"project": other_project})
    assert error.value.code == "not_editable"
    with pytest.raises(BillingError):
        services.rate_update(actor=hr, rate=rate, data={"amount": Decimal("-5")})
    rate.refresh_from_db()
    assert rate.amount == Decimal("90")


def test_update_onto_another_rates_day_is_refused(hr, project):
    create(hr, level=RateLevel.PROJECT, project=project)
    later = create(hr, level=RateLevel.PROJECT, project=project, valid_from=date(2026, 5, 1))
    with pytest.raises(BillingError) as error:
        services.rate_update(actor=hr, rate=later, data={"valid_from": DAY})
    assert error.value.code == "duplicate"


def test_delete_is_audited(hr, project):
    rate = create(hr, level=RateLevel.PROJECT, project=project)
    services.rate_delete(actor=hr, rate=rate)
    assert not Rate.objects.exists()
    assert AuditEvent.objects.filter(action="billing.rate_deleted", object_id=str(rate.pk)).exists()


def test_a_manager_cannot_delete_another_projects_rate(hr, manager, project, other_project):
    rate = create(hr, level=RateLevel.PROJECT, project=other_project)
    with pytest.raises(BillingError):
        services.rate_delete(actor=manager, rate=rate)
    assert Rate.objects.filter(pk=rate.pk).exists()


# --- A client's currency -------------------------------------------------------------------------


def test_client_currency_is_set_by_hr_and_defaults_to_the_company_one(hr, manager, acme):
    assert services.client_currency(acme) == "EUR"
    services.client_currency_set(actor=hr, client=acme, currency="JPY")
    assert services.client_currency(acme) == "JPY"
    with pytest.raises(BillingForbidden):
        services.client_currency_set(actor=manager, client=acme, currency="USD")
    with pytest.raises(BillingError) as error:
        services.client_currency_set(actor=hr, client=acme, currency="EURO")
    assert error.value.code == "unknown"


def test_client_currency_cannot_change_under_its_rates(hr, acme, project):
    create(hr, level=RateLevel.PROJECT, project=project)
    with pytest.raises(BillingError) as error:
        services.client_currency_set(actor=hr, client=acme, currency="USD")
    assert error.value.code == "in_use"
    assert services.client_currency(acme) == "EUR"
