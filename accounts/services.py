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


# --- API keys -----------------------------------------------------------------------------------


def _hash_key(key):
    import hashlib

    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, user, name, read_only=False, expires_at=None):
    """Create a key; returns (api_key, full_key). The full key is never stored or shown again."""
    import secrets

    from django.utils import timezone

    from accounts.models import ApiKey

    if expires_at is not None and expires_at <= timezone.now():
        raise AccountsError("The expiry must be in the future.", field="expires_at")
    prefix = secrets.token_hex(6)
    full_key = f"{prefix}.{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        user=user, name=name, prefix=prefix, key_hash=_hash_key(full_key), read_only=read_only, expires_at=expires_at
    )
    audit_record(
        actor=user,
        action="api_key.created",
        obj=api_key,
        changes={"name": [None, name], "read_only": [None, read_only], "expires_at": [None, expires_at]},
    )
    return api_key, full_key


@transaction.atomic
def api_key_revoke(*, api_key, actor):
    from django.utils import timezone

    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_key.revoked", obj=api_key)
    return api_key


def api_key_authenticate(*, key):
    """The usable ApiKey for a presented key, or None. Marks it used (at most once a minute)."""
    import hmac
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import ApiKey

    prefix, _, secret = key.partition(".")
    if not prefix or not secret or len(key) > 128:
        return None
    api_key = ApiKey.objects.usable().select_related("user").filter(prefix=prefix).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash_key(key)):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        # A plain UPDATE, not a save(): concurrent requests must not overwrite each other's fields.
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
