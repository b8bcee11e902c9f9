"""HR's people pages (accounts/views_people.py): who may open them, each action, bad input."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, OutgoingEmail, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def person_data(**overrides):
    data = {
        "username": "dana",
        "email": "dana@example.com",
        "first_name": "Dana",
        "last_name": "Berg",
        "timezone": "Europe/Berlin",
        "country": "DE",
        "subdivision": "BY",
        "manager": "",
        "weekly_hours": "40",
        "working_weekdays": ["1", "2", "3", "4", "5"],
    }
    data.update(overrides)
    return data


@pytest.fixture
def hr_client(client, hr):
    client.force_login(hr)
    return client


def page_urls(person):
    return {
        "list": reverse("accounts:people"),
        "create": reverse("accounts:person_create"),
        "import": reverse("accounts:people_import"),
        "detail": reverse("accounts:person", args=[person.pk]),
        "deactivate": reverse("accounts:person_deactivate", args=[person.pk]),
    }


POST_ONLY = ["person_invite", "person_revoke_invitation", "person_reactivate"]


@pytest.mark.parametrize("role", ["employee", "manager"])
def test_no_one_but_hr_opens_the_people_pages(client, employee, manager, outsider, role):
    client.force_login({"employee": employee, "manager": manager}[role])
    urls = page_urls(outsider)
    for name in ("list", "create", "import"):
        response = client.get(urls[name])
        assert response.status_code == 403, name
        assert "Only HR manages people." in response.content.decode()
        assert 'id="main-nav"' in response.content.decode()  # inside the layout
    for name in ("detail", "deactivate"):
        assert client.get(urls[name]).status_code == 404, name
        assert client.post(urls[name], person_data()).status_code == 404, name
    for name in POST_ONLY:
        assert client.post(reverse(f"accounts:{name}", args=[outsider.pk])).status_code == 404, name
    assert client.post(urls["create"], person_data()).status_code == 403
    outsider.refresh_from_db()
    assert outsider.is_active and not User.objects.filter(username="dana").exists()


def test_anonymous_is_sent_to_log_in(client, employee):
    for url in page_urls(employee).values():
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith(reverse("accounts:login"))


def test_the_people_link_is_in_hr_s_menu_only(client, hr, manager, employee):
    client.force_login(manager)
    assert reverse("accounts:people") not in client.get("/").content.decode()
    client.force_login(hr)
    assert f'href="{reverse("accounts:people")}"' in client.get("/").content.decode()


def test_the_list_searches_filters_and_shows_the_invitation_state(hr_client, hr, django_assert_max_num_queries):
    accepted = UserFactory(first_name="Anna", last_name="Accepted", email="anna@example.com")
    invited = UserFactory(first_name="Ina", last_name="Invited", password="!", invited_at=timezone.now())
    expired = UserFactory(
        first_name="Emil", last_name="Expired", password="!", invited_at=timezone.now() - timedelta(days=30)
    )
    never = UserFactory(first_name="Nora", last_name="Never", password="!")
    gone = UserFactory(first_name="Gus", last_name="Gone", is_active=False)
    with django_assert_max_num_queries(12):
        html = hr_client.get(reverse("accounts:people")).content.decode()
    assert "Has a password" in html and "Invitation expired" in html and "Never invited" in html
    assert f"Invited {timezone.localdate(invited.invited_at):%-d %b %Y}" in html
    assert str(gone) not in html  # active people by default
    for user in (accepted, invited, expired, never):
        assert reverse("accounts:person", args=[user.pk]) in html
    html = hr_client.get(reverse("accounts:people"), {"q": "anna@EXAMPLE"}).content.decode()
    assert "Anna" in html and "Nora" not in html
    html = hr_client.get(reverse("accounts:people"), {"status": "inactive"}).content.decode()
    assert "Gus" in html and "Deactivated" in html and "Anna" not in html
    html = hr_client.get(reverse("accounts:people"), {"q": "nobody-has-this"}).content.decode()
    assert "Nobody matches" in html
    # A bad filter value is not an error page: the default list.
    assert hr_client.get(reverse("accounts:people"), {"status": "<script>", "page": "x"}).status_code == 200


def test_the_list_s_queries_do_not_grow_with_people(hr_client, django_assert_num_queries):
    UserFactory.create_batch(3)
    hr_client.get(reverse("accounts:people"))  # warm (session, etc.)
    with CaptureQueriesContext(connection) as few:
        hr_client.get(reverse("accounts:people"))
    UserFactory.create_batch(20, manager=UserFactory(), password="!", invited_at=timezone.now())
    with django_assert_num_queries(len(few.captured_queries)):
        hr_client.get(reverse("accounts:people"))


def test_hr_adds_a_person_and_invites_them(hr_client, hr):
    response = hr_client.post(reverse("accounts:person_create"), {**person_data(), "send_invitation": "on"})
    dana = User.objects.get(username="dana")
    assert response.status_code == 302 and response.headers["Location"] == reverse("accounts:person", args=[dana.pk])
    assert not dana.has_usable_password() and dana.invited_at is not None and dana.working_weekdays == "12345"
    email = OutgoingEmail.objects.get(user=dana)
    assert re.search(r"http://testserver/accounts/invitation/\S+/\S+/", email.body)
    assert AuditEvent.objects.filter(action="accounts.user_created", object_id=str(dana.pk), actor=hr).exists()
    html = hr_client.get(response.headers["Location"]).content.decode()
    assert "An invitation was e-mailed to dana@example.com" in html and "Invited " in html


def test_a_new_person_starts_with_hr_s_region_and_contract(hr_client, hr):
    hr.country, hr.subdivision, hr.timezone, hr.weekly_hours = "AT", "9", "Europe/Vienna", 38
    hr.save()
    html = hr_client.get(reverse("accounts:person_create")).content.decode()
    assert 'value="AT"' in html and '<option value="Europe/Vienna" selected>' in html


def test_bad_input_of_a_new_person_is_refused_at_the_field(hr_client, hr, employee):
    response = hr_client.post(
        reverse("accounts:person_create"),
        person_data(email=employee.email, timezone="Mars/Olympus", country="DE", subdivision="XX", working_weekdays=[]),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"email", "timezone", "working_weekdays"}
    html = response.content.decode()
    assert 'id="id_email_error"' in html and 'aria-invalid="true"' in html
    assert not User.objects.filter(username="dana").exists()
    response = hr_client.post(reverse("accounts:person_create"), person_data(weekly_hours="99", subdivision="XX"))
    assert response.status_code == 400 and {"weekly_hours", "subdivision"} <= set(response.context["form"].errors)


def test_hr_edits_a_person_and_a_manager_cycle_is_refused_at_its_field(hr_client, hr, manager, employee):
    url = reverse("accounts:person", args=[manager.pk])
    response = hr_client.post(url, person_data(username="manager", email="max@example.com", manager=employee.pk))
    assert response.status_code == 400
    assert "manager" in response.context["form"].errors
    assert "reports to" in response.content.decode()
    manager.refresh_from_db()
    assert manager.manager is None and manager.email != "max@example.com"
    response = hr_client.post(url, person_data(username="manager", email="max@example.com", weekly_hours="20"))
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.email == "max@example.com" and manager.weekly_hours == 20
    assert AuditEvent.objects.filter(action="accounts.user_updated", object_id=str(manager.pk)).exists()


def test_the_person_page_does_not_exist_for_an_unknown_id(hr_client):
    assert hr_client.get(reverse("accounts:person", args=[999999])).status_code == 404


def test_resend_and_revoke_an_invitation(hr_client, hr):
    dana = UserFactory(username="dana", password="!")
    invite = reverse("accounts:person_invite", args=[dana.pk])
    assert hr_client.post(invite).status_code == 302
    first = User.objects.get(pk=dana.pk).invited_at
    response = hr_client.post(invite, follow=True)
    assert "sent again" in response.content.decode()
    assert User.objects.get(pk=dana.pk).invited_at > first and OutgoingEmail.objects.filter(user=dana).count() == 2
    revoke = reverse("accounts:person_revoke_invitation", args=[dana.pk])
    assert hr_client.post(revoke).status_code == 302
    assert User.objects.get(pk=dana.pk).invited_at is None
    response = hr_client.post(revoke)  # nothing left to revoke: 409, told on the person's page
    assert response.status_code == 409 and "has no pending invitation" in response.content.decode()
    assert hr_client.get(invite).status_code == 405


def test_someone_with_a_password_is_not_invited(hr_client, employee):
    response = hr_client.post(reverse("accounts:person_invite", args=[employee.pk]))
    assert response.status_code == 409 and "already has a password" in response.content.decode()
    assert not OutgoingEmail.objects.filter(user=employee).exists()


def test_deactivate_asks_first_then_deactivates_and_reactivate_undoes_it(hr_client, hr, manager, employee):
    url = reverse("accounts:person_deactivate", args=[manager.pk])
    html = hr_client.get(url).content.decode()
    assert "withdraws their pending leave requests" in html and str(employee) in html  # their report is named
    manager.refresh_from_db()
    assert manager.is_active  # a GET changes nothing
    response = hr_client.post(url, follow=True)
    manager.refresh_from_db()
    assert not manager.is_active
    assert "was deactivated" in response.content.decode() and "Final statement (CSV)" in response.content.decode()
    again = hr_client.post(url)
    assert again.status_code == 409 and "already deactivated" in again.content.decode()
    response = hr_client.post(reverse("accounts:person_reactivate", args=[manager.pk]))
    assert response.status_code == 302
    manager.refresh_from_db()
    assert manager.is_active
    response = hr_client.post(reverse("accounts:person_reactivate", args=[manager.pk]))
    assert response.status_code == 409 and "already active" in response.content.decode()


def test_hr_cannot_deactivate_themself(hr_client, hr):
    url = reverse("accounts:person_deactivate", args=[hr.pk])
    assert "You cannot deactivate your own account." in hr_client.get(url).content.decode()
    response = hr_client.post(url)
    assert response.status_code == 409 and "You cannot deactivate your own account." in response.content.decode()
    hr.refresh_from_db()
    assert hr.is_active


def upload(text, name="people.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


PEOPLE = (
    "email,first_name,last_name,manager_email,start_date\n"
    "lea@example.com,Lea,Berg,boss@example.com,2026-01-05\n"
    "boss@example.com,Bea,Boss,,2025-01-01\n"
)


def test_import_previews_then_imports_on_confirm(hr_client, hr):
    url = reverse("accounts:people_import")
    response = hr_client.post(url, {"file": upload(PEOPLE)})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Preview: nothing is saved yet" in html and "lea@example.com" in html and "Import 2 people" in html
    assert not User.objects.filter(email="lea@example.com").exists()  # a dry run
    text = response.context["confirm_form"].initial["text"]
    response = hr_client.post(url, {"text": text, "confirm": "1"})
    assert response.status_code == 302
    lea = User.objects.get(email="lea@example.com")
    assert lea.manager.email == "boss@example.com" and not lea.has_usable_password()
    assert lea.start_date.isoformat() == "2026-01-05"
    html = hr_client.get(response.headers["Location"]).content.decode()
    assert "2 added, 0 updated" in html and "Never invited" in html
    # The same file again: nothing to import.
    response = hr_client.post(url, {"file": upload(PEOPLE)})
    assert "there is nothing to import" in response.content.decode()


def test_import_shows_every_refused_line_and_writes_nothing(hr_client):
    text = (
        "email,manager_email,start_date\nlea@example.com,nobody@example.com,2026-01-05\n,,\nx@example.com,,05.01.2026\n"
    )
    response = hr_client.post(reverse("accounts:people_import"), {"file": upload(text)})
    assert response.status_code == 400
    html = response.content.decode()
    assert "nothing was imported" in html
    assert re.search(r"<td class=\"numeric\">2</td><td>manager_email</td>", html)
    assert re.search(r"<td class=\"numeric\">4</td><td>start_date</td>", html)
    assert not User.objects.filter(email__in=["lea@example.com", "x@example.com"]).exists()
    # Confirming a file with problems is refused just the same (it is checked again).
    response = hr_client.post(reverse("accounts:people_import"), {"text": text, "confirm": "1"})
    assert response.status_code == 400 and not User.objects.filter(email="lea@example.com").exists()


def test_import_refuses_what_is_not_a_csv_of_people(hr_client):
    url = reverse("accounts:people_import")
    response = hr_client.post(url, {})
    assert response.status_code == 400 and "file" in response.context["form"].errors
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = hr_client.post(url, {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad")})
    assert response.status_code == 400 and "not UTF-8" in response.content.decode()
    response = hr_client.post(url, {"file": upload("name,colour\nx,y\n")})
    assert response.status_code == 400 and "email column" in response.content.decode()
    response = hr_client.post(url, {"confirm": "1"})  # the previewed text lost
    assert response.status_code == 400 and "upload it again" in response.content.decode()


def test_invite_everyone_waiting_after_an_import(hr_client, hr, employee):
    never = UserFactory(username="never", password="!")
    expired = UserFactory(username="expired", password="!", invited_at=timezone.now() - timedelta(days=30))
    pending = UserFactory(username="pending", password="!", invited_at=timezone.now())
    gone = UserFactory(username="gone", password="!", is_active=False)
    html = hr_client.get(reverse("accounts:people")).content.decode()
    assert "2 people have no password and no pending invitation." in html and "Invite all 2" in html
    response = hr_client.post(reverse("accounts:people_invite_all"), follow=True)
    assert "2 invitations sent." in response.content.decode()
    assert set(OutgoingEmail.objects.values_list("user__username", flat=True)) == {"never", "expired"}
    for user in (never, expired):
        assert User.objects.get(pk=user.pk).invited_at > timezone.now() - timedelta(minutes=1)
    assert User.objects.get(pk=pending.pk).invited_at == pending.invited_at
    assert User.objects.get(pk=gone.pk).invited_at is None
    assert "no pending invitation" not in response.content.decode()  # nobody left waiting
    response = hr_client.post(reverse("accounts:people_invite_all"), follow=True)
    assert "Nobody is waiting for an invitation." in response.content.decode()
    assert hr_client.get(reverse("accounts:people_invite_all")).status_code == 405


def test_only_hr_invites_everyone(client, manager):
    UserFactory(username="never", password="!")
    client.force_login(manager)
    assert client.post(reverse("accounts:people_invite_all")).status_code == 403
    assert not OutgoingEmail.objects.exists()
