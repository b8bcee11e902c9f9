"""`manage.py setup` and `company_setup`: a real company's first run, idempotent, refusing bad input."""

import io
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import AuditEvent, User
from leave.management.commands import setup as setup_command
from leave.models import AllowancePolicy, LeaveType, LeaveUnit
from leave.services import LeaveConflict, LeaveError, company_setup

PASSWORD = "Corr3ct-horse-battery"
FLAGS = {
    "company_name": "Acme GmbH",
    "country": "DE",
    "subdivision": "BY",
    "time_zone": "Europe/Berlin",
    "working_weekdays": "1234",
    "weekly_hours": "32",
    "hr_username": "hanna",
    "hr_email": "hanna@acme.example",
}


def args(**overrides):
    values = {**FLAGS, "hr_password": PASSWORD, **overrides}
    argv = ["--noinput"]
    for key, value in values.items():
        if value is not None:
            argv.append(f"--{key.replace('_', '-')}={value}")
    return argv


def run(*argv, **options):
    out = io.StringIO()
    call_command("setup", *argv, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def snapshot():
    """Everything set-up may write, as comparable values."""
    return {
        "users": list(User.objects.order_by("pk").values()),
        "groups": list(Group.objects.order_by("pk").values_list("name", flat=True)),
        "memberships": list(User.groups.through.objects.order_by("pk").values_list("user_id", "group_id")),
        "types": list(LeaveType.objects.order_by("pk").values()),
        "policies": list(AllowancePolicy.objects.order_by("pk").values()),
        "audit": AuditEvent.objects.count(),
    }


@pytest.fixture
def no_tty(monkeypatch):
    monkeypatch.setattr(setup_command, "stdin_is_tty", lambda: False)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_tty")]


def test_empty_database_gets_exactly_the_hr_user_and_four_types():
    out = run(*args())

    user = User.objects.get()
    assert user.username == "hanna"
    assert user.email == "hanna@acme.example"
    assert user.check_password(PASSWORD)
    assert user.is_staff and not user.is_superuser and user.is_active
    assert user.is_hr
    assert user.groups.filter(name=settings.HR_GROUP_NAME).exists()
    assert (user.country, user.subdivision, user.timezone) == ("DE", "BY", "Europe/Berlin")
    assert (user.weekly_hours, user.working_weekdays) == (Decimal("32.00"), "1234")

    types = {leave_type.code: leave_type for leave_type in LeaveType.objects.all()}
    assert set(types) == {"vacation", "sick", "unpaid", "overtime"}
    vacation, sick, unpaid, overtime = (types[code] for code in ("vacation", "sick", "unpaid", "overtime"))
    assert vacation.deducts_allowance and vacation.requires_approval and vacation.paid
    assert not sick.requires_approval and not sick.deducts_allowance and sick.attachment_required_after_days == 3
    assert not unpaid.paid and not unpaid.deducts_allowance
    assert overtime.unit == LeaveUnit.HOURS
    policy = AllowancePolicy.objects.get()
    assert policy.leave_type == vacation
    assert policy.yearly_amount == Decimal("30")
    assert policy.carry_over_cap == Decimal("5")
    assert (policy.carry_over_expiry_month, policy.carry_over_expiry_day) == (3, 31)

    event = AuditEvent.objects.get(action="company.setup")
    assert event.changes["company_name"] == "Acme GmbH"
    assert event.changes["country"] == "DE"
    assert event.actor == user
    assert "created user hanna" in out
    assert "created leave type overtime" in out


def test_second_run_changes_nothing():
    run(*args())
    before = snapshot()

    out = run(*args())

    assert snapshot() == before
    assert "created" not in out
    assert "kept    user hanna (HR; password unchanged)" in out
    assert out.count("kept    leave type") == 4
    assert "Nothing to do" in out


def test_second_run_with_another_password_leaves_the_password_alone():
    run(*args())
    run(*args(hr_password="An0ther-long-passphrase"))
    assert User.objects.get().check_password(PASSWORD)


def test_existing_leave_type_with_the_same_code_is_kept_untouched():
    LeaveType.objects.create(code="vacation", name="Urlaub", color="#000000", requires_approval=False)
    before = list(LeaveType.objects.filter(code="vacation").values())

    out = run(*args())

    assert list(LeaveType.objects.filter(code="vacation").values()) == before
    assert not AllowancePolicy.objects.exists()  # HR's own type: no policy added behind their back
    assert "kept    leave type vacation" in out
    assert LeaveType.objects.count() == 4


def test_vacation_days_argument_sets_the_yearly_amount():
    run(*args(vacation_days="25.5"))
    assert AllowancePolicy.objects.get().yearly_amount == Decimal("25.5")


def test_no_leave_types_creates_only_the_hr_account():
    run(*args(), "--no-leave-types")
    assert User.objects.count() == 1
    assert not LeaveType.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "flag"),
    [
        ({"country": "XX"}, "--country"),
        ({"subdivision": "ZZ"}, "--subdivision"),
        ({"time_zone": "Mars/Base"}, "--time-zone"),
        ({"working_weekdays": "8"}, "--working-weekdays"),
        ({"working_weekdays": "1123"}, "--working-weekdays"),
        ({"weekly_hours": "90"}, "--weekly-hours"),
        ({"weekly_hours": "-1"}, "--weekly-hours"),
        ({"weekly_hours": "lots"}, "--weekly-hours"),
        ({"hr_password": "hanna"}, "--hr-password"),
        ({"hr_password": "12345678"}, "--hr-password"),
        ({"hr_email": "not-an-address"}, "--hr-email"),
        ({"hr_username": "bad name!"}, "--hr-username"),
        ({"company_name": "   "}, "--company-name"),
        ({"vacation_days": "400"}, "--vacation-days"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(overrides, flag):
    with pytest.raises(CommandError, match=f"^{flag}: .*Nothing was written"):
        run(*args(**overrides))
    assert not User.objects.exists()
    assert not LeaveType.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("missing", ["company_name", "country", "time_zone", "hr_username", "hr_email", "hr_password"])
def test_missing_required_flag_with_noinput_is_refused(missing, monkeypatch):
    monkeypatch.delenv("SETUP_HR_PASSWORD", raising=False)
    with pytest.raises(CommandError, match=f"--{missing.replace('_', '-')}"):
        run(*args(**{missing: None}))
    assert not User.objects.exists()
    assert not LeaveType.objects.exists()


def test_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("SETUP_HR_PASSWORD", PASSWORD)
    run(*args(hr_password=None))
    assert User.objects.get().check_password(PASSWORD)


def test_file_with_the_same_keys(tmp_path):
    path = tmp_path / "setup.json"
    path.write_text(json.dumps({**FLAGS, "hr_password": PASSWORD, "leave_types": True, "vacation_days": 28}))

    run("--noinput", f"--file={path}")

    assert User.objects.get().username == "hanna"
    assert AllowancePolicy.objects.get().yearly_amount == Decimal("28")


def test_flags_win_over_the_file(tmp_path):
    path = tmp_path / "setup.json"
    path.write_text(json.dumps({**FLAGS, "hr_password": PASSWORD}))
    run("--noinput", f"--file={path}", "--time-zone=Europe/Vienna", "--country=AT", "--subdivision=9")
    user = User.objects.get()
    assert (user.country, user.subdivision, user.timezone) == ("AT", "9", "Europe/Vienna")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "JSON object"),
        ('{"company": "Acme"}', "unknown key"),
        ('{"leave_types": "yes"}', "leave_types must be true or false"),
        ('{"country": ["DE"]}', "country must be a string"),
    ],
)
def test_bad_file_is_refused_and_nothing_written(tmp_path, content, message):
    path = tmp_path / "setup.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=f"--file: .*{message}"):
        run("--noinput", f"--file={path}")
    assert not User.objects.exists()
    assert not LeaveType.objects.exists()


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="--file: cannot read"):
        run("--noinput", f"--file={tmp_path / 'nope.json'}")


def test_username_of_a_non_hr_user_is_refused(employee):
    before = snapshot()
    with pytest.raises(CommandError, match=r"^--hr-username: .*not HR"):
        run(*args(hr_username=employee.username))
    assert snapshot() == before


def test_existing_hr_user_with_that_username_is_kept(hr):
    before = list(User.objects.filter(pk=hr.pk).values())
    out = run(*args(hr_username=hr.username, hr_email="other@acme.example"))
    assert list(User.objects.filter(pk=hr.pk).values()) == before
    assert f"kept    user {hr.username}" in out
    assert LeaveType.objects.count() == 4


def test_e_mail_of_another_user_is_refused(employee):
    before = snapshot()
    with pytest.raises(CommandError, match=r"^--hr-email: .*already has"):
        run(*args(hr_email=employee.email.upper()))
    assert snapshot() == before


def test_a_failure_after_the_first_write_rolls_everything_back(monkeypatch):
    from leave.services import setup as setup_service

    def boom(*_args, **_kwargs):
        raise LeaveError("simulated failure", field="leave_types")

    monkeypatch.setattr(setup_service, "_starter_types", boom)
    with pytest.raises(LeaveError):
        company_setup(**FLAGS, hr_password=PASSWORD)
    assert not User.objects.exists()
    assert not User.groups.through.objects.exists()
    assert not AuditEvent.objects.exists()


def test_service_errors_are_field_keyed():
    with pytest.raises(LeaveError) as caught:
        company_setup(**{**FLAGS, "country": "XX"}, hr_password=PASSWORD)
    assert caught.value.as_dict()["country"]
    assert caught.value.kind == "invalid"


def test_service_conflict_for_a_non_hr_username(employee):
    with pytest.raises(LeaveConflict) as caught:
        company_setup(**{**FLAGS, "hr_username": employee.username}, hr_password=PASSWORD)
    assert caught.value.kind == "conflict"
    assert caught.value.field == "hr_username"


def test_interactive_prompts_for_what_is_missing(monkeypatch):
    monkeypatch.setattr(setup_command, "stdin_is_tty", lambda: True)
    monkeypatch.delenv("SETUP_HR_PASSWORD", raising=False)
    answers = iter(["Acme GmbH", "de", "", "Europe/Berlin", "", "", "hanna", "hanna@acme.example"])
    prompts = []

    def fake_input(prompt):
        prompts.append(prompt)
        return next(answers)

    passwords = iter(["", PASSWORD, "typo", PASSWORD, PASSWORD])  # empty, mismatch, then right
    monkeypatch.setattr("builtins.input", fake_input)
    monkeypatch.setattr(setup_command.getpass, "getpass", lambda prompt: next(passwords))

    out = run()

    assert len(prompts) == 8
    assert prompts[4].startswith("Working weekdays") and "[12345]" in prompts[4]
    user = User.objects.get()
    assert (user.username, user.country, user.subdivision) == ("hanna", "DE", "")
    assert (user.working_weekdays, user.weekly_hours) == ("12345", Decimal("40.00"))
    assert user.check_password(PASSWORD)
    assert LeaveType.objects.count() == 4
    assert "created user hanna" in out


def test_interactive_asks_only_for_what_flags_do_not_give(monkeypatch):
    monkeypatch.setattr(setup_command, "stdin_is_tty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail(f"asked {prompt!r}"))
    monkeypatch.setattr(setup_command.getpass, "getpass", lambda prompt: PASSWORD)
    argv = [arg for arg in args(hr_password=None) if arg != "--noinput"]
    run(*argv)
    assert User.objects.get().check_password(PASSWORD)


def test_noinput_never_prompts_even_on_a_terminal(monkeypatch):
    monkeypatch.setattr(setup_command, "stdin_is_tty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("prompted"))
    with pytest.raises(CommandError, match="--company-name is required"):
        run("--noinput")


def test_interactive_asks_again_after_a_refused_answer(monkeypatch):
    monkeypatch.setattr(setup_command, "stdin_is_tty", lambda: True)
    monkeypatch.delenv("SETUP_HR_PASSWORD", raising=False)
    answers = iter(["Acme GmbH", "XX", "", "Europe/Berlin", "", "", "hanna", "hanna@acme.example", "AT"])
    prompts = []

    def fake_input(prompt):
        prompts.append(prompt)
        return next(answers)

    passwords = iter(["hanna", "hanna", PASSWORD, PASSWORD])  # too weak (too short, like the username), then fine
    monkeypatch.setattr("builtins.input", fake_input)
    monkeypatch.setattr(setup_command.getpass, "getpass", lambda prompt: next(passwords))
    err = io.StringIO()
    call_command("setup", stdout=io.StringIO(), stderr=err)

    assert prompts[-1].startswith("Country")
    assert "'XX' is not a supported" in err.getvalue()
    user = User.objects.get()
    assert user.country == "AT"
    assert user.check_password(PASSWORD)


def test_interactive_refused_flag_is_not_asked_again(monkeypatch):
    monkeypatch.setattr(setup_command, "stdin_is_tty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("prompted"))
    argv = [arg for arg in args(country="XX") if arg != "--noinput"]
    with pytest.raises(CommandError, match=r"^--country: "):
        run(*argv)
    assert not User.objects.exists()
