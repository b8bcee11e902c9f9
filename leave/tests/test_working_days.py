"""Working days across weekends, half days, public holidays (DE-BY, FR, GB-ENG, US-CA) and closures."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from leave.calendars import day_amounts, public_holidays, working_days
from leave.tests.factories import CompanyClosureFactory

pytestmark = pytest.mark.django_db


def person(country, subdivision="", weekdays="12345"):
    return UserFactory(country=country, subdivision=subdivision, working_weekdays=weekdays)


@pytest.mark.parametrize(
    ("country", "subdivision", "start", "end", "expected"),
    [
        # Bavaria: Epiphany (6 Jan) and Corpus Christi (4 Jun 2026) are holidays.
        ("DE", "BY", date(2026, 1, 5), date(2026, 1, 9), "4"),
        ("DE", "BY", date(2026, 6, 1), date(2026, 6, 7), "4"),
        # Berlin has neither: the same weeks are 5 days.
        ("DE", "BE", date(2026, 1, 5), date(2026, 1, 9), "5"),
        # France: 14 July (Tuesday) and Ascension (14 May).
        ("FR", "", date(2026, 7, 13), date(2026, 7, 17), "4"),
        ("FR", "", date(2026, 5, 11), date(2026, 5, 17), "4"),
        # England: Easter week, Good Friday and Easter Monday; Boxing Day observed on Mon 28 Dec.
        ("GB", "ENG", date(2026, 3, 30), date(2026, 4, 10), "8"),
        ("GB", "ENG", date(2026, 12, 21), date(2026, 12, 31), "7"),
        # California: Cesar Chavez Day (31 Mar) and Independence Day observed on Fri 3 Jul.
        ("US", "CA", date(2026, 3, 30), date(2026, 4, 3), "4"),
        ("US", "CA", date(2026, 6, 29), date(2026, 7, 5), "4"),
    ],
)
def test_public_holidays_are_not_counted(country, subdivision, start, end, expected):
    assert working_days(person(country, subdivision), start, end) == Decimal(expected)


def test_weekends_are_not_counted():
    # Friday to Monday: 2 working days.
    assert working_days(person("DE", "BY"), date(2026, 7, 10), date(2026, 7, 13)) == Decimal("2")


def test_only_the_users_working_weekdays_count():
    part_timer = person("DE", "BY", weekdays="135")  # Monday, Wednesday, Friday
    assert working_days(part_timer, date(2026, 7, 6), date(2026, 7, 12)) == Decimal("3")


def test_half_days_at_start_and_end():
    user = person("DE", "BY")
    assert working_days(user, date(2026, 7, 6), date(2026, 7, 10), "afternoon", "morning") == Decimal("4")
    assert working_days(user, date(2026, 7, 6), date(2026, 7, 6), "afternoon", "full") == Decimal("0.5")
    assert working_days(user, date(2026, 7, 6), date(2026, 7, 6), "full", "morning") == Decimal("0.5")


def test_half_day_on_a_holiday_costs_nothing():
    user = person("DE", "BY")
    assert working_days(user, date(2026, 1, 6), date(2026, 1, 6), "afternoon") == Decimal("0")


def test_closures_full_half_and_country_specific():
    CompanyClosureFactory(date=date(2026, 12, 24), name="Christmas Eve", half_day=True)
    CompanyClosureFactory(date=date(2026, 12, 31), name="New Year's Eve", country="DE")
    german, french = person("DE", "BY"), person("FR")
    # 21-31 Dec in Bavaria: 9 weekdays - 25th (Fri) holiday - 31st closure - half of the 24th = 6.5
    assert working_days(german, date(2026, 12, 21), date(2026, 12, 31)) == Decimal("6.5")
    # France: 25th holiday; 24th half closure; the 31st closure is German only = 7.5
    assert working_days(french, date(2026, 12, 21), date(2026, 12, 31)) == Decimal("7.5")


def test_day_amounts_name_the_holiday():
    days = day_amounts(person("DE", "BY"), date(2026, 1, 6), date(2026, 1, 6))
    assert days[0].amount == 0 and days[0].note == "Epiphany"


def test_public_holidays_for_an_unknown_country_is_empty():
    assert public_holidays("", "", date(2026, 1, 1), date(2026, 12, 31)) == {}
