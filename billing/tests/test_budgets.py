"""Budgets (billing.services.budgets): usage, the rules of their writes and who may write them, the
refusal of time past a used-up budget, and the alerts sent once per threshold and period."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from accounts.models import AuditEvent, OutgoingEmail
from accounts.tests.factories import UserFactory
from billing import services
from billing.budget_models import Budget, BudgetAlert
from billing.services.budgets import BudgetExceeded, budget_usages
from billing.tests.factories import ClientBillingFactory, ProjectBillingFactory, RateFactory
from timetracking import services as timetracking
from timetracking.tests.factories import ClientFactory, ProjectFactory
from webhooks.models import OutboxEvent

MARCH = datetime(2026, 3, 2, 8, tzinfo=UTC)


def log(user, project, start, hours, *, billable=True):
    return timetracking.entry_create(
        user=user, project=project, started_at=start, ended_at=start + timedelta(hours=float(hours)), billable=billable
    )


@pytest.fixture
def rate(db):
    return RateFactory(amount=Decimal("100.00"), currency="EUR")


def budget(actor, project, **fields):
    return services.budget_create(actor=actor, project=project, **{"hours": Decimal("10"), **fields})


# --- Usage ---------------------------------------------------------------------------------------


def test_usage_counts_billed_hours_as_rounded_and_billable_amounts(hr, employee, project, rate):
    ProjectBillingFactory(project=project, rounding_mode="up", rounding_minutes=15)
    created = budget(hr, project, amount=Decimal("1000"))
    log(employee, project, MARCH, Decimal("0.8"))  # 48 min, billed 1 h: 100.00
    log(employee, project, MARCH + timedelta(hours=2), Decimal("0.5"), billable=False)  # tracked, no amount
    usage = budget_usages([created], day=date(2026, 3, 31))[created.pk]
    assert (usage.hours, usage.amount, usage.percent) == (Decimal("1.50"), Decimal("100.00"), Decimal("15.0"))
    assert (usage.period_start, usage.period_end) == (date(2000, 1, 1), None)


def test_a_monthly_budget_counts_the_entries_of_its_month_on_their_local_day(hr, employee, project, rate):
    employee.timezone = "Pacific/Auckland"  # UTC+13 in March
    employee.save()
    created = budget(hr, project, period="month")
    log(employee, project, datetime(2026, 3, 31, 12, tzinfo=UTC), 2)  # 1 April in Auckland
    log(employee, project, datetime(2026, 3, 10, 1, tzinfo=UTC), 1)
    march = budget_usages([created], day=date(2026, 3, 15))[created.pk]
    april = budget_usages([created], day=date(2026, 4, 15))[created.pk]
    assert (march.hours, march.period_start, march.period_end) == (Decimal("1.00"), date(2026, 3, 1), date(2026, 3, 31))
    assert (april.hours, april.period_start) == (Decimal("2.00"), date(2026, 4, 1))


def test_a_client_budget_counts_all_its_projects(hr, employee, project, acme, rate):
    second = ProjectFactory(client=acme, members=[employee])
    created = services.budget_create(actor=hr, client=acme, hours=Decimal("4"))
    log(employee, project, MARCH, 1)
    log(employee, second, MARCH + timedelta(hours=2), 2)
    log(employee, ProjectFactory(members=[employee]), MARCH + timedelta(hours=4), 5)  # another client's
    assert budget_usages([created])[created.pk].hours == Decimal("3.00")


def test_usages_of_many_budgets_read_a_constant_number_of_queries(hr, employee, rate, django_assert_max_num_queries):
    budgets = []
    for index in range(6):
        project = ProjectFactory(members=[employee])
        budgets.append(budget(hr, project))
        log(employee, project, MARCH + timedelta(hours=2 * index), 1)
    budgets.append(services.budget_create(actor=hr, client=ClientFactory(), hours=Decimal("1")))
    with django_assert_max_num_queries(5):  # client projects, entries, projects' terms, rates (+ day rounding)
        usages = budget_usages(budgets)
    assert [usages[item.pk].hours for item in budgets[:6]] == [Decimal("1.00")] * 6


# --- Writes: rules and bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"hours": Decimal("-1")}, "hours", "negative"),
        ({"hours": None, "amount": Decimal("-0.01")}, "amount", "negative"),
        ({"hours": None, "amount": None}, "hours", "required"),
        ({"thresholds": [0]}, "thresholds", "out_of_range"),
        ({"thresholds": [1001]}, "thresholds", "out_of_range"),
        ({"thresholds": []}, "thresholds", "invalid"),
        ({"thresholds": ["80"]}, "thresholds", "invalid"),
        ({"thresholds": list(range(1, 12))}, "thresholds", "too_many"),
        ({"period": "week"}, "period", "invalid_choice"),
        ({"hours": Decimal("1.234")}, "hours", "precision"),
        ({"hours": Decimal("NaN")}, "hours", "invalid"),
    ],
)
def test_bad_input_is_refused_at_its_field(hr, project, fields, field, code):
    with pytest.raises(services.BillingError) as refused:
        budget(hr, project, **fields)
    assert (refused.value.field, refused.value.code) == (field, code)
    assert not Budget.objects.exists()


def test_thresholds_are_kept_sorted_without_repeats_and_default_to_80_and_100(hr, project, other_project):
    assert budget(hr, project).thresholds == [80, 100]
    assert budget(hr, other_project, thresholds=[100, 50, 50, 1000]).thresholds == [50, 100, 1000]


def test_one_budget_per_project_and_one_target(hr, project, acme):
    budget(hr, project)
    with pytest.raises(services.BillingError) as duplicate:
        budget(hr, project)
    assert (duplicate.value.field, duplicate.value.code) == ("project", "duplicate")
    with pytest.raises(services.BillingError):
        services.budget_create(actor=hr, project=project, client=acme, hours=Decimal("1"))
    with pytest.raises(services.BillingError):
        services.budget_create(actor=hr, hours=Decimal("1"))


def test_money_budgets_are_in_the_clients_currency_or_the_company_default(hr, project, other_project):
    """Decided: a client without a currency set is billed in BILLING_DEFAULT_CURRENCY, so its money
    budget is in that currency too (and a project without a client likewise)."""
    assert budget(hr, project, amount=Decimal("500")).currency == "EUR"
    ClientBillingFactory(client=other_project.client, currency="JPY")
    created = budget(hr, other_project, amount=Decimal("50000"))
    assert (created.currency, created.amount) == ("JPY", Decimal("50000"))
    created.delete()
    with pytest.raises(services.BillingError) as precision:
        budget(hr, other_project, amount=Decimal("1.5"))  # JPY has no minor unit
    assert precision.value.code == "precision"


def test_the_clients_currency_cannot_change_under_a_money_budget(hr, project, acme):
    budget(hr, project, amount=Decimal("500"))
    with pytest.raises(services.BillingConflict) as refused:
        services.client_currency_set(actor=hr, client=acme, currency="USD")
    assert refused.value.code == "in_use"


def test_who_may_set_budgets(hr, manager, other_manager, outsider, employee, project, acme):
    created = budget(manager, project)  # the manager of the project's member
    with pytest.raises(services.BillingError) as unmanaged:
        budget(other_manager, ProjectFactory(members=[employee], client=acme))
    assert (unmanaged.value.field, unmanaged.value.code) == ("project", "does_not_exist")
    with pytest.raises(services.BillingForbidden):
        services.budget_update(actor=employee, budget=created, data={"hours": Decimal("99")})
    with pytest.raises(services.BillingError):
        services.budget_update(actor=other_manager, budget=created, data={"hours": Decimal("99")})
    with pytest.raises(services.BillingForbidden):
        services.budget_create(actor=manager, client=acme, hours=Decimal("1"))  # a client's is HR's
    with pytest.raises(services.BillingForbidden):
        services.budget_delete(actor=employee, budget=created)
    assert Budget.objects.get().hours == Decimal("10")


def test_a_budgets_target_cannot_change(hr, project, other_project):
    created = budget(hr, project)
    with pytest.raises(services.BillingError) as refused:
        services.budget_update(actor=hr, budget=created, data={"project": other_project})
    assert refused.value.code == "not_editable"


def test_every_write_is_audited(hr, project):
    created = budget(hr, project, amount=Decimal("500"))
    services.budget_update(actor=hr, budget=created, data={"hours": Decimal("12"), "thresholds": [90]})
    services.budget_update(actor=hr, budget=created, data={"hours": Decimal("12")})  # no change: no event
    services.budget_delete(actor=hr, budget=created)
    events = list(AuditEvent.objects.filter(action__startswith="billing.budget").order_by("pk"))
    assert [event.action for event in events] == [
        "billing.budget_created",
        "billing.budget_updated",
        "billing.budget_deleted",
    ]
    assert events[0].changes["amount"] == [None, "500.00"]
    assert events[1].changes["hours"] == ["10.00", "12.00"]
    assert events[1].changes["thresholds"] == [[80, 100], [90]]


def test_budget_set_creates_changes_and_removes(hr, project):
    created = services.budget_set(actor=hr, project=project, data={"hours": Decimal("5")})
    changed = services.budget_set(actor=hr, project=project, data={"period": "month"})
    assert changed.pk == created.pk and (changed.hours, changed.period) == (Decimal("5.00"), "month")
    assert services.budget_set(actor=hr, project=project, data={"hours": None}) is None
    assert not Budget.objects.exists()
    assert services.budget_set(actor=hr, project=project, data={"hours": None}) is None  # nothing to remove


# --- Refusing time once a budget is used up ------------------------------------------------------


def test_refuse_when_exceeded_refuses_the_entry_that_passes_100_percent(hr, employee, project):
    budget(hr, project, hours=Decimal("3"), refuse_when_exceeded=True)
    log(employee, project, MARCH, 2)
    log(employee, project, MARCH + timedelta(hours=2), 1)  # exactly 100 %: allowed
    with pytest.raises(BudgetExceeded) as refused:
        log(employee, project, MARCH + timedelta(hours=3), Decimal("0.25"))
    assert (refused.value.code, refused.value.kind) == ("budget_exceeded", "conflict")
    assert project.time_entries.count() == 2
    log(employee, ProjectFactory(members=[employee]), MARCH + timedelta(hours=3), 1)  # other projects: fine


def test_a_timer_cannot_start_or_stop_past_a_used_up_budget(hr, employee, project):
    budget(hr, project, hours=Decimal("1"), refuse_when_exceeded=True)
    with time_machine.travel(MARCH, tick=False):
        timetracking.timer_start(user=employee, project=project)
    with time_machine.travel(MARCH + timedelta(hours=2), tick=False), pytest.raises(BudgetExceeded):
        timetracking.timer_stop(user=employee)  # 2 h on a 1 h budget
    with time_machine.travel(MARCH + timedelta(minutes=30), tick=False):
        timetracking.timer_stop(user=employee)
        log(employee, project, MARCH + timedelta(hours=1), Decimal("0.5"))  # 100 %
    with time_machine.travel(MARCH + timedelta(hours=3), tick=False), pytest.raises(BudgetExceeded):
        timetracking.timer_start(user=employee, project=project)


def test_shrinking_or_removing_time_on_an_exceeded_budget_is_allowed(hr, employee, project):
    long = log(employee, project, MARCH, 5)
    created = budget(hr, project, hours=Decimal("2"))
    services.budget_update(actor=hr, budget=created, data={"refuse_when_exceeded": True})
    timetracking.entry_update(entry=long, actor=employee, ended_at=MARCH + timedelta(hours=4))
    with pytest.raises(BudgetExceeded):
        timetracking.entry_update(entry=long, actor=employee, ended_at=MARCH + timedelta(hours=6))
    timetracking.entry_delete(entry=long, actor=employee)


def test_without_refuse_when_exceeded_time_past_the_budget_is_logged(hr, employee, project):
    budget(hr, project, hours=Decimal("1"))
    log(employee, project, MARCH, 5)
    assert project.time_entries.count() == 1


# --- Alerts ------------------------------------------------------------------------------------------


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """Run what entry writes queue after commit (the alert check), as a real commit would."""

    def run(write):
        with django_capture_on_commit_callbacks(execute=True):
            return write()

    return run


def test_an_alert_goes_once_per_threshold_to_the_managers_and_hr(hr, manager, employee, project, committing):
    created = budget(hr, project, hours=Decimal("10"))
    committing(lambda: log(employee, project, MARCH, 7))
    assert not BudgetAlert.objects.exists()
    committing(lambda: log(employee, project, MARCH + timedelta(hours=7), 1))  # 80 %
    committing(lambda: log(employee, project, MARCH + timedelta(hours=8), Decimal("0.5")))  # 85 %: sent already
    assert list(BudgetAlert.objects.values_list("threshold", "used_percent")) == [(80, Decimal("80.0"))]
    emails = OutgoingEmail.objects.filter(subject__contains="80 %")
    assert sorted(emails.values_list("user__username", flat=True)) == ["hr", "manager"]
    assert "8.00 of 10.00" in emails.first().body
    committing(lambda: log(employee, project, MARCH + timedelta(hours=9), 2))  # 105 %
    assert list(BudgetAlert.objects.values_list("threshold", flat=True)) == [80, 100]
    events = list(OutboxEvent.objects.filter(event_type="budget.threshold_reached").order_by("pk"))
    assert [event.payload["threshold"] for event in events] == [80, 100]
    assert events[0].payload == {
        "budget": created.pk,
        "project": project.pk,
        "client": None,
        "threshold": 80,
        "period": "total",
        "period_start": "2000-01-01",
        "period_end": None,
        "hours": "10.00",
        "amount": None,
        "currency": "EUR",
        "used_hours": "8.00",
        "used_amount": "0.00",
        "used_percent": "80.0",
    }


def test_alerts_of_a_client_budget_reach_the_managers_of_its_projects(hr, employee, outsider, acme, committing):
    ProjectFactory(client=acme, members=[outsider])
    mine = ProjectFactory(client=acme, members=[employee])
    services.budget_create(actor=hr, client=acme, hours=Decimal("1"))
    committing(lambda: log(employee, mine, MARCH, 1))
    recipients = OutgoingEmail.objects.values_list("user__username", flat=True)
    assert sorted(recipients) == ["hr", "hr", "manager", "manager", "other_manager", "other_manager"]


def test_a_new_month_re_arms_a_monthly_budgets_alerts(hr, employee, project, committing):
    budget(hr, project, hours=Decimal("2"), period="month", thresholds=[100])
    committing(lambda: log(employee, project, MARCH, 2))
    committing(lambda: log(employee, project, MARCH + timedelta(hours=2), 1))
    committing(lambda: log(employee, project, datetime(2026, 4, 6, 8, tzinfo=UTC), 2))
    assert list(BudgetAlert.objects.values_list("period_start", flat=True)) == [date(2026, 3, 1), date(2026, 4, 1)]
    assert OutboxEvent.objects.filter(event_type="budget.threshold_reached").count() == 2


def test_raising_a_budget_re_arms_the_thresholds_it_is_no_longer_at(hr, employee, project, committing):
    created = budget(hr, project, hours=Decimal("4"))
    committing(lambda: log(employee, project, MARCH, 4))
    assert list(BudgetAlert.objects.values_list("threshold", flat=True)) == [80, 100]
    committing(lambda: services.budget_update(actor=hr, budget=created, data={"hours": Decimal("4.5")}))  # 88.9 %
    assert list(BudgetAlert.objects.values_list("threshold", flat=True)) == [80]
    committing(lambda: log(employee, project, MARCH + timedelta(hours=4), 1))
    assert list(BudgetAlert.objects.values_list("threshold", flat=True)) == [80, 100]
    assert OutboxEvent.objects.filter(event_type="budget.threshold_reached").count() == 3


def test_a_refused_write_sends_nothing(hr, employee, project, committing):
    budget(hr, project, hours=Decimal("1"), refuse_when_exceeded=True)
    with pytest.raises(BudgetExceeded):
        committing(lambda: log(employee, project, MARCH, 2))
    assert not BudgetAlert.objects.exists() and not OutgoingEmail.objects.exists()


def test_inactive_people_and_people_without_an_address_get_no_alert(hr, manager, employee, project, committing):
    manager.email = ""
    manager.save()
    UserFactory(username="gone", is_active=False).groups.add(*hr.groups.all())
    budget(hr, project, hours=Decimal("1"), thresholds=[100])
    committing(lambda: log(employee, project, MARCH, 1))
    assert list(OutgoingEmail.objects.values_list("user__username", flat=True)) == ["hr"]


def test_a_week_grid_cell_past_a_used_up_budget_is_refused(hr, employee, project):
    budget(hr, project, hours=Decimal("2"), refuse_when_exceeded=True)
    timetracking.timesheet_cell_set(
        user=employee, actor=employee, day=date(2026, 3, 2), project=project, task=None, value="2:00"
    )
    with pytest.raises(BudgetExceeded):
        timetracking.timesheet_cell_set(
            user=employee, actor=employee, day=date(2026, 3, 3), project=project, task=None, value="0:15"
        )
    with pytest.raises(BudgetExceeded):  # growing the cell that is there
        timetracking.timesheet_cell_set(
            user=employee, actor=employee, day=date(2026, 3, 2), project=project, task=None, value="3:00"
        )
    timetracking.timesheet_cell_set(
        user=employee, actor=employee, day=date(2026, 3, 2), project=project, task=None, value="1:00"
    )
    assert [entry.duration.total_seconds() for entry in project.time_entries.all()] == [3600]
