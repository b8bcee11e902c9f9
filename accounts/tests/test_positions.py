"""Positions (issue 18, item 2): the jobs people hold. Everyone signed in reads titles; HR writes
them and alone sees salaries — in no answer, audit event, admin page or log line does anyone else."""

import logging
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import AuditEvent, Position, User
from accounts.tests.factories import PositionFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("api:position-list")
SALARY = "98765.43"  # distinctive: found anywhere in an answer, it leaked


def detail(position):
    return reverse("api:position-detail", args=[position.pk])


@pytest.fixture
def developer(db):
    return PositionFactory(title="Developer", description="Writes the code.", salary=Decimal(SALARY))


# --- Reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader_name", ["employee", "manager", "outsider"])
def test_everyone_reads_titles_and_descriptions_without_the_salary(request, client_for, developer, reader_name):
    client = client_for(request.getfixturevalue(reader_name))
    listed = client.get(LIST)
    assert listed.status_code == 200
    assert listed.json()["results"] == [
        {
            "id": developer.pk,
            "title": "Developer",
            "description": "Writes the code.",
            "created_at": listed.json()["results"][0]["created_at"],
            "updated_at": listed.json()["results"][0]["updated_at"],
        }
    ]
    shown = client.get(detail(developer))
    assert shown.status_code == 200 and "salary" not in shown.json()
    assert SALARY not in listed.content.decode() + shown.content.decode()


def test_hr_sees_the_salary(client_for, hr, developer):
    client = client_for(hr)
    assert client.get(detail(developer)).json()["salary"] == SALARY
    assert client.get(LIST).json()["results"][0]["salary"] == SALARY


def test_an_anonymous_caller_reads_nothing(api_client, developer):
    assert api_client.get(LIST).status_code == 401
    assert api_client.get(detail(developer)).status_code == 401


def test_the_list_costs_the_same_queries_for_many_positions(client_for, hr, django_assert_max_num_queries):
    PositionFactory.create_batch(3)
    client = client_for(hr)
    with django_assert_max_num_queries(3) as few:
        client.get(LIST)
    PositionFactory.create_batch(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(LIST).json()["results"]) == 23


# --- HR writes ------------------------------------------------------------------------------------


def test_hr_creates_changes_and_deletes_a_position(client_for, hr):
    client = client_for(hr)
    created = client.post(LIST, {"title": "Tester", "description": "Breaks it.", "salary": "50000"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["salary"] == "50000.00"
    position = Position.objects.get(title="Tester")
    changed = client.patch(detail(position), {"salary": "52000.50", "title": "QA engineer"}, format="json")
    assert changed.status_code == 200, changed.json()
    position.refresh_from_db()
    assert (position.title, position.salary) == ("QA engineer", Decimal("52000.50"))
    assert client.patch(detail(position), {"salary": None}, format="json").json()["salary"] is None
    assert client.delete(detail(position)).status_code == 204
    assert not Position.objects.filter(pk=position.pk).exists()


@pytest.mark.parametrize("writer_name", ["employee", "manager"])
def test_nobody_but_hr_writes_positions(request, client_for, developer, writer_name):
    client = client_for(request.getfixturevalue(writer_name))
    assert client.post(LIST, {"title": "Boss", "salary": "1"}, format="json").status_code == 403
    assert client.patch(detail(developer), {"salary": "1"}, format="json").status_code == 403
    assert client.put(detail(developer), {"title": "x", "salary": "1"}, format="json").status_code == 403
    assert client.delete(detail(developer)).status_code == 403
    developer.refresh_from_db()
    assert (developer.title, developer.salary) == ("Developer", Decimal(SALARY))
    assert Position.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "developer"}, "title"),  # the same title in another case
        ({"title": "  DEVELOPER "}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 101}, "title"),
        ({"title": "Lead", "salary": "-1"}, "salary"),
        ({"title": "Lead", "salary": "lots"}, "salary"),
        ({"title": "Lead", "salary": "12345678901.00"}, "salary"),  # beyond 12 digits
        ({"title": "Lead", "salary": "NaN"}, "salary"),
        ({"title": "Lead", "description": "x" * 2001}, "description"),
        ({}, "title"),
    ],
)
def test_bad_input_is_a_400_at_its_field(client_for, hr, developer, body, field):
    response = client_for(hr).post(LIST, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert Position.objects.count() == 1


def test_a_position_someone_holds_cannot_be_deleted(client_for, hr, employee, developer):
    employee.position = developer
    employee.save(update_fields=["position"])
    response = client_for(hr).delete(detail(developer))
    assert response.status_code == 409
    assert response.json()["code"] == "in_use"
    assert Position.objects.filter(pk=developer.pk).exists()


def test_the_audit_trail_says_a_salary_changed_never_how_much(client_for, hr, developer):
    client = client_for(hr)
    client.post(LIST, {"title": "Lead", "salary": "77777.77"}, format="json")
    client.patch(detail(developer), {"salary": "88888.88"}, format="json")
    client.patch(detail(developer), {"description": "Reviews too."}, format="json")
    events = AuditEvent.objects.filter(action__startswith="accounts.position_").order_by("id")
    assert [event.action for event in events] == [
        "accounts.position_created",
        "accounts.position_updated",
        "accounts.position_updated",
    ]
    assert events[0].changes["salary"] == [None, "[changed]"]
    assert events[1].changes == {"salary": ["[changed]", "[changed]"]}
    assert events[2].changes == {"description": ["Writes the code.", "Reviews too."]}
    trail = str(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert "77777" not in trail and "88888" not in trail and "98765" not in trail
    # HR reading the trail through the API finds no amount either.
    assert "88888" not in client.get(reverse("api:audit-event-list")).content.decode()


def test_no_log_line_carries_a_salary(client_for, hr, employee, developer, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_for(hr)
    client.post(LIST, {"title": "Lead", "salary": "77777.77"}, format="json")
    client.patch(detail(developer), {"salary": "88888.88"}, format="json")
    client.post(LIST, {"title": "Bad", "salary": "-66666"}, format="json")  # a refused one too
    client_for(employee).get(detail(developer))
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert "77777" not in logged and "88888" not in logged and "66666" not in logged


# --- On the user ----------------------------------------------------------------------------------


def test_hr_gives_someone_a_position_and_everyone_who_sees_them_reads_its_id(
    client_for, hr, employee, manager, developer
):
    url = reverse("api:user-detail", args=[employee.pk])
    response = client_for(hr).patch(url, {"position": developer.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["position"] == developer.pk
    employee.refresh_from_db()
    assert employee.position == developer
    event = AuditEvent.objects.filter(action="accounts.user_updated").latest("id")
    assert event.changes == {"position": [None, developer.pk]}
    for reader, path in ((employee, reverse("api:user-me")), (manager, url)):
        answer = client_for(reader).get(path)
        assert answer.json()["position"] == developer.pk
        assert SALARY not in answer.content.decode()
    assert client_for(hr).patch(url, {"position": None}, format="json").json()["position"] is None


@pytest.mark.parametrize("value", [999999, "Developer", 1.5, [1]])
def test_a_position_that_is_not_one_is_a_400(client_for, hr, employee, developer, value):
    response = client_for(hr).patch(reverse("api:user-detail", args=[employee.pk]), {"position": value}, format="json")
    assert response.status_code == 400 and "position" in response.json()
    employee.refresh_from_db()
    assert employee.position is None


def test_nobody_gives_themself_a_position(client_for, employee, manager, developer):
    me = client_for(employee).patch(reverse("api:user-me"), {"position": developer.pk}, format="json")
    assert me.status_code == 200  # `position` is read-only on one's own profile: ignored
    response = client_for(manager).patch(
        reverse("api:user-detail", args=[employee.pk]), {"position": developer.pk}, format="json"
    )
    assert response.status_code == 403
    employee.refresh_from_db()
    assert employee.position is None


def test_the_service_refuses_deleting_a_held_position_whoever_calls_it(employee, developer):
    employee.position = developer
    employee.save(update_fields=["position"])
    with pytest.raises(services.PositionConflict):
        services.position_delete(actor=None, position=developer)


# --- People import ----------------------------------------------------------------------------------

IMPORT = reverse("api:user-import-people")


def test_the_import_sets_a_position_by_its_title_in_any_case(client_for, hr, developer):
    content = "email,position\nnew@acme.example,developer\nnone@acme.example,\n"
    response = client_for(hr).post(IMPORT, {"content": content, "dry_run": False}, format="json")
    assert response.status_code == 200, response.json()
    assert User.objects.get(email="new@acme.example").position == developer
    assert User.objects.get(email="none@acme.example").position is None
    assert response.json()["people"][0]["changes"]["position"] == [None, "Developer"]
    assert SALARY not in response.content.decode()


def test_the_import_refuses_an_unknown_position_at_its_line(client_for, hr, developer):
    content = "email,position\nok@acme.example,Developer\nbad@acme.example,Astronaut\n"
    response = client_for(hr).post(IMPORT, {"content": content, "dry_run": False}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"line": 3, "field": "position", "message": "No position is titled 'Astronaut'."}
    ]
    assert not User.objects.filter(email__endswith="@acme.example").exists()


def test_a_reimport_without_the_column_keeps_the_position(client_for, hr, developer):
    person = UserFactory(email="kept@acme.example", position=developer)
    response = client_for(hr).post(
        IMPORT, {"content": "email,first_name\nkept@acme.example,Kim\n", "dry_run": False}, format="json"
    )
    assert response.status_code == 200, response.json()
    person.refresh_from_db()
    assert person.position == developer


# --- Admin and pages ------------------------------------------------------------------------------


def test_hr_manages_positions_in_the_admin_with_the_salary(client, hr, developer):
    client.force_login(hr)
    page = client.get(reverse("admin:accounts_position_changelist"))
    assert page.status_code == 200 and "98765" in page.content.decode()
    response = client.post(
        reverse("admin:accounts_position_add"), {"title": "Designer", "description": "", "salary": "61000"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Position.objects.get(title="Designer").salary == Decimal("61000")
    assert AuditEvent.objects.filter(action="accounts.position_created").exists()
    duplicate = client.post(reverse("admin:accounts_position_add"), {"title": "DESIGNER", "salary": ""})
    assert duplicate.status_code == 200 and "exists already" in duplicate.content.decode()


def test_a_manager_sees_no_position_or_salary_in_the_admin(client, manager, developer):
    manager.is_staff = True  # managers use the admin (for their reports' leave)
    manager.save(update_fields=["is_staff"])
    client.force_login(manager)
    for url in (
        reverse("admin:accounts_position_changelist"),
        reverse("admin:accounts_position_change", args=[developer.pk]),
        reverse("admin:accounts_position_add"),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert "98765" not in response.content.decode()


def test_hr_chooses_the_position_on_the_person_page(client, hr, employee, developer):
    client.force_login(hr)
    page = client.get(reverse("accounts:person", args=[employee.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="position"' in html and "Developer" in html and "98765" not in html
