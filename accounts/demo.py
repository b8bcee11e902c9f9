"""Demo users for `manage.py seed_demo`: an HR admin, a manager and three reports."""

import functools
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission

from accounts.models import User

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed by make run, for the demo only

DEMO_USERS = [
    # username, first, last, role, timezone, country, subdivision
    ("hr", "Hannah", "Reyes", "hr", "Europe/Berlin", "DE", "BY"),
    ("manager", "Max", "Mustermann", "manager", "Europe/Berlin", "DE", "BY"),
    ("alice", "Alice", "Adams", "employee", "Europe/Berlin", "DE", "BY"),
    ("bob", "Bob", "Brown", "employee", "Europe/London", "GB", "ENG"),
    ("carol", "Carol", "Chen", "employee", "America/Los_Angeles", "US", "CA"),
]
# Contracts other than 40 hours over Monday to Friday: HR works part time, four days a week.
CONTRACTS = {"hr": (Decimal("32.00"), "1234")}


def seed(stdout):
    hr_group, _ = Group.objects.get_or_create(name=settings.HR_GROUP_NAME)
    users = {}
    for username, first, last, role, timezone, country, subdivision in DEMO_USERS:
        weekly_hours, working_weekdays = CONTRACTS.get(username, (Decimal("40.00"), "12345"))
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "email": f"{username}@example.com",
                "first_name": first,
                "last_name": last,
                "timezone": timezone,
                "country": country,
                "subdivision": subdivision,
                "weekly_hours": weekly_hours,
                "working_weekdays": working_weekdays,
                "is_staff": role in ("hr", "manager"),
                "is_superuser": role == "hr",
                "password": _demo_password_hash,  # called only when the user is created
            },
        )
        if role == "hr":
            user.groups.add(hr_group)
        users[username] = user
        stdout.write(f"  user {username:<8} {'created' if created else 'exists'}")
    for username in ("alice", "bob", "carol"):
        if users[username].manager_id != users["manager"].pk:
            users[username].manager = users["manager"]
            users[username].save(update_fields=["manager"])
    _grant_manager_admin_permissions(users["manager"])
    return users


@functools.cache
def _demo_password_hash():
    """One hash for every new demo user: the hasher takes ~0.15 s a call (on purpose), and they
    share the printed demo password anyway, so a shared salt reveals nothing."""
    return make_password(DEMO_PASSWORD)


def _grant_manager_admin_permissions(manager):
    """Managers approve leave in the admin: give them the permissions the leave app defines."""

    perms = Permission.objects.filter(
        content_type__app_label="leave", codename__in=["view_leaverequest", "change_leaverequest"]
    )
    manager.user_permissions.add(*perms)


def logins():
    return [(username, role) for username, _f, _l, role, *_rest in DEMO_USERS]
