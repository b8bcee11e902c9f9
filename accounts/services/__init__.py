"""Writes on users that carry a rule. Views, API and admin call these."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import ApiKey, AuditEvent, OutgoingEmail, User
from accounts.request_context import current_ip, current_request_id
from core.errors import DomainError
from core.tasks import enqueue_on_commit

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db import models

logger = logging.getLogger(__name__)


class AccountsError(DomainError):
    pass


# Fields a user may change on their own profile. Manager, roles, staff status and the
# contract (hours, weekdays) are HR's to set.
SELF_EDITABLE_FIELDS = ("first_name", "last_name", "email", "timezone", "country", "subdivision")


@transaction.atomic
def user_update_profile(*, user: User, data: Mapping[str, Any]) -> User:
    unknown = set(data) - set(SELF_EDITABLE_FIELDS)
    if unknown:
        raise AccountsError(
            gettext("These fields cannot be changed here: {join}.").format(join=", ".join(sorted(unknown)))
        )
    for field, value in data.items():
        setattr(user, field, value)
    user.full_clean()
    user.save(update_fields=[*data.keys()])
    return user


@transaction.atomic
def user_revoke_refresh_tokens(*, user: User) -> int:
    """Blacklist every refresh token of `user` that has not expired (after a password change,
    deactivation or 'log out everywhere'). Returns how many were revoked."""
    outstanding = list(
        OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True)
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(outstanding)


@transaction.atomic
def user_change_password(*, user: User, new_password: str) -> User:
    """Set a new password; `User.save` revokes the user's refresh tokens in the same transaction."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def user_revoke_access(*, user: User, actor: User | None, reason: str, keys_and_feeds: bool = False) -> int:
    """Log `user` out everywhere: every refresh token blacklisted and every page session ended
    (`session_generation` is part of the session hash). With `keys_and_feeds`, also every API key
    revoked and every calendar feed URL (apps holding feed secrets listen to `access_revoked`).
    Access tokens already issued end with their short lifetime (JWT_ACCESS_TOKEN_LIFETIME_MINUTES),
    at once for a deactivated user (the JWT check refuses inactive users)."""

    from accounts.signals import access_revoked  # cycle: accounts.signals imports this module

    tokens = user_revoke_refresh_tokens(user=user)
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.session_generation = User.objects.values_list("session_generation", flat=True).get(pk=user.pk)
    changes = {"reason": [None, reason], "refresh_tokens": [None, tokens]}
    if keys_and_feeds:
        keys = ApiKey.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        access_revoked.send(sender=User, user=user)
        changes["api_keys"] = [None, keys]
    audit_record(actor=actor, action="auth.access_revoked", obj=user, changes=changes)
    return tokens


@transaction.atomic
def user_password_reset_send(*, user: User, subject: str, body: str) -> OutgoingEmail:
    """Send `user` a password-reset link (through the outbox, like every e-mail), audited. Callers
    answer the same whether or not an address had an account: only this records that it had."""
    email = email_queue(user_id=user.pk, subject=subject, body=body)
    audit_record(actor=None, action="auth.password_reset_requested", obj=user, changes={})
    return email


@transaction.atomic
def user_reset_password(*, user: User, new_password: str) -> User:
    """Set a password chosen through a reset link, then log the user out everywhere: every page
    session and refresh token ends (someone who knew the old password keeps nothing), audited."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_revoke_access(user=user, actor=None, reason="password reset")
    audit_record(actor=None, action="auth.password_reset", obj=user, changes={})
    return user


# --- Audit trail ------------------------------------------------------------------------------

# Never stored in the trail, whatever a caller passes.
SENSITIVE_FIELDS = frozenset({"password", "token", "refresh", "access", "key", "key_hash", "secret", "api_key"})
REDACTED = "[redacted]"


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set):
        return [_json_safe(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def audit_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{"field": [before, after]} for the fields whose value differs; secrets redacted."""
    changes: dict[str, list[Any]] = {}
    for field in sorted(set(before) | set(after)):
        old, new = _json_safe(before.get(field)), _json_safe(after.get(field))
        if old != new:
            changes[field] = [REDACTED, REDACTED] if field in SENSITIVE_FIELDS else [old, new]
    return changes


def audit_record(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit trail. Call it inside the service's transaction, so
    the event is written if and only if the change is."""

    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    changes = {
        field: ([REDACTED, REDACTED] if field in SENSITIVE_FIELDS else value)
        for field, value in _json_safe(changes or {}).items()
    }
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    # Authenticated, the actor is a User; an AnonymousUser (a refused login's) is recorded as nobody.
    author = cast("User", actor) if authenticated else None
    return AuditEvent.objects.create(
        actor=author,
        actor_username=author.get_username() if author is not None else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        changes=changes,
        ip_address=current_ip(),
        request_id=current_request_id(),
    )


@transaction.atomic
def audit_purge(*, older_than_days: int) -> int:
    """Delete audit events older than the retention period; the only way rows leave the trail.

    The database triggers refuse a DELETE unless a purge permit row exists; the permit
    lives only inside this transaction, so no other connection ever sees it.
    """

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


def _hash_key(key: str) -> str:

    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *, user: User, name: str, read_only: bool = False, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Create a key; returns (api_key, full_key). The full key is never stored or shown again."""

    if expires_at is not None and expires_at <= timezone.now():
        raise AccountsError(gettext("The expiry must be in the future."), field="expires_at")
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
def api_key_revoke(*, api_key: ApiKey, actor: User | None) -> ApiKey:

    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_key.revoked", obj=api_key)
    return api_key


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """The usable ApiKey for a presented key, or None. Marks it used (at most once a minute)."""

    prefix, _, secret = key.partition(".")
    if not prefix or not secret or len(key) > 128:
        return None
    api_key = ApiKey.objects.usable().select_related("user").filter(prefix=prefix).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash_key(key)):
        return None
    if not api_key.user.has_started:  # cannot have made one yet; if HR moved the start date later, it waits
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        # A plain UPDATE, not a save(): concurrent requests must not overwrite each other's fields.
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


# --- E-mail outbox ----------------------------------------------------------------------------

EMAIL_MAX_ATTEMPTS = 6
EMAIL_RETRY_SECONDS = 60  # after the first SMTP error; doubled after each of the next ones


def email_queue(*, user_id: int, subject: str, body: str) -> OutgoingEmail:
    """E-mail a user about a change, in the change's own transaction: the row is the promise.
    Once the transaction commits a task sends it (and a periodic one sends whatever a broker
    outage left waiting); a rolled-back change sends nothing."""
    from accounts.tasks import send_due_emails  # cycle: accounts.tasks imports this module

    email = OutgoingEmail.objects.create(user_id=user_id, subject=subject[:200], body=body)
    enqueue_on_commit(send_due_emails, lost="the periodic task sends the e-mail")
    return email


def emails_send_due(*, limit: int = 200) -> int:
    """Send the e-mails that are due, each once; returns how many were sent. Each is sent while
    its row is locked and marked in the same transaction, so runs at once share the work (SKIP
    LOCKED) and a run twice sends nothing twice. An SMTP error leaves it waiting, retried with
    backoff, and failed after EMAIL_MAX_ATTEMPTS (logged)."""

    sent = 0
    for email_id in list(OutgoingEmail.objects.due(timezone.now()).values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            email = (
                OutgoingEmail.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user")
                .filter(pk=email_id, status=OutgoingEmail.Status.PENDING)
                .first()
            )
            if email is not None:
                sent += _email_send(email)
    return sent


def _email_send(email: OutgoingEmail) -> int:

    now = timezone.now()
    user = email.user
    if not user.is_active or not user.email:
        email.status = OutgoingEmail.Status.SKIPPED
        email.save(update_fields=["status"])
        return 0
    email.attempts += 1
    try:
        send_mail(email.subject, email.body, None, [user.email])
    except Exception as error:  # SMTP down or refusing (OSError), or a message it cannot send:
        # recorded on the e-mail, never raised, so one bad e-mail cannot stop the ones after it.
        logger.warning("Could not e-mail user %s (%s): %s", user.pk, email.subject, error, exc_info=True)
        email.last_error = str(error)[:500]
        if email.attempts >= EMAIL_MAX_ATTEMPTS:
            email.status = OutgoingEmail.Status.FAILED
            logger.error(
                "Gave up e-mailing user %s (%s) after %s attempts: %s", user.pk, email.subject, email.attempts, error
            )
        else:
            email.next_attempt_at = now + timedelta(seconds=EMAIL_RETRY_SECONDS * 2 ** (email.attempts - 1))
        email.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        return 0
    email.status, email.sent_at = OutgoingEmail.Status.SENT, now
    email.save(update_fields=["attempts", "status", "sent_at"])
    return 1


@transaction.atomic
def emails_retry(*, ids: Iterable[int]) -> int:
    """Queue failed e-mails again (a fresh round of attempts); others are left as they are."""
    from accounts.tasks import send_due_emails  # cycle: accounts.tasks imports this module

    count = OutgoingEmail.objects.filter(pk__in=ids, status=OutgoingEmail.Status.FAILED).update(
        status=OutgoingEmail.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    if count:
        enqueue_on_commit(send_due_emails, lost="the periodic task sends them")
    return count


def emails_purge(*, older_than_days: int) -> int:
    """Delete the e-mails handled (sent, skipped or failed) more than `older_than_days` ago."""

    moment = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = (
        OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.PENDING).filter(created_at__lt=moment).delete()
    )
    return deleted


# HR's writes on people (a module of its own; it imports the audit helpers above).
from accounts.services.people import (  # noqa: E402, F401  (re-exported)
    HR_EDITABLE_FIELDS,
    UserConflict,
    check_manager_chain,
    user_create,
    user_deactivate,
    user_leaving_steps,
    user_reactivate,
    user_update,
)

# HR's writes on positions (salaries never in the trail).
from accounts.services.positions import (  # noqa: E402, F401  (re-exported)
    PositionConflict,
    position_create,
    position_delete,
    position_update,
)
