"""Invitations: HR sends a new person a link to choose their password (issue 22, item 3).

A user created by HR has no usable password (accounts.services.people.user_create). HR invites
them: `invited_at` is set and an e-mail with a single-use, expiring link goes through the outbox.
Sending again (a resend) or revoking moves or clears `invited_at`, which every link's token is
bound to (accounts.invitations), so older links die. Accepting sets the password and clears it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext, ngettext

from accounts.invitations import invitation_expires_at, invitation_timeout, invitation_token_generator
from accounts.languages import in_language_of
from accounts.models import User
from accounts.services import audit_record, email_queue
from accounts.services.people import UserConflict

InvitationState = Literal["none", "pending", "expired", "accepted"]
# (uidb64, token) -> the absolute URL of the accept page; the caller knows the host.
AcceptUrlBuilder = Callable[[str, str], str]


def invitation_state(user: User) -> InvitationState:
    """From the row alone (no query, so lists can show it): `accepted` once the user has a usable
    password (through an invitation or otherwise), `none` if no invitation is pending, else
    `pending` or `expired` (INVITATION_TIMEOUT_DAYS after it was sent)."""
    if user.has_usable_password():
        return "accepted"
    expires_at = invitation_expires_at(user)
    if expires_at is None:
        return "none"
    return "pending" if expires_at > timezone.now() else "expired"


def _lifetime_text() -> str:
    days = invitation_timeout().days
    return ngettext("{days} day", "{days} days", days).format(days=days)


@transaction.atomic
def invitation_send(*, actor: User | None, user: User, accept_url_builder: AcceptUrlBuilder) -> User:
    """Invite `user`, or invite them again (every older link dies): e-mail them a link to choose
    their password, through the outbox, audited. 409 if they already have a password
    (`has_password`), are deactivated (`inactive`) or have no e-mail address (`no_email`)."""

    # Locked: an accept or a revoke at the same moment must not interleave with the new invitation.
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise UserConflict(
            gettext("{user} is deactivated: reactivate them before inviting them.").format(user=user), code="inactive"
        )
    if user.has_usable_password():
        raise UserConflict(
            gettext("{user} already has a password: they can log in or reset it.").format(user=user),
            code="has_password",
        )
    if not user.email:
        raise UserConflict(
            gettext("{user} has no e-mail address to send the invitation to.").format(user=user), code="no_email"
        )
    before = user.invited_at
    user.invited_at = timezone.now()
    user.save(update_fields=["invited_at"])
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    context = {
        "user": user,
        "inviter": actor,
        "accept_url": accept_url_builder(uidb64, invitation_token_generator.make_token(user)),
        "timeout_text": _lifetime_text(),
    }
    with in_language_of(user):  # the newcomer's language (HR may read another)
        context["timeout_text"] = _lifetime_text()
        subject = render_to_string("accounts/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/invitation_email.txt", context)
    email_queue(user_id=user.pk, subject=subject, body=body)
    audit_record(
        actor=actor,
        action="accounts.invitation_sent",
        obj=user,
        changes={"invited_at": [before, user.invited_at], "resent": [None, before is not None]},
    )
    return user


@transaction.atomic
def invitation_revoke(*, actor: User | None, user: User) -> User:
    """Withdraw the pending (or expired) invitation: its link dies. 409 `no_invitation` if none."""

    user = User.objects.select_for_update().get(pk=user.pk)
    if invitation_state(user) not in ("pending", "expired"):
        raise UserConflict(gettext("{user} has no pending invitation.").format(user=user), code="no_invitation")
    before = user.invited_at
    user.invited_at = None
    user.save(update_fields=["invited_at"])
    audit_record(actor=actor, action="accounts.invitation_revoked", obj=user, changes={"invited_at": [before, None]})
    return user


@transaction.atomic
def invitation_accept(*, user: User, new_password: str) -> User:
    """The invited person chooses their password (Django's validators: a 400 on `new_password`);
    the invitation is then spent. The caller has checked the link's token; 409 `no_invitation` if
    the invitation was accepted, revoked or expired meanwhile (two tabs submitting at once)."""

    # Locked and checked again: of two submissions of one link, exactly one sets the password.
    user = User.objects.select_for_update().get(pk=user.pk)
    if invitation_state(user) != "pending" or not user.is_active:
        raise UserConflict(gettext("This invitation is no longer valid. Ask HR for a new one."), code="no_invitation")
    try:
        validate_password(new_password, user)
    except ValidationError as error:
        raise ValidationError({"new_password": error.messages}) from error
    before = user.invited_at
    user.set_password(new_password)
    user.invited_at = None
    user.save(update_fields=["password", "invited_at"])
    audit_record(actor=user, action="accounts.invitation_accepted", obj=user, changes={"invited_at": [before, None]})
    return user
