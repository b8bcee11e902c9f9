"""The first-run page (/setup/): `manage.py setup` in a browser for the first superuser of an empty
database, then never again; everyone else gets a 404. And `manage.py setup` keeps an existing HR
account without asking for its password."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import HRFactory, UserFactory
from leave.management.commands import setup as setup_command
from leave.models import AllowancePolicy, LeaveType
from leave.tests.factories import LeaveTypeFactory

pytestmark = pytest.mark.django_db

PASSWORD = "first-run-hr-passphrase-26"
SETUP_URL = "/setup/"


def answers(**overrides):
    data = {
        "company_name": "Acme GmbH",
        "country": "DE",
        "subdivision": "BY",
        "time_zone": "Europe/Berlin",
        "working_weekdays": ["1", "2", "3", "4", "5"],
        "weekly_hours": "40",
        "vacation_days": "28",
        "leave_types": "on",
        "hr_username": "hanna",
        "hr_email": "hanna@acme.example",
        "hr_password": PASSWORD,
        "hr_password_again": PASSWORD,
    }
    data.update(overrides)
    return data


@pytest.fixture
def root(client):
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


def test_the_dashboard_sends_the_first_superuser_to_the_first_run_page(client, root):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == SETUP_URL
    html = client.get(SETUP_URL).content.decode()
    assert 'for="id_company_name"' in html and 'for="id_hr_password"' in html and 'value="root"' in html


def test_setting_up_creates_the_hr_account_and_the_leave_types_then_the_page_is_gone(client, root):
    response = client.post(SETUP_URL, answers())
    assert response.status_code == 302 and response.headers["Location"] == reverse("accounts:people")
    hanna = User.objects.get(username="hanna")
    assert hanna.is_hr and hanna.is_staff and hanna.check_password(PASSWORD) and hanna.country == "DE"
    assert set(LeaveType.objects.values_list("code", flat=True)) == {"vacation", "sick", "unpaid", "overtime"}
    assert AllowancePolicy.objects.get(leave_type__code="vacation").yearly_amount == 28
    assert "Acme GmbH is set up" in client.get(response.headers["Location"]).content.decode()
    assert client.get(SETUP_URL).status_code == 404
    assert client.post(SETUP_URL, answers(hr_username="other", hr_email="o@acme.example")).status_code == 404
    assert client.get("/").status_code == 200  # the dashboard again
    assert not User.objects.filter(username="other").exists()


def test_the_superuser_may_be_the_hr_account_keeping_their_password(client, root):
    response = client.post(
        SETUP_URL, answers(hr_username="root", hr_email=root.email, hr_password="", hr_password_again="")
    )
    assert response.status_code == 302
    root.refresh_from_db()
    assert root.has_usable_password() and LeaveType.objects.count() == 4
    assert client.get("/").status_code == 200  # still signed in


def test_bad_answers_are_refused_at_their_field_and_nothing_is_written(client, root):
    cases = [
        ({"country": "XX"}, "country"),
        ({"subdivision": "ZZ"}, "subdivision"),
        ({"hr_email": "not-an-address"}, "hr_email"),
        ({"hr_password": "short", "hr_password_again": "short"}, "hr_password"),
        ({"hr_password_again": "something-else"}, "hr_password_again"),
        ({"hr_password": "", "hr_password_again": ""}, "hr_password"),
        ({"weekly_hours": "81"}, "weekly_hours"),
        ({"working_weekdays": []}, "working_weekdays"),
        ({"company_name": ""}, "company_name"),
        ({"hr_username": "bad name!"}, "hr_username"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ]
    for overrides, field in cases:
        response = client.post(SETUP_URL, answers(**overrides))
        assert response.status_code == 400, overrides
        assert field in response.context["form"].errors, (overrides, response.context["form"].errors)
        assert f'id="id_{field}_error"' in response.content.decode()
    assert not LeaveType.objects.exists() and not User.objects.filter(username="hanna").exists()


def test_a_non_hr_user_s_username_is_refused(client, root):
    UserFactory(username="bob")
    response = client.post(SETUP_URL, answers(hr_username="bob"))
    assert response.status_code == 400 and "not HR" in str(response.context["form"].errors["hr_username"])


@pytest.mark.parametrize("who", ["employee", "staff", "hr"])
def test_nobody_but_a_superuser_sees_it(client, who):
    user = {
        "employee": lambda: UserFactory(),
        "staff": lambda: UserFactory(is_staff=True),
        "hr": lambda: HRFactory(),
    }[who]()
    client.force_login(user)
    assert client.get(SETUP_URL).status_code == 404
    assert client.post(SETUP_URL, answers()).status_code == 404
    assert client.get("/").status_code == 200
    assert not LeaveType.objects.exists()


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(SETUP_URL)
    assert response.status_code == 302 and response.headers["Location"].startswith(reverse("accounts:login"))


def test_a_database_with_leave_types_or_hr_is_set_up(client, root):
    LeaveTypeFactory()
    assert client.get(SETUP_URL).status_code == 404 and client.get("/").status_code == 200
    LeaveType.objects.all().delete()
    HRFactory()
    assert client.get(SETUP_URL).status_code == 404


def test_setup_does_not_ask_the_password_of_an_existing_hr_account(monkeypatch):
    hr = HRFactory(username="hanna", email="hanna@acme.example")
    before = hr.password
    monkeypatch.setattr(setup_command, "stdin_is_tty", lambda: True)
    monkeypatch.delenv("SETUP_HR_PASSWORD", raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail(f"asked {prompt!r}"))
    monkeypatch.setattr(setup_command.getpass, "getpass", lambda prompt: pytest.fail(f"asked {prompt!r}"))
    out = io.StringIO()
    call_command(
        "setup",
        "--company-name=Acme GmbH",
        "--country=DE",
        "--subdivision=BY",
        "--working-weekdays=12345",
        "--weekly-hours=40",
        "--time-zone=Europe/Berlin",
        "--hr-username=Hanna",  # any case: the same account
        "--hr-email=hanna@acme.example",
        stdout=out,
        stderr=io.StringIO(),
    )
    hr.refresh_from_db()
    assert hr.password == before and "password unchanged" in out.getvalue()
    assert hr.groups.filter(name=settings.HR_GROUP_NAME).exists() and LeaveType.objects.count() == 4
