"""A real company's first run (`manage.py setup`): the first HR account and a starter set of
leave types with allowances, no demo data.

There is no company model: the company's name and defaults are recorded in the audit trail
(action `company.setup`) and applied to the HR account, whose country, region, time zone and
contract become the defaults HR copies when adding people. Idempotent: what exists already (a
leave type by its code, the HR account by its username) is kept untouched and reported as kept.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import holidays
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User, validate_timezone, validate_working_weekdays
from accounts.services import audit_record
from leave.models import AccrualMethod, AllowancePolicy, LeaveType, LeaveUnit
from leave.services.common import LeaveConflict, LeaveError

DEFAULT_VACATION_DAYS = Decimal("30")
MAX_WEEKLY_HOURS = Decimal("80")

# code, name, colour, options: the same starter types as the demo (leave/demo.py), so a company
# that tried the demo finds the same codes. HR changes them in the admin afterwards.
STARTER_TYPES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("vacation", "Vacation", "#1e88e5", {}),
    (
        "sick",
        "Sick leave",
        "#e53935",
        {"deducts_allowance": False, "requires_approval": False, "attachment_required_after_days": 3},
    ),
    ("unpaid", "Unpaid leave", "#757575", {"paid": False, "deducts_allowance": False}),
    # Credited from the timesheet by HR (ledger adjustments), so no yearly allowance policy.
    ("overtime", "Overtime compensation", "#8e24aa", {"unit": LeaveUnit.HOURS}),
]


@dataclass
class SetupResult:
    hr_user: User
    created: list[str] = field(default_factory=list)  # "user hr", "leave type vacation", ...
    kept: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created)


def _messages(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def _clean_inputs(
    *,
    company_name: str,
    country: str,
    subdivision: str,
    time_zone: str,
    working_weekdays: str,
    weekly_hours: Decimal | str | int | float,
    hr_username: str,
    hr_email: str,
    vacation_days: Decimal | str | int,
) -> dict[str, Any]:
    """Every input checked before anything is written; the first refusal names its field."""

    company_name = (company_name or "").strip()
    if not company_name:
        raise LeaveError(gettext("The company name is required."), field="company_name")
    if len(company_name) > 200:
        raise LeaveError(gettext("The company name is at most 200 characters."), field="company_name")

    country = (country or "").strip().upper()
    supported = holidays.list_supported_countries()
    if not country:
        raise LeaveError(gettext("The country is required (an ISO 3166 code such as DE)."), field="country")
    if country not in supported:
        raise LeaveError(
            gettext("{country} is not a supported ISO 3166 country code for public holidays (e.g. DE, AT, US).").format(
                country=repr(country)
            ),
            field="country",
        )

    subdivision = (subdivision or "").strip().upper()
    if subdivision and subdivision not in supported[country]:
        known = ", ".join(supported[country][:12]) or "none"
        more = "..." if len(supported[country]) > 12 else ""
        raise LeaveError(
            gettext("{subdivision} is not a subdivision of {country} (known: {known}{more}).").format(
                subdivision=repr(subdivision), country=country, known=known, more=more
            ),
            field="subdivision",
        )

    time_zone = (time_zone or "").strip()
    try:
        validate_timezone(time_zone)
    except ValidationError as error:
        raise LeaveError(_messages(error), field="time_zone") from error

    working_weekdays = str(working_weekdays or "").strip()
    if not working_weekdays:
        raise LeaveError(
            gettext("The working weekdays are required, e.g. 12345 for Monday to Friday."), field="working_weekdays"
        )
    try:
        validate_working_weekdays(working_weekdays)
    except ValidationError as error:
        raise LeaveError(_messages(error), field="working_weekdays") from error
    working_weekdays = "".join(sorted(working_weekdays))

    try:
        hours = Decimal(str(weekly_hours).strip())
    except (InvalidOperation, ValueError) as error:
        raise LeaveError(
            gettext("{weekly_hours} is not a number of weekly hours.").format(weekly_hours=repr(weekly_hours)),
            field="weekly_hours",
        ) from error
    if not hours.is_finite() or not Decimal("0") <= hours <= MAX_WEEKLY_HOURS:
        raise LeaveError(
            gettext("Weekly hours must be between 0 and {MAX_WEEKLY_HOURS}.").format(MAX_WEEKLY_HOURS=MAX_WEEKLY_HOURS),
            field="weekly_hours",
        )
    if hours != hours.quantize(Decimal("0.01")):
        raise LeaveError(gettext("Weekly hours have at most two decimals."), field="weekly_hours")

    try:
        days = Decimal(str(vacation_days).strip())
    except (InvalidOperation, ValueError) as error:
        raise LeaveError(
            gettext("{vacation_days} is not a number of days.").format(vacation_days=repr(vacation_days)),
            field="vacation_days",
        ) from error
    if not days.is_finite() or not Decimal("0") <= days <= Decimal("366"):
        raise LeaveError(gettext("Vacation days per year must be between 0 and 366."), field="vacation_days")
    if days * 2 != (days * 2).to_integral():
        raise LeaveError(gettext("Vacation days per year are whole or half days."), field="vacation_days")

    hr_username = (hr_username or "").strip()
    if not hr_username:
        raise LeaveError(gettext("The HR account's username is required."), field="hr_username")
    try:
        User.username_validator(hr_username)
    except ValidationError as error:
        raise LeaveError(_messages(error), field="hr_username") from error
    if len(hr_username) > 150:
        raise LeaveError(gettext("The username is at most 150 characters."), field="hr_username")

    hr_email = (hr_email or "").strip()
    if not hr_email:
        raise LeaveError(gettext("The HR account's e-mail address is required."), field="hr_email")
    try:
        validate_email(hr_email)
    except ValidationError as error:
        raise LeaveError(
            gettext("{hr_email} is not a valid e-mail address.").format(hr_email=repr(hr_email)), field="hr_email"
        ) from error

    return {
        "company_name": company_name,
        "country": country,
        "subdivision": subdivision,
        "time_zone": time_zone,
        "working_weekdays": working_weekdays,
        "weekly_hours": hours.quantize(Decimal("0.01")),
        "hr_username": hr_username,
        "hr_email": hr_email,
        "vacation_days": days,
    }


def _hr_account(data: dict[str, Any], hr_password: str | None, *, created: list[str], kept: list[str]) -> User:
    hr_group, _ = Group.objects.get_or_create(name=settings.HR_GROUP_NAME)
    existing = User.objects.filter(username__iexact=data["hr_username"]).first()
    if existing is not None:
        # Re-running set-up with the same HR account: kept as it is (password untouched);
        # any other existing account is refused, never promoted to HR by a set-up script.
        if not existing.is_hr:
            raise LeaveConflict(
                gettext("A user {username} already exists and is not HR; choose another HR username.").format(
                    username=repr(existing.username)
                ),
                field="hr_username",
            )
        kept.append(f"user {existing.username} (HR; password unchanged)")
        return existing

    if User.objects.filter(email__iexact=data["hr_email"]).exists():
        raise LeaveConflict(
            gettext("Another user already has the e-mail address {value}.").format(value=repr(data["hr_email"])),
            field="hr_email",
        )
    user = User(
        username=data["hr_username"],
        email=data["hr_email"],
        is_staff=True,
        country=data["country"],
        subdivision=data["subdivision"],
        timezone=data["time_zone"],
        weekly_hours=data["weekly_hours"],
        working_weekdays=data["working_weekdays"],
    )
    if not hr_password:
        raise LeaveError(gettext("The HR account's password is required."), field="hr_password")
    try:
        validate_password(hr_password, user=user)
    except ValidationError as error:
        raise LeaveError(_messages(error), field="hr_password") from error
    user.set_password(hr_password)
    try:
        user.full_clean()
    except ValidationError as error:
        field_name, messages = next(iter(error.message_dict.items()))
        raise LeaveError(" ".join(messages), field=f"hr_{field_name}") from error
    user.save()
    user.groups.add(hr_group)
    created.append(f"user {user.username} (HR, staff)")
    return user


def _starter_types(vacation_days: Decimal, *, created: list[str], kept: list[str]) -> None:
    codes = [code for code, *_ in STARTER_TYPES]
    existing = set(LeaveType.objects.filter(code__in=codes).values_list("code", flat=True))
    for code, name, color, options in STARTER_TYPES:
        if code in existing:
            # HR's type with this code (maybe changed since the last run): left exactly as it is.
            kept.append(f"leave type {code}")
            continue
        leave_type = LeaveType(code=code, name=name, color=color, **options)
        leave_type.full_clean()
        leave_type.save()
        created.append(f"leave type {code}")
        if code == "vacation":
            policy = AllowancePolicy(
                leave_type=leave_type,
                yearly_amount=vacation_days,
                accrual=AccrualMethod.YEARLY,
                carry_over_cap=Decimal("5"),
                carry_over_expiry_month=3,
                carry_over_expiry_day=31,
            )
            policy.full_clean()
            policy.save()
            created.append(f"allowance policy vacation ({vacation_days:f} days a year, 5 carried until 31 March)")


def company_setup(
    *,
    company_name: str,
    country: str,
    subdivision: str = "",
    time_zone: str,
    working_weekdays: str = "12345",
    weekly_hours: Decimal | str | int | float = Decimal("40"),
    hr_username: str,
    hr_email: str,
    hr_password: str | None,
    leave_types: bool = True,
    vacation_days: Decimal | str | int = DEFAULT_VACATION_DAYS,
) -> SetupResult:
    """Set up a company on an empty (or partly set-up) database, in one transaction: refuses bad
    input with `LeaveError(field=...)` (and an HR username taken by a non-HR user with
    `LeaveConflict`) before anything is written; creates what is missing, keeps what exists."""

    data = _clean_inputs(
        company_name=company_name,
        country=country,
        subdivision=subdivision,
        time_zone=time_zone,
        working_weekdays=working_weekdays,
        weekly_hours=weekly_hours,
        hr_username=hr_username,
        hr_email=hr_email,
        vacation_days=vacation_days,
    )
    with transaction.atomic():
        created: list[str] = []
        kept: list[str] = []
        hr_user = _hr_account(data, hr_password, created=created, kept=kept)
        result = SetupResult(hr_user=hr_user, created=created, kept=kept)
        if leave_types:
            _starter_types(data["vacation_days"], created=created, kept=kept)
        if result.created:
            # The company's name and defaults have no model of their own: the audit trail keeps
            # them (the latest `company.setup` event), and the HR account carries the defaults.
            audit_record(
                actor=result.hr_user,
                action="company.setup",
                object_type="company",
                changes={
                    "company_name": data["company_name"],
                    "country": data["country"],
                    "subdivision": data["subdivision"],
                    "time_zone": data["time_zone"],
                    "working_weekdays": data["working_weekdays"],
                    "weekly_hours": data["weekly_hours"],
                    "hr_username": result.hr_user.username,
                    "created": result.created,
                },
            )
    return result
