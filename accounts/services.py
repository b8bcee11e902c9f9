"""Writes on users that carry a rule. Views, API and admin call these."""

from django.db import transaction
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from config.errors import DomainError


class AccountsError(DomainError):
    pass


# Fields a user may change on their own profile. Manager, roles, staff status and the
# contract (hours, weekdays) are HR's to set.
SELF_EDITABLE_FIELDS = ("first_name", "last_name", "email", "timezone", "country", "subdivision")


@transaction.atomic
def user_update_profile(*, user, data):
    unknown = set(data) - set(SELF_EDITABLE_FIELDS)
    if unknown:
        raise AccountsError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    for field, value in data.items():
        setattr(user, field, value)
    user.full_clean()
    user.save(update_fields=[*data.keys()])
    return user


@transaction.atomic
def user_revoke_refresh_tokens(*, user):
    """Blacklist every refresh token of `user` (after a password change or deactivation)."""
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return outstanding.count()


@transaction.atomic
def user_change_password(*, user, new_password):
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_revoke_refresh_tokens(user=user)
    return user


# --- Audit trail ------------------------------------------------------------------------------

# Never stored in the trail, whatever a caller passes.
SENSITIVE_FIELDS = frozenset({"password", "token", "refresh", "access", "key", "key_hash", "secret", "api_key"})
REDACTED = "[redacted]"


def _json_safe(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def audit_changes(before, after):
    """{"field": [before, after]} for the fields whose value differs; secrets redacted."""
    changes = {}
    for field in sorted(set(before) | set(after)):
        old, new = _json_safe(before.get(field)), _json_safe(after.get(field))
        if old != new:
            changes[field] = [REDACTED, REDACTED] if field in SENSITIVE_FIELDS else [old, new]
    return changes


def audit_record(*, actor, action, obj=None, object_type="", object_id="", changes=None):
    """Append one event to the audit trail. Call it inside the service's transaction, so
    the event is written if and only if the change is."""
    from accounts.models import AuditEvent
    from accounts.request_context import current_ip, current_request_id

    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    changes = {
        field: ([REDACTED, REDACTED] if field in SENSITIVE_FIELDS else value)
        for field, value in _json_safe(changes or {}).items()
    }
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        changes=changes,
        ip_address=current_ip(),
        request_id=current_request_id(),
    )


@transaction.atomic
def audit_purge(*, older_than_days):
    """Delete audit events older than the retention period; the only way rows leave the trail.

    The database triggers refuse a DELETE unless a purge permit row exists; the permit
    lives only inside this transaction, so no other connection ever sees it.
    """
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from accounts.models import AuditEvent

    cutoff = timezone.now() - timedelta(days=older_than_days)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO accounts_auditpurgepermit (granted) VALUES (1)")
        deleted, _ = AuditEvent.objects.older_than(cutoff).delete()
        cursor.execute("DELETE FROM accounts_auditpurgepermit")
    audit_record(
        actor=None,
        action="audit.purged",
        object_type="accounts.auditevent",
        changes={"deleted": [None, deleted], "older_than_days": [None, older_than_days]},
    )
    return deleted
