"""Calendar feeds: the secret token in a user's iCal/CalDAV URLs, made, reset and revoked."""

from typing import Any

from django.db import transaction

from accounts.models import User
from leave.models import CalendarFeedToken


@transaction.atomic
def feed_token_get_or_create(*, user: User) -> CalendarFeedToken:
    token, _created = CalendarFeedToken.objects.get_or_create(
        user=user, defaults={"token": CalendarFeedToken.new_token()}
    )
    return token


@transaction.atomic
def feed_token_reset(*, user: User) -> CalendarFeedToken:
    """Revoke every feed URL handed out so far by choosing a new secret."""
    token, created = CalendarFeedToken.objects.select_for_update().get_or_create(
        user=user, defaults={"token": CalendarFeedToken.new_token()}
    )
    if not created:
        token.token = CalendarFeedToken.new_token()
        token.save(update_fields=["token", "created_at"])
    return token


def feed_token_revoke(*, user: User, **kwargs: Any) -> None:
    """Revoke every feed URL of `user` (deactivation, HR's "revoke all access"): the secret is
    dropped; a new one is made only when the user opens their feeds page again. Connected to
    accounts.signals.access_revoked, so it runs in the revoking transaction."""
    CalendarFeedToken.objects.filter(user=user).delete()
