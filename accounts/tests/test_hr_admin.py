"""HR (the HR group, not a superuser: the account `manage.py setup` creates) manages users in the
admin; making someone superuser, single permissions and deleting stay a superuser's. The user list
shows each person's invitation state."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import HRFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_user_changelist")


@pytest.fixture
def hr_admin(client):
    hr = HRFactory(username="hanna")
    assert not hr.is_superuser
    client.force_login(hr)
    return client


def test_hr_sees_the_users_with_their_invitation_state(hr_admin):
    UserFactory(username="invited", password="!", invited_at=timezone.now())
    UserFactory(username="expired", password="!", invited_at=timezone.now() - timedelta(days=30))
    UserFactory(username="never", password="!")
    response = hr_admin.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Invitation" in html and "Invited " in html and "Invitation expired" in html
    assert "Never invited" in html and "Has a password" in html
    assert reverse("admin:accounts_user_add") in html  # HR may add


def test_hr_adds_and_changes_a_user_but_cannot_make_a_superuser(hr_admin):
    response = hr_admin.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "dana",
            "email": "dana@example.com",
            "password1": "dana-long-passphrase-1",
            "password2": "dana-long-passphrase-1",
            "usable_password": "true",
            "timezone": "Europe/Berlin",
            "country": "DE",
            "subdivision": "BY",
            "weekly_hours": "40",
            "working_weekdays": "12345",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    dana = User.objects.get(username="dana")
    page = hr_admin.get(reverse("admin:accounts_user_change", args=[dana.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="is_superuser"' not in html and 'name="is_staff"' in html
    assert reverse("admin:accounts_user_delete", args=[dana.pk]) not in html
    assert hr_admin.post(reverse("admin:accounts_user_delete", args=[dana.pk]), {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=dana.pk).exists()


def test_a_manager_does_not_manage_users(client):
    manager = UserFactory(is_staff=True)
    client.force_login(manager)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403
