"""Logins and failed logins go to the audit trail (never the password tried)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from accounts import services


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    services.audit_record(actor=user, action="auth.login", obj=user)


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    services.audit_record(actor=None, action="auth.login_failed", object_type="accounts.user", object_id=username[:64])
