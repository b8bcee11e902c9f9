"""Logins and failed logins go to the audit trail (never the password tried)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import Signal, receiver

from accounts import services
from accounts.backends import login_throttled

# Sent (with `user`) inside the transaction that revokes a user's API keys and feeds
# (accounts.services.user_revoke_access): apps holding other secrets of the user revoke them too.
access_revoked = Signal()


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    services.audit_record(actor=user, action="auth.login", obj=user)


@receiver(user_logged_in)
def remember_two_factor(sender, request, user, **kwargs):
    from accounts.services.two_factor import remember_enrolment  # cycle: it imports accounts.services

    remember_enrolment(sender, request, user)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    """One row per refused attempt: `auth.login_failed` when the password was checked and wrong,
    `auth.login_throttled` when the login limit refused it unchecked (accounts.backends)."""

    username = str(credentials.get("username", ""))[:150]
    throttled = request is not None and login_throttled(request) is not None
    services.audit_record(
        actor=None,
        action="auth.login_throttled" if throttled else "auth.login_failed",
        object_type="accounts.user",
        object_id=username[:64],
    )


# Sent (with `user` and `actor`) inside the transaction that deactivates a user
# (accounts.services.people.user_deactivate): apps end what the leaver had running. A receiver may
# return a dict of what it did ({"timer_stopped": 1}), recorded in the audit trail.
user_deactivated = Signal()
