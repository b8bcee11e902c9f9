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
