"""Single sign-on with the company's OpenID Connect provider (mozilla-django-oidc underneath).

* The authorization code flow with PKCE (S256), `state` and `nonce` (checked by the library: a
  forged or replayed state, or an ID token with another nonce, is refused with 400).
* Endpoints come from the issuer's discovery document (`OIDC_ISSUER_URL/.well-known/openid-configuration`),
  read when a login needs them and cached for an hour; a password login never asks the provider.
* Who gets in: a verified e-mail address (`email_verified`) of an allowed domain
  (`OIDC_ALLOWED_EMAIL_DOMAINS`). An account is found by the provider's subject (`sub`, stored at the
  first SSO login), else linked by that verified e-mail address; with `OIDC_AUTO_CREATE` someone new
  gets an account, else only people HR created can log in. `OIDC_HR_ROLES` values of the role claim
  make someone HR (and staff); without one they are not HR (the provider is the source of truth).
* An SSO session counts as two-factor verified: the provider owns the login and its second factor.
"""

from __future__ import annotations

import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.backends import RolesInOneQuery
from accounts.middleware import SSO_SESSION_KEY

logger = logging.getLogger(__name__)

DISCOVERY_CACHE_SECONDS = 3600
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def discovery() -> dict:
    """The provider's discovery document (cached). Its `issuer` must be the configured one."""
    issuer = settings.OIDC_ISSUER_URL
    key: str | None = f"oidc-discovery:{issuer}"
    try:
        document = cache.get(str(key))
    except Exception as error:  # noqa: BLE001 - Redis down or hung: read the provider, not the cache
        logger.warning("OIDC discovery not cached: the cache is unreachable (%s)", error)
        document, key = None, None
    if document is None:
        response = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
        if document.get("issuer", "").rstrip("/") != issuer:
            raise ImproperlyConfigured(f"The provider at {issuer} names another issuer: {document.get('issuer')!r}")
        if key is not None:
            try:
                cache.set(key, document, DISCOVERY_CACHE_SECONDS)
            except Exception as error:  # noqa: BLE001 - as above
                logger.warning("OIDC discovery not cached: the cache is unreachable (%s)", error)
    return document


def sso_setting(attr, *args):
    if attr in ENDPOINTS:
        return discovery()[ENDPOINTS[attr]]
    return import_from_settings(attr, *args)


def _require_sso():
    if not settings.SSO_ENABLED:
        raise Http404(gettext("Single sign-on is not configured."))


class SSOAuthenticationRequestView(OIDCAuthenticationRequestView):
    """`/oidc/authenticate/`: off (404) unless configured; the endpoint read when someone clicks."""

    get_settings = staticmethod(sso_setting)

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)  # not the endpoints yet
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID

    def get(self, request):
        _require_sso()
        self.OIDC_OP_AUTH_ENDPOINT = sso_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        return super().get(request)


class SSOCallbackView(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(sso_setting)

    def get(self, request):
        _require_sso()
        return super().get(request)

    def login_success(self):
        response = super().login_success()
        self.request.session[SSO_SESSION_KEY] = True
        return response


class CompanyOIDCBackend(RolesInOneQuery, OIDCAuthenticationBackend):
    get_settings = staticmethod(sso_setting)

    def __init__(self, *args, **kwargs):
        # The endpoints are properties (read at a login, from discovery); the rest as the library does.
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = settings.OIDC_RP_SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()

    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: sso_setting("OIDC_OP_TOKEN_ENDPOINT"))
    OIDC_OP_USER_ENDPOINT = property(lambda self: sso_setting("OIDC_OP_USER_ENDPOINT"))
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: sso_setting("OIDC_OP_JWKS_ENDPOINT"))

    def authenticate(self, request, **kwargs):
        if request is None or "code" not in request.GET or not settings.SSO_ENABLED:
            return None  # a password login, or a script: not this backend's
        return super().authenticate(request, **kwargs)

    def retrieve_matching_jwk(self, token):
        # A provider with one signing key may leave `kid` out of the token's header (the library
        # needs it to pick the key): then the one key of the right algorithm is the key.
        header = jwt.get_unverified_header(token)
        if "kid" in header:
            return super().retrieve_matching_jwk(token)
        response = requests.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        keys = [
            key for key in response.json().get("keys", []) if key.get("alg", header.get("alg")) == header.get("alg")
        ]
        if len(keys) != 1:
            raise SuspiciousOperation("The ID token names no key and the provider has several.")
        return jwt.PyJWK(keys[0])

    def verify_claims(self, claims):
        email = (claims.get("email") or "").strip()
        if not email or claims.get("email_verified") is not True:
            logger.warning("SSO login refused: no verified e-mail address (sub %s)", claims.get("sub"))
            return False
        domain = email.rsplit("@", 1)[-1].lower()
        allowed = settings.OIDC_ALLOWED_EMAIL_DOMAINS
        if allowed and domain not in allowed:
            logger.warning("SSO login refused: %s is not an allowed domain", domain)
            return False
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims):
        by_subject = self.UserModel.objects.filter(sso_subject=claims["sub"])
        if by_subject.exists():
            return by_subject
        # Linking only on an address the provider verified (verify_claims), and never to an account
        # already linked to another subject of the provider.
        return self.UserModel.objects.filter(email__iexact=claims["email"].strip(), sso_subject__isnull=True)

    @transaction.atomic
    def create_user(self, claims):
        from accounts.services import audit_record

        email = claims["email"].strip()
        base = email.split("@", 1)[0][:140] or "user"
        username, number = base, 1
        while self.UserModel.objects.filter(username__iexact=username).exists():
            number += 1
            username = f"{base}{number}"
        user = self.UserModel(
            username=username,
            email=email,
            first_name=(claims.get("given_name") or "")[:150],
            last_name=(claims.get("family_name") or "")[:150],
            sso_subject=claims["sub"],
        )
        user.set_unusable_password()
        user.save()
        audit_record(actor=user, action="user.created_by_sso", obj=user, changes={"username": [None, username]})
        self._apply_roles(user, claims)
        return user

    @transaction.atomic
    def update_user(self, user, claims):
        if not user.is_active or not user.has_started:
            raise SuspiciousOperation("This account cannot log in (deactivated, or not started yet).")
        changed = []
        if user.sso_subject is None:
            user.sso_subject = claims["sub"]
            changed.append("sso_subject")
        for field, claim in (("first_name", "given_name"), ("last_name", "family_name")):
            value = (claims.get(claim) or "")[:150]
            if value and getattr(user, field) != value:
                setattr(user, field, value)
                changed.append(field)
        if changed:
            user.save(update_fields=changed)
        self._apply_roles(user, claims)
        return user

    def _apply_roles(self, user, claims):
        """The role claim decides HR: in it → the HR group and staff; not in it → out of the HR group."""
        from accounts.services import audit_record

        roles = claims.get(settings.OIDC_ROLE_CLAIM) or []
        if isinstance(roles, str):
            roles = roles.split()
        is_hr_now = bool(set(roles) & set(settings.OIDC_HR_ROLES))
        group, _created = Group.objects.get_or_create(name=settings.HR_GROUP_NAME)
        was_hr = user.groups.filter(pk=group.pk).exists()
        if is_hr_now and not was_hr:
            user.groups.add(group)
            if not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
        elif was_hr and not is_hr_now:
            user.groups.remove(group)
        if is_hr_now != was_hr:
            audit_record(actor=user, action="user.roles_from_sso", obj=user, changes={"hr": [was_hr, is_hr_now]})
        user.__dict__.pop("is_hr", None)  # the cached role, read again
