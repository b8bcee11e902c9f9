"""Invitations (issue 22, item 3): HR e-mails a new person (no password yet) a single-use,
expiring link to choose their password, through the outbox; resending or revoking kills older
links; the state shows on users/; all audited, HR only."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, OutgoingEmail, User
from accounts.services.invitations import invitation_state
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-long-passphrase-9"


@pytest.fixture
def newcomer(db):
    user = UserFactory(username="nina", email="nina@example.com", first_name="Nina", last_name="Neu")
    user.set_unusable_password()
    user.save()
    return user


def invite_url(user):
    return reverse("api:user-invite", args=[user.pk])


def revoke_url(user):
    return reverse("api:user-revoke-invitation", args=[user.pk])


def invite(client_for, hr, user):
    return client_for(hr).post(invite_url(user), format="json")


def links():
    """The accept links of the invitation e-mails, oldest first."""
    found = []
    for email in OutgoingEmail.objects.order_by("pk"):
        match = re.search(r"https?://[^/\s]+(/accounts/invitation/[^/\s]+/[^/\s]+/)", email.body)
        assert match, email.body
        found.append(match.group(1))
    return found


def open_form(client, link):
    """GET the link; Django swaps the token out of the URL. Returns (response, set-password URL)."""
    response = client.get(link, follow=True)
    return response, (response.redirect_chain[-1][0] if response.redirect_chain else link)


def accept(client, link, password=NEW_PASSWORD, confirm=None):
    response, set_url = open_form(client, link)
    assert response.status_code == 200, response.content.decode()[:500]
    return client.post(set_url, {"new_password1": password, "new_password2": confirm or password})


def assert_dead(client, link):
    response = client.get(link, follow=True)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Ask HR to send you a new invitation" in page and '<form method="post"' not in page
    assert "<html" in page  # inside the layout


def test_sending_emails_a_link_that_works(client_for, hr, newcomer):
    response = invite(client_for, hr, newcomer)
    assert response.status_code == 200
    newcomer.refresh_from_db()
    assert response.json()["state"] == "pending" and newcomer.invited_at is not None
    (email,) = OutgoingEmail.objects.all()
    assert email.user == newcomer and "invited" in email.subject.lower()
    assert '"nina"' in email.body and "within 7 days" in email.body
    (link,) = links()
    client = Client()
    form, _ = open_form(client, link)
    page = form.content.decode()
    assert form.status_code == 200 and "choose your password" in page.lower()
    assert 'for="id_new_password1"' in page and 'for="id_new_password2"' in page
    event = AuditEvent.objects.get(action="accounts.invitation_sent", object_id=str(newcomer.pk))
    assert event.actor == hr and event.changes["resent"] == [None, False]


def test_accepting_sets_the_password_signs_in_and_the_link_is_then_dead(client_for, hr, newcomer):
    invite(client_for, hr, newcomer)
    (link,) = links()
    client = Client()
    done = accept(client, link)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/").status_code == 200  # signed in
    newcomer.refresh_from_db()
    assert newcomer.check_password(NEW_PASSWORD) and newcomer.invited_at is None
    assert invitation_state(newcomer) == "accepted"
    assert AuditEvent.objects.filter(action="accounts.invitation_accepted", object_id=str(newcomer.pk)).count() == 1
    assert_dead(Client(), link)
    # And HR cannot invite someone who has a password now.
    again = invite(client_for, hr, newcomer)
    assert again.status_code == 409 and again.json()["code"] == "has_password"


def test_resending_kills_the_old_link(client_for, hr, newcomer):
    invite(client_for, hr, newcomer)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert invite(client_for, hr, newcomer).status_code == 200
        old, new = links()
        assert_dead(Client(), old)
        assert accept(Client(), new).status_code == 302
    events = AuditEvent.objects.filter(action="accounts.invitation_sent").order_by("pk")
    assert [event.changes["resent"][1] for event in events] == [False, True]


def test_revoking_kills_the_link(client_for, hr, newcomer):
    invite(client_for, hr, newcomer)
    (link,) = links()
    response = client_for(hr).post(revoke_url(newcomer), format="json")
    assert response.status_code == 200 and response.json() == {"state": "none", "invited_at": None}
    assert_dead(Client(), link)
    assert AuditEvent.objects.filter(action="accounts.invitation_revoked", actor=hr).count() == 1
    # Nothing left to revoke.
    again = client_for(hr).post(revoke_url(newcomer), format="json")
    assert again.status_code == 409 and again.json()["code"] == "no_invitation"


def test_a_link_opened_on_time_but_submitted_after_a_revoke_is_refused(client_for, hr, newcomer):
    invite(client_for, hr, newcomer)
    (link,) = links()
    client = Client()
    _, set_url = open_form(client, link)
    client_for(hr).post(revoke_url(newcomer), format="json")
    refused = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert refused.status_code == 400 and "Ask HR" in refused.content.decode()
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()


@pytest.mark.parametrize("days", [7, 2])
def test_an_expired_link_is_refused(client_for, hr, newcomer, settings, days):
    settings.INVITATION_TIMEOUT_DAYS = days
    invite(client_for, hr, newcomer)
    (link,) = links()
    with time_machine.travel(timezone.now() + timedelta(days=days, minutes=1)):
        newcomer.refresh_from_db()
        assert invitation_state(newcomer) == "expired"
        assert_dead(Client(), link)
        assert client_for(hr).get(reverse("api:user-detail", args=[newcomer.pk])).json()["invitation"] == "expired"
    with time_machine.travel(timezone.now() + timedelta(days=days, minutes=-1)):
        assert Client().get(link, follow=True).status_code == 200  # still valid just before


def test_a_weak_or_mismatched_password_is_refused_at_the_field(client_for, hr, newcomer):
    invite(client_for, hr, newcomer)
    (link,) = links()
    client = Client()
    weak = accept(client, link, password="123")
    assert weak.status_code == 400
    assert 'id="id_new_password2_error"' in weak.content.decode()
    _, set_url = open_form(client, link)
    mismatch = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"})
    assert mismatch.status_code == 400 and 'id="id_new_password2_error"' in mismatch.content.decode()
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password() and invitation_state(newcomer) == "pending"


@pytest.mark.parametrize("link", ["/accounts/invitation/xx/yy/", "/accounts/invitation/MQ/1-abc/"])
def test_a_bad_link_is_a_clear_400(link, newcomer):
    assert_dead(Client(), link)


def test_someone_with_a_password_or_deactivated_is_a_409(client_for, hr, employee, newcomer):
    with_password = invite(client_for, hr, employee)
    assert with_password.status_code == 409 and with_password.json()["code"] == "has_password"
    User.objects.filter(pk=newcomer.pk).update(is_active=False)
    inactive = invite(client_for, hr, newcomer)
    assert inactive.status_code == 409 and inactive.json()["code"] == "inactive"
    assert not OutgoingEmail.objects.exists()
    assert not AuditEvent.objects.filter(action="accounts.invitation_sent").exists()


def test_a_deactivated_invitee_cannot_use_their_link(client_for, hr, newcomer):
    invite(client_for, hr, newcomer)
    (link,) = links()
    User.objects.filter(pk=newcomer.pk).update(is_active=False)
    assert_dead(Client(), link)


@pytest.mark.parametrize("caller", ["employee", "manager"])
def test_only_hr_invites_and_revokes(request, client_for, hr, newcomer, caller):
    newcomer.manager = request.getfixturevalue("manager")
    newcomer.save()
    client = client_for(request.getfixturevalue(caller))
    assert client.post(invite_url(newcomer), format="json").status_code == 403
    invite(client_for, hr, newcomer)
    assert client.post(revoke_url(newcomer), format="json").status_code == 403
    newcomer.refresh_from_db()
    assert invitation_state(newcomer) == "pending" and OutgoingEmail.objects.count() == 1


def test_the_state_shows_on_the_user_list_without_a_query_per_row(client_for, hr, newcomer, django_assert_num_queries):
    invite(client_for, hr, newcomer)
    for index in range(5):
        UserFactory(username=f"extra{index}")
    client = client_for(hr)
    url = reverse("api:user-list")
    client.get(url)  # warm up (content types, groups)
    with django_assert_num_queries(2):  # count + page
        rows = client.get(url).json()["results"]
    states = {row["username"]: row["invitation"] for row in rows}
    assert states["nina"] == "pending" and states["hr"] == "accepted" and states["extra0"] == "accepted"
