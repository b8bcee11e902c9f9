"""Expected hours (contract, holidays, closures, leave), overtime and the running balance."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from leave.models import CompanyClosure, LeaveUnit
from reports import overtime
from reports.tests.factories import ApprovedLeaveFactory, LeaveTypeFactory, TimeEntryFactory, UserFactory, utc

pytestmark = pytest.mark.django_db

# The week of Monday 30 March 2026; Friday 3 April is Good Friday (a public holiday in Germany).
MONDAY = date(2026, 3, 30)
SUNDAY = date(2026, 4, 5)


@pytest.fixture
def berliner(db):
    return UserFactory(
        username="berliner", timezone="Europe/Berlin", country="DE", subdivision="BY", weekly_hours=Decimal("40")
    )


def test_expected_hours_follow_the_contract_on_working_weekdays_minus_public_holidays(berliner):
    expected = overtime.expected_by_day(berliner, MONDAY, SUNDAY)
    assert [expected[day] for day in sorted(expected)] == [8, 8, 8, 8, 0, 0, 0]


def test_half_day_leave_and_a_half_day_closure_halve_the_day(berliner):
    ApprovedLeaveFactory(user=berliner, start_date=date(2026, 4, 1), end_date=date(2026, 4, 1), end_part="morning")
    CompanyClosure.objects.create(date=date(2026, 4, 2), name="Afternoon off", half_day=True)
    expected = overtime.expected_by_day(berliner, MONDAY, SUNDAY)
    assert expected[date(2026, 3, 31)] == 8
    assert expected[date(2026, 4, 1)] == 4
    assert expected[date(2026, 4, 2)] == 4
    assert sum(expected.values()) == 24


def test_full_leave_hourly_leave_and_a_full_closure(berliner):
    ApprovedLeaveFactory(user=berliner, start_date=date(2026, 3, 30), end_date=date(2026, 3, 30))
    hourly = LeaveTypeFactory(code="overtime", name="Overtime", unit=LeaveUnit.HOURS)
    ApprovedLeaveFactory(
        user=berliner, leave_type=hourly, start_date=date(2026, 3, 31), end_date=date(2026, 3, 31), hours=Decimal("3")
    )
    CompanyClosure.objects.create(date=date(2026, 4, 1), name="Company day")
    expected = overtime.expected_by_day(berliner, MONDAY, SUNDAY)
    assert [expected[day] for day in sorted(expected)][:5] == [0, 5, 0, 8, 0]


def test_pending_or_rejected_leave_credits_nothing(berliner):
    ApprovedLeaveFactory(user=berliner, start_date=MONDAY, end_date=MONDAY, status="pending", decided_at=None)
    ApprovedLeaveFactory(user=berliner, start_date=date(2026, 3, 31), end_date=date(2026, 3, 31), status="rejected")
    assert overtime.expected_by_day(berliner, MONDAY, MONDAY + timedelta(days=1)) == {
        MONDAY: 8,
        date(2026, 3, 31): 8,
    }


def test_part_time_contract_on_three_days(db):
    part_timer = UserFactory(username="part", weekly_hours=Decimal("20"), working_weekdays="135")
    expected = overtime.expected_by_day(part_timer, date(2026, 3, 23), date(2026, 3, 29))
    assert sum(expected.values()) == Decimal("20")
    assert expected[date(2026, 3, 24)] == 0


def test_overtime_and_the_running_balance_per_week(berliner):
    berliner.date_joined = datetime(2026, 3, 23, 8, tzinfo=UTC)
    berliner.save()
    # Week of 23 March: 5 x 9 h = 45 h against 40 h expected -> +5 h.
    for day in range(23, 28):
        TimeEntryFactory(user=berliner, started_at=utc(2026, 3, day, 7), ended_at=utc(2026, 3, day, 16))
    # Week of 30 March: 4 x 7 h = 28 h against 32 h (Good Friday) -> -4 h.
    for day in (30, 31):
        TimeEntryFactory(user=berliner, started_at=utc(2026, 3, day, 6), ended_at=utc(2026, 3, day, 13))
    for day in (1, 2):
        TimeEntryFactory(user=berliner, started_at=utc(2026, 4, day, 6), ended_at=utc(2026, 4, day, 13))
    with time_machine.travel(datetime(2026, 4, 10, 12, tzinfo=UTC), tick=False):
        report = overtime.overtime_report(berliner, date(2026, 3, 30), SUNDAY, period="week")
    assert report["opening_balance_hours"] == Decimal("5.00")
    assert report["rows"] == [
        {
            "period": MONDAY,
            "expected_hours": Decimal("32.00"),
            "actual_hours": Decimal("28.00"),
            "overtime_hours": Decimal("-4.00"),
            "balance_hours": Decimal("1.00"),
        }
    ]
    assert report["closing_balance_hours"] == Decimal("1.00")
    assert report["balance_start"] == date(2026, 3, 23)


def test_days_after_today_count_no_expected_time_towards_the_balance(berliner):
    berliner.date_joined = datetime(2026, 3, 30, 6, tzinfo=UTC)
    berliner.save()
    TimeEntryFactory(user=berliner, started_at=utc(2026, 3, 30, 6), ended_at=utc(2026, 3, 30, 14))
    report = overtime.overtime_report(berliner, MONDAY, SUNDAY, period="day", today=MONDAY)
    assert report["expected_hours"] == Decimal("32.00")  # the week's contract is shown
    assert report["closing_balance_hours"] == Decimal("0.00")  # but only Monday counts so far


def test_the_configured_start_cuts_the_balance(berliner, settings):
    berliner.date_joined = datetime(2026, 3, 1, 6, tzinfo=UTC)
    berliner.save()
    settings.REPORTS_OVERTIME_START = date(2026, 3, 30)
    assert overtime.first_day_of(berliner) == date(2026, 3, 30)
    report = overtime.overtime_report(berliner, MONDAY, MONDAY, period="day", today=MONDAY)
    assert report["opening_balance_hours"] == 0
    assert report["closing_balance_hours"] == Decimal("-8.00")


def test_unknown_period_is_a_field_error(berliner):
    with pytest.raises(overtime.ReportError) as error:
        overtime.overtime_report(berliner, MONDAY, SUNDAY, period="year")
    assert error.value.field == "group_by"


@pytest.mark.parametrize(
    ("worked_today", "closing"),
    [(0, "-8.00"), (3, "-8.00"), (8, "-8.00"), (10, "-6.00")],
)
def test_the_real_today_counts_only_as_far_as_it_is_worked(berliner, worked_today, closing):
    # Tuesday 31 March at 18:00 in Berlin: Monday (nothing worked) counts its 8 h in full; today's
    # 8 h count only as far as they are worked, so short of 8 h today is even, beyond it is ahead.
    berliner.date_joined = datetime(2026, 3, 30, 5, tzinfo=UTC)
    berliner.save()
    now = datetime(2026, 3, 31, 16, tzinfo=UTC)
    if worked_today:
        TimeEntryFactory(user=berliner, started_at=now - timedelta(hours=worked_today), ended_at=now)
    with time_machine.travel(now, tick=False):
        report = overtime.overtime_report(berliner, MONDAY, SUNDAY, period="week")
    # Read on a later day with that Tuesday as "today" (a final statement's last day): it is over, in full.
    with time_machine.travel(now + timedelta(days=1), tick=False):
        later = overtime.overtime_report(berliner, MONDAY, date(2026, 3, 31), period="day", today=date(2026, 3, 31))
    assert report["closing_balance_hours"] == Decimal(closing)
    assert report["rows"][0]["expected_hours"] == 32  # the week's expected figure itself is unchanged
    assert later["closing_balance_hours"] == Decimal(worked_today - 16)
