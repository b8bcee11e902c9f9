"""The API's own authentication classes: `Authorization: Bearer <JWT>` with the user read in one
precompiled query (JWTAuthentication), and `Authorization: Api-Key <key>` for scripts and integrations."""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework_simplejwt import authentication as jwt_authentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.languages import activate_user_language

KEYWORD = "Api-Key"
# The user id the query is compiled with, replaced by the token's at each request.
_PLACEHOLDER_ID = -918_273_645


class _UserSelect:
    """The user of `pk`, with its roles, as one query compiled once per database connection: its SQL,
    parameters and the backend's value converters. Every request then only executes it: the ORM's
    compilation of the user's 30-odd columns cost more than the query (issue 21's profile), and
    the roles (`is_hr`, `is_manager`, which nearly every endpoint reads) come in the same row
    instead of two more queries. The roles' subqueries name the id itself, not the outer row:
    PostgreSQL then plans them on their indexes (correlated, `is_manager` was a scan of every user,
    the planner expecting a manager among the first few)."""

    def __init__(self, alias: str) -> None:
        from django.db.models import Exists

        from accounts.models import User  # late: DRF loads this module while rest_framework.views imports

        self.model = User
        self.alias = alias
        self.hr_group = settings.HR_GROUP_NAME
        self.billing_group = settings.BILLING_GROUP_NAME
        self.names = [field.attname for field in User._meta.concrete_fields]
        memberships = User.groups.through.objects.filter(user_id=_PLACEHOLDER_ID)
        queryset = (
            User._default_manager.using(alias)
            .annotate(
                in_hr_group=Exists(memberships.filter(group__name=self.hr_group)),
                is_billing_member=Exists(memberships.filter(group__name=self.billing_group)),
                has_reports=Exists(User._default_manager.filter(manager_id=_PLACEHOLDER_ID)),
            )
            .filter(pk=_PLACEHOLDER_ID)
            .order_by()
        )
        columns = (*self.names, "in_hr_group", "is_billing_member", "has_reports")
        compiler = queryset.values_list(*columns).query.get_compiler(alias)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.id_indexes = [index for index, value in enumerate(self.params) if value == _PLACEHOLDER_ID]
        self.converters = compiler.get_converters([column for column, _sql, _alias in compiler.select])
        self.compiler = compiler

    def get(self, user_id: int):
        params = list(self.params)
        for index in self.id_indexes:
            params[index] = user_id
        with connections[self.alias].cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = next(iter(self.compiler.apply_converters([row], self.converters)))
        values = list(row)
        user = self.model.from_db(self.alias, self.names, values[: len(self.names)])
        # Filled as User.is_hr, User.in_billing_group and User.is_manager (cached properties) would
        # compute them.
        user.is_hr = user.is_superuser or bool(values[-3])
        user.in_billing_group = bool(values[-2])
        user.is_manager = bool(values[-1])
        return user


def user_for_token(user_id: int):
    """The active-or-not user with id `user_id`, roles filled, or None: one query. The JWT's user,
    and the session's (accounts.backends.RolesInOneQuery)."""
    connection = connections[DEFAULT_DB_ALIAS]
    select = connection.__dict__.get("_user_for_token")
    groups = (settings.HR_GROUP_NAME, settings.BILLING_GROUP_NAME)
    if select is None or (select.hr_group, select.billing_group) != groups:
        # On the connection object: one per thread, as its converters are.
        select = connection.__dict__["_user_for_token"] = _UserSelect(DEFAULT_DB_ALIAS)
    return select.get(user_id)


class JWTAuthentication(jwt_authentication.JWTAuthentication):
    """simplejwt's, with the user read by `user_for_token`; its checks unchanged (the user exists,
    is active, and the token's password digest is the user's: CHECK_REVOKE_TOKEN)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:  # the rest of the call in the user's language (accounts.languages)
            activate_user_language(request, result[0])
        return result

    def get_user(self, validated_token):
        try:
            user_id = int(validated_token[jwt_settings.USER_ID_CLAIM])
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidToken(_("Token contained no recognizable user identification")) from error
        user = user_for_token(user_id)
        if user is None:
            raise exceptions.AuthenticationFailed(_("User not found"), code="user_not_found")
        if jwt_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise exceptions.AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if jwt_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            jwt_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise exceptions.AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        return user


class JWTAuthenticationScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of simplejwt's class (`jwtAuth`), for ours."""

    target_class = "accounts.authentication.JWTAuthentication"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _, key = header.partition(" ")
        if scheme != KEYWORD:
            return None
        from accounts import services  # late: DRF loads this class while rest_framework.views imports

        api_key = services.api_key_authenticate(key=key.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed(gettext("Invalid, expired or revoked API key."))
        if api_key.read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(gettext("This API key is read-only."))
        activate_user_language(request, api_key.user)
        return api_key.user, api_key

    def authenticate_header(self, request):
        return KEYWORD


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: create a key at POST /api/v1/api-keys/ (shown once).",
        }
