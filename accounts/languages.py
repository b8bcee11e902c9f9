"""Which language a signed-in user reads: their own choice (User.language) over the browser's.

Django's LocaleMiddleware has already chosen from Accept-Language (else LANGUAGE_CODE); a user who
picked a language on the Preferences page gets theirs instead, on pages (UserLanguageMiddleware,
after the session login is known) and in the API (accounts.authentication: DRF authenticates a JWT
or an API key inside the view, after every middleware ran)."""

from django.conf import settings
from django.utils import translation


def user_language(user) -> str:
    """The user's own language, or "" when they follow the browser (or are anonymous)."""
    language = getattr(user, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else ""


def activate_user_language(request, user) -> None:
    """For the rest of this request, speak the user's language if they chose one."""
    language = user_language(user)
    if not language:
        return
    translation.activate(language)
    # LANGUAGE_CODE is read by templates ({{ LANGUAGE_CODE }}); a DRF Request wraps Django's.
    getattr(request, "_request", request).LANGUAGE_CODE = language


def language_for(user) -> str:
    """The language of something sent to a user (an e-mail): theirs, else the default. `user` may be
    a User or the value of their `language` field."""
    if isinstance(user, str):
        return user if user in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    return user_language(user) or settings.LANGUAGE_CODE


def in_language_of(user):
    """`with in_language_of(recipient):` writes what is inside in the recipient's language (an e-mail
    goes out in its reader's language, not in that of whoever caused it)."""
    return translation.override(language_for(user))
