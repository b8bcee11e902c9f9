"""The invitation link's token: Django's password-reset token, bound to the invitation too.

The hash mixes in the password (so the link works once: choosing a password changes it), the
last login and `invited_at` (so resending or revoking an invitation kills every older link). It
expires after `settings.INVITATION_TIMEOUT_DAYS` (7 by default) counted from `invited_at`, not
after PASSWORD_RESET_TIMEOUT: a newcomer may open their invitation days later.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

if TYPE_CHECKING:
    from datetime import datetime

    from accounts.models import User

DEFAULT_TIMEOUT_DAYS = 7


def invitation_timeout() -> timedelta:
    """How long an invitation works: settings.INVITATION_TIMEOUT_DAYS days (default 7)."""
    return timedelta(days=getattr(settings, "INVITATION_TIMEOUT_DAYS", DEFAULT_TIMEOUT_DAYS))


def invitation_expires_at(user: User) -> datetime | None:
    return None if user.invited_at is None else user.invited_at + invitation_timeout()


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.invitations.InvitationTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        invited = "" if user.invited_at is None else str(int(user.invited_at.timestamp()))
        return f"{super()._make_hash_value(user, timestamp)}:{invited}"

    def check_token(self, user: User | None, token: str | None) -> bool:
        """Valid while the invitation is pending: active user, no usable password yet, sent less
        than the timeout ago, and this very invitation's token (not an older one's)."""
        if user is None or not token or not user.is_active or user.has_usable_password():
            return False
        expires_at = invitation_expires_at(user)
        if expires_at is None or expires_at <= timezone.now():
            return False
        try:
            timestamp_b36, _ = token.split("-")
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return False
        if self._num_seconds(self._now()) - timestamp > invitation_timeout().total_seconds():
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


invitation_token_generator = InvitationTokenGenerator()
