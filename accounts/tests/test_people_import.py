"""`POST users/import/`: HR imports people from a CSV — preview, all or nothing, line-numbered
errors, re-import updates, managers in any order, cycles refused."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, User

pytestmark = pytest.mark.django_db

URL = reverse("api:user-import-people")

HEADER = "email,first_name,last_name,manager_email,country,subdivision,timezone,weekly_hours,start_date\n"


def post(client, content, dry_run=False):
    return client.post(URL, {"content": content, "dry_run": dry_run}, format="json")


def fifty_people():
    """A boss, five team leads under her, 44 people under the leads; managers listed after their
    reports on purpose."""
    lines = []
    for n in range(44):
        lines.append(
            f"person{n}@acme.example,Person,{n},lead{n % 5}@acme.example,DE,BY,Europe/Berlin,40,2027-01-0{1 + n % 9}"
        )
    for n in range(5):
        lines.append(f"lead{n}@acme.example,Lead,{n},boss@acme.example,DE,BE,Europe/Berlin,38.5,2026-02-01")
    lines.append("boss@acme.example,Bea,Boss,,AT,9,Europe/Vienna,40,2025-01-01")
    return HEADER + "\n".join(lines) + "\n"


def test_fifty_people_with_managers_in_any_order(client_for, hr):
    response = post(client_for(hr), fifty_people())
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["updated"], body["dry_run"]) == (50, 0, False)
    boss = User.objects.get(email="boss@acme.example")
    lead = User.objects.get(email="lead3@acme.example")
    person = User.objects.get(email="person8@acme.example")
    assert person.manager == lead and lead.manager == boss and boss.manager is None
    assert (lead.subdivision, str(lead.weekly_hours), boss.timezone) == ("BE", "38.50", "Europe/Vienna")
    assert timezone.localtime(person.date_joined, person.tzinfo).date() == date(2027, 1, 9)
    assert not person.has_usable_password() and person.username == "person8"
    assert AuditEvent.objects.filter(action="accounts.user_created").count() == 50
    assert AuditEvent.objects.get(action="accounts.people_imported").changes["created"] == [None, 50]


def test_the_preview_writes_nothing(client_for, hr):
    response = post(client_for(hr), fifty_people(), dry_run=True)
    assert response.status_code == 200
    assert response.json()["created"] == 50 and response.json()["dry_run"] is True
    assert not User.objects.filter(email__endswith="@acme.example").exists()
    assert not AuditEvent.objects.filter(action__startswith="accounts.user_").exists()


def test_dry_run_is_the_default(client_for, hr):
    response = client_for(hr).post(URL, {"content": fifty_people()}, format="json")
    assert response.status_code == 200 and response.json()["dry_run"] is True
    assert not User.objects.filter(email="boss@acme.example").exists()


def test_a_re_import_updates_and_never_duplicates(client_for, hr):
    client = client_for(hr)
    post(client, fifty_people())
    changed = fifty_people().replace("person3@acme.example,Person,3,lead3", "PERSON3@acme.example,Percy,3,lead1")
    response = post(client, changed)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 1, 49)
    assert User.objects.filter(email__iendswith="@acme.example").count() == 50
    percy = User.objects.get(email="person3@acme.example")
    assert percy.first_name == "Percy" and percy.manager.email == "lead1@acme.example"
    update = next(row for row in body["people"] if row["action"] == "update")
    assert update["changes"]["first_name"] == ["Person", "Percy"]
    assert all(row["changes"] == {} for row in body["people"] if row["action"] == "unchanged")


def test_an_import_may_name_managers_already_known(client_for, hr, manager):
    response = post(client_for(hr), HEADER + f"new@acme.example,New,One,{manager.email},DE,,Europe/Berlin,40,\n")
    assert response.status_code == 200, response.json()
    assert User.objects.get(email="new@acme.example").manager == manager


def test_a_manager_cycle_is_refused_and_nothing_written(client_for, hr):
    content = HEADER + (
        "a@acme.example,A,A,b@acme.example,DE,,Europe/Berlin,40,\n"
        "b@acme.example,B,B,c@acme.example,DE,,Europe/Berlin,40,\n"
        "c@acme.example,C,C,a@acme.example,DE,,Europe/Berlin,40,\n"
        "d@acme.example,D,D,a@acme.example,DE,,Europe/Berlin,40,\n"
    )
    response = post(client_for(hr), content)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(error["line"], error["field"]) for error in errors] == [
        (2, "manager_email"),
        (3, "manager_email"),
        (4, "manager_email"),
    ]
    assert response.json()["code"] == "import_refused"
    assert not User.objects.filter(email__endswith="@acme.example").exists()


def test_a_cycle_through_people_outside_the_file_is_refused(client_for, hr, manager, employee):
    # The employee reports to the manager; making the manager report to the employee loops.
    content = HEADER + f"{manager.email},M,M,{employee.email},DE,,Europe/Berlin,40,\n"
    response = post(client_for(hr), content)
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][0]["field"] == "manager_email"
    manager.refresh_from_db()
    assert manager.manager is None


def test_every_bad_line_is_reported_with_its_number(client_for, hr, employee):
    content = HEADER + (
        "ok@acme.example,Ok,Ok,,DE,,Europe/Berlin,40,\n"
        "not-an-email,X,X,,DE,,Europe/Berlin,40,\n"
        "tz@acme.example,T,Z,,DE,,Mars/Olympus,40,\n"
        "country@acme.example,C,C,,XX,,Europe/Berlin,40,\n"
        "region@acme.example,R,R,,DE,ZZ,Europe/Berlin,40,\n"
        "hours@acme.example,H,H,,DE,,Europe/Berlin,90,\n"
        "date@acme.example,D,D,,DE,,Europe/Berlin,40,01/02/2027\n"
        "boss@acme.example,B,B,nobody@acme.example,DE,,Europe/Berlin,40,\n"
        "ok@acme.example,Twice,,,DE,,Europe/Berlin,40,\n"
        ",No,Mail,,DE,,Europe/Berlin,40,\n"
    )
    response = post(client_for(hr), content)
    assert response.status_code == 400, response.json()
    found = {(error["line"], error["field"]) for error in response.json()["errors"]}
    assert found == {
        (3, "email"),
        (4, "timezone"),
        (5, "country"),
        (6, "subdivision"),
        (7, "weekly_hours"),
        (8, "start_date"),
        (9, "manager_email"),
        (10, "email"),
        (11, "email"),
    }
    assert not User.objects.filter(email__endswith="@acme.example").exists()


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("", "email"),
        ("name,phone\nA,1\n", "email"),
        ("email,salary\na@acme.example,100\n", "salary"),
        ("email\n", "file"),
        ("email,first_name\na@acme.example,A,extra\n", "file"),
    ],
)
def test_a_bad_file_is_refused_clearly(client_for, hr, content, field):
    response = post(client_for(hr), content)
    assert response.status_code == 400, response.json()
    assert response.json()["errors"][0]["field"] == field


def test_a_duplicate_username_in_the_file_is_refused(client_for, hr, employee):
    content = f"email,username\nx@acme.example,{employee.username}\n"
    response = post(client_for(hr), content)
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "line": 2,
        "field": "username",
        "message": response.json()["errors"][0]["message"],
    }


@pytest.mark.parametrize("who", ["employee", "manager"])
def test_only_hr_imports_people(client_for, request, who):
    response = post(client_for(request.getfixturevalue(who)), fifty_people())
    assert response.status_code == 403
    assert not User.objects.filter(email__endswith="@acme.example").exists()


def test_the_import_costs_a_bounded_number_of_queries(client_for, hr, django_assert_max_num_queries):
    # Per person (~15): the username and e-mail uniqueness checks, the insert, the manager update,
    # the audit row and what User.save checks; nothing grows with the size of the company.
    with django_assert_max_num_queries(50 * 16 + 20):
        assert post(client_for(hr), fifty_people()).status_code == 200
