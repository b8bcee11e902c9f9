"""Accounts API: JWT auth endpoints, `users/me/` and `users/`."""

import django_filters
from django.contrib.auth.models import update_last_login
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.db.models import Q
from django.urls import path, reverse
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import services
from accounts.api_access import ApiKeyViewSet, AuditEventViewSet
from accounts.api_positions import PositionIdField, PositionViewSet
from accounts.api_two_factor import (
    SecondFactorNeeded,
    TwoFactorChallengeSerializer,
    TwoFactorResetResultSerializer,
    TwoFactorTokenRequestSerializer,
    TwoFactorTokenView,
    challenge_response,
    second_factor_gate,
)
from accounts.models import User
from accounts.permissions import IsHR
from accounts.services import people_import
from accounts.services import two_factor as services_two_factor
from accounts.services.invitations import invitation_revoke, invitation_send, invitation_state
from core.filters import DayField, IdFilter
from core.serializers import ModelSerializer
from core.throttling import ScopedRateThrottle


class UserSerializer(ModelSerializer):
    is_hr = serializers.BooleanField(read_only=True)
    is_manager = serializers.BooleanField(read_only=True)
    working_weekdays = serializers.CharField(read_only=True, help_text="ISO weekday digits, 1 = Monday.")
    invitation = serializers.SerializerMethodField(
        help_text="none, pending, expired, or accepted (the user has a password). From the row: no query."
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "timezone",
            "country",
            "subdivision",
            "manager",
            "position",
            "weekly_hours",
            "working_weekdays",
            "is_active",
            "is_staff",
            "is_hr",
            "is_manager",
            "invitation",
        ]
        read_only_fields = fields

    def get_invitation(self, user) -> str:
        return invitation_state(user)


# A preference of one's own, shown on `users/me/` only (not in `users/`).
PREFERENCE_FIELDS = ("duration_format", "language")


class ProfileSerializer(UserSerializer):
    """What a user may change on their own profile, and their preferences; everything else is read-only."""

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, *PREFERENCE_FIELDS]
        read_only_fields = [field for field in UserSerializer.Meta.fields if field not in services.SELF_EDITABLE_FIELDS]
        extra_kwargs = {"email": {"required": False}}

    @transaction.atomic
    def update(self, instance, validated_data):
        if "duration_format" in validated_data:
            instance.set_duration_format(validated_data.pop("duration_format"))
        if "language" in validated_data:
            instance.set_language(validated_data.pop("language"))
        if not validated_data:
            return instance
        return services.user_update_profile(user=instance, data=validated_data)


class UserFilter(django_filters.FilterSet):
    manager = IdFilter(field_name="manager_id")
    search = django_filters.CharFilter(method="filter_search", max_length=100)

    class Meta:
        model = User
        fields = ["manager", "is_active"]

    def filter_search(self, queryset, name, value):

        return queryset.filter(
            Q(username__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(email__icontains=value)
        )


class UserWriteSerializer(ModelSerializer):
    """What HR sets on a person (accounts.services.HR_EDITABLE_FIELDS). Roles, staff status and the
    password are not writable here; `is_active` changes through `deactivate` and `reactivate`."""

    manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), allow_null=True, required=False, help_text="The user's manager (a user id)."
    )
    position = PositionIdField(allow_null=True, required=False, help_text="The job they hold (a position id).")
    start_date = DayField(
        required=False,
        help_text="Their first day of work (their local date): before it they cannot log in, and leave is "
        "pro-rated from it. Default: the day they are added.",
    )

    class Meta:
        model = User
        fields = [*services.HR_EDITABLE_FIELDS, "start_date"]
        extra_kwargs = {"email": {"required": True}}

    def create(self, validated_data):
        return services.user_create(actor=self.context["request"].user, data=validated_data)

    def update(self, instance, validated_data):
        return services.user_update(actor=self.context["request"].user, user=instance, data=validated_data)


class PeopleImportSerializer(serializers.Serializer):
    content = serializers.CharField(
        max_length=people_import.MAX_BYTES,
        trim_whitespace=False,
        allow_blank=True,
        help_text=f"The CSV, UTF-8 with a header row. Columns: {', '.join(people_import.COLUMNS)} (email required; "
        "manager_email names a manager in the file or already known; start_date YYYY-MM-DD).",
    )
    dry_run = serializers.BooleanField(default=True, help_text="Only check and preview (the default); false writes.")


class ImportedPersonSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    email = serializers.EmailField()
    action = serializers.ChoiceField(choices=["create", "update", "unchanged"])
    changes = serializers.DictField(child=serializers.ListField(), help_text="field: [before, after]")


class PeopleImportResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    people = ImportedPersonSerializer(many=True)


class RevokeAccessSerializer(serializers.Serializer):
    keys_and_feeds = serializers.BooleanField(
        default=False, help_text="Also revoke every API key and calendar feed URL of the user."
    )


class RevokeAccessResultSerializer(serializers.Serializer):
    refresh_tokens_revoked = serializers.IntegerField()


class InvitationSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=["none", "pending", "expired", "accepted"])
    invited_at = serializers.DateTimeField(allow_null=True)


def _invitation_answer(user):
    return Response(InvitationSerializer({"state": invitation_state(user), "invited_at": user.invited_at}).data)


@extend_schema_view(
    create=extend_schema(request=UserWriteSerializer, responses={201: UserSerializer}),
    partial_update=extend_schema(request=UserWriteSerializer, responses={200: UserSerializer}),
)
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Users the caller may see: HR everyone, a manager their reports and themself,
    an employee only themself. Someone not visible is 404. HR creates people (with no password:
    they choose one through a password reset), edits them, deactivates and reactivates them."""

    serializer_class = UserSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_class = UserFilter
    ordering_fields = ["username", "last_name", "email", "id"]
    ordering = ["username"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return User.objects.none()
        # annotate_roles: `is_hr`/`is_manager` would otherwise cost two queries per row.
        return User.objects.visible_to(self.request.user).annotate_roles()

    def get_permissions(self):
        # Editing (PATCH) checks HR after the lookup: someone the caller cannot see stays a 404.
        if self.action == "create":
            return [IsAuthenticated(), IsHR()]
        return super().get_permissions()

    def _answer(self, user, status=200):
        return Response(UserSerializer(self.get_queryset().get(pk=user.pk)).data, status=status)

    def create(self, request, *args, **kwargs):
        serializer = UserWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return self._answer(serializer.save(), status=201)

    def partial_update(self, request, *args, **kwargs):
        user = self.get_object()
        if not request.user.is_hr:
            raise PermissionDenied(IsHR.message)
        serializer = UserWriteSerializer(user, data=request.data, partial=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return self._answer(serializer.save())

    @extend_schema(request=PeopleImportSerializer, responses={200: PeopleImportResultSerializer})
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        serializer_class=PeopleImportSerializer,
        permission_classes=[IsAuthenticated, IsHR],
    )
    def import_people(self, request):
        """HR: create or update people from a CSV, matched on e-mail; a preview by default
        (`dry_run`), then all or nothing. Refused: 400 `import_refused` with every line's problem."""
        serializer = PeopleImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = people_import.people_import(
            actor=request.user, text=serializer.validated_data["content"], dry_run=serializer.validated_data["dry_run"]
        )
        return Response(
            {
                "dry_run": result.dry_run,
                "created": result.count("create"),
                "updated": result.count("update"),
                "unchanged": result.count("unchanged"),
                "people": [
                    {"line": p.line, "email": p.email, "action": p.action, "changes": p.changes} for p in result.people
                ],
            }
        )

    @extend_schema(request=None, responses={200: UserSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, IsHR])
    def deactivate(self, request, pk=None):
        """HR: someone leaves. They can no longer log in; every session, refresh token, API key and
        calendar feed ends, a running timer stops, pending leave requests are withdrawn (their
        approvers are told). History stays. 409 `already_inactive`, or `self` for one's own account."""
        user = services.user_deactivate(actor=request.user, user=self.get_object())
        return self._answer(user)

    @extend_schema(request=None, responses={200: UserSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, IsHR])
    def reactivate(self, request, pk=None):
        """HR: someone comes back and can log in again. 409 `already_active`."""
        user = services.user_reactivate(actor=request.user, user=self.get_object())
        return self._answer(user)

    @extend_schema(request=None, responses={200: InvitationSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, IsHR])
    def invite(self, request, pk=None):
        """HR: e-mail the user a link to choose their password (single use, expiring after
        INVITATION_TIMEOUT_DAYS). Again to resend: every older link dies. 409 `has_password`,
        `inactive` or `no_email`."""

        def accept_url(uidb64, token):
            return request.build_absolute_uri(reverse("accounts:invitation_accept", args=[uidb64, token]))

        user = invitation_send(actor=request.user, user=self.get_object(), accept_url_builder=accept_url)
        return _invitation_answer(user)

    @extend_schema(request=None, responses={200: InvitationSerializer})
    @action(detail=True, methods=["post"], url_path="revoke-invitation", permission_classes=[IsAuthenticated, IsHR])
    def revoke_invitation(self, request, pk=None):
        """HR: withdraw the pending invitation; its link stops working. 409 `no_invitation`."""
        user = invitation_revoke(actor=request.user, user=self.get_object())
        return _invitation_answer(user)

    @action(detail=False, methods=["get", "patch"], serializer_class=ProfileSerializer)
    def me(self, request):
        """The caller's own profile. PATCH changes name, e-mail, time zone, holiday region and the
        duration format (`hm`: 1:30, `decimal`: 1.50 h) only."""
        if request.method == "GET":
            return Response(ProfileSerializer(request.user).data)
        serializer = ProfileSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(ProfileSerializer(request.user).data)

    @extend_schema(request=RevokeAccessSerializer, responses={200: RevokeAccessResultSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="revoke-access",
        serializer_class=RevokeAccessSerializer,
        permission_classes=[IsAuthenticated, IsHR],
    )
    def revoke_access(self, request, pk=None):
        """HR: log the user out everywhere (every page session and refresh token); with
        `keys_and_feeds`, also revoke their API keys and calendar feed URLs."""
        user = self.get_object()
        serializer = RevokeAccessSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        keys_and_feeds = serializer.validated_data["keys_and_feeds"]
        revoked = services.user_revoke_access(
            user=user,
            actor=request.user,
            reason="revoke_all_access" if keys_and_feeds else "logout_everywhere",
            keys_and_feeds=keys_and_feeds,
        )
        return Response({"refresh_tokens_revoked": revoked})

    @extend_schema(request=None, responses={200: TwoFactorResetResultSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="two-factor-reset",
        permission_classes=[IsAuthenticated, IsHR],
    )
    def two_factor_reset(self, request, pk=None):
        """HR: remove the user's second factor (a lost phone): they enrol again at their next login.
        Audited; every page session and refresh token of theirs is revoked."""
        user = self.get_object()
        revoked = services_two_factor.two_factor_reset(actor=request.user, user=user)
        return Response({"refresh_tokens_revoked": revoked})


# Every string input has a maximum length (tokens are a few hundred characters).
TOKEN_MAX_LENGTH = 2000


class TokenObtainPairSerializer(jwt_serializers.TokenObtainPairSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.username_field].max_length = 150
        self.fields["password"].max_length = 4096
        for field in self.fields.values():
            field.validators.append(MaxLengthValidator(field.max_length))

    def validate(self, attrs):
        # The password step (authenticate(), with the login limiter), then the second factor's gate
        # before any token exists: an enrolled user gets a challenge instead (accounts.api_two_factor).
        data = jwt_serializers.TokenObtainSerializer.validate(self, attrs)
        second_factor_gate(self.user)
        refresh = self.get_token(self.user)
        data["refresh"], data["access"] = str(refresh), str(refresh.access_token)
        if jwt_settings.UPDATE_LAST_LOGIN:
            update_last_login(None, self.user)
        return data


class TokenVerifySerializer(jwt_serializers.TokenVerifySerializer):
    token = serializers.CharField(max_length=TOKEN_MAX_LENGTH, write_only=True)


class TokenBlacklistSerializer(jwt_serializers.TokenBlacklistSerializer):
    refresh = serializers.CharField(max_length=TOKEN_MAX_LENGTH, write_only=True)


class TokenPairSerializer(serializers.Serializer):
    """A new pair of tokens: send `access` as `Authorization: Bearer <access>`; trade `refresh` for a
    new pair at `auth/token/refresh/` before the access token expires (each refresh token works once)."""

    access = serializers.CharField(read_only=True, help_text="The access token (a JWT), valid for minutes.")
    refresh = serializers.CharField(read_only=True, help_text="The refresh token (a JWT), valid for a day, once.")


extend_schema_view(
    post=extend_schema(
        request=TwoFactorTokenRequestSerializer,
        responses={200: TokenPairSerializer},
        summary="Log in: the second factor",
        description="Trade the challenge of `auth/token/` (202) and a code for a pair of tokens. A wrong, "
        "reused or malformed code is 401 `invalid_code`; an expired or forged challenge 401 "
        "`challenge_invalid`; too many wrong codes 429 with Retry-After. A TOTP code works once.",
    )
)(TwoFactorTokenView)


class RefreshRequestSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=TOKEN_MAX_LENGTH, help_text="The refresh token of the last pair.")


# An empty object: the request succeeded and there is nothing more to say (config.schema's component).
EMPTY = OpenApiResponse({"$ref": "#/components/schemas/Empty"}, description="Done: an empty object.")


# simplejwt's refresh checks the blacklist, then blacklists: two concurrent refreshes of one token
# both pass the check and both get a new pair. Here the check and the blacklisting happen under a row
# lock on the token (on SQLite, the IMMEDIATE transaction serialises writers), so exactly one refresh
# wins. (A comment, not the docstring: a serializer's docstring is its public OpenAPI description.)
class AtomicTokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    refresh = serializers.CharField(max_length=TOKEN_MAX_LENGTH)

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])  # signature, expiry, first blacklist check
        jti = refresh.payload.get(jwt_settings.JTI_CLAIM)
        with transaction.atomic():
            # order_by(): the model's default ordering joins the (nullable) user, and
            # PostgreSQL cannot lock the nullable side of an outer join.
            outstanding = OutstandingToken.objects.select_for_update().filter(jti=jti).order_by().first()
            if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
                raise InvalidToken(gettext("Token is blacklisted"))
            BlacklistedToken.objects.create(token=outstanding)
            user_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
            user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: user_id}).first()
            if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
                raise AuthenticationFailed(gettext("No active account found for the given token."), "no_active_account")
            data = {"access": str(refresh.access_token)}
            refresh.set_jti()
            refresh.set_exp()
            refresh.set_iat()
            refresh.outstand()
            data["refresh"] = str(refresh)
        return data


class TokenObtainPairView(jwt_views.TokenObtainPairView):
    # The login limit (per IP and per account, failed credentials only) is applied where the
    # password is checked (accounts.backends), as for the login and admin pages.

    serializer_class = TokenObtainPairSerializer
    throttle_classes = []

    @extend_schema(
        request=TokenObtainPairSerializer,
        responses={200: TokenPairSerializer, 202: TwoFactorChallengeSerializer},
        summary="Log in",
        description="Trade a username and password for a pair of tokens. Failed attempts are limited "
        "per address and per account (429 with Retry-After). An account with two-factor login answers 202 "
        "with a `challenge` instead: send it with a code to `auth/token/two-factor/`. An account that must "
        "use two-factor login and has not set it up is 403 `two_factor_required`.",
    )
    def post(self, request, *args, **kwargs):
        try:
            response = super().post(request, *args, **kwargs)
        except SecondFactorNeeded as needed:
            return challenge_response(needed.user)
        if response.status_code == 200:
            user = User.objects.filter(username=request.data.get("username")).first()
            services.audit_record(actor=user, action="auth.token_obtained", obj=user)
        return response


@extend_schema_view(
    post=extend_schema(
        request=RefreshRequestSerializer,
        responses={200: TokenPairSerializer},
        summary="Refresh the tokens",
        description="Trade the refresh token for a new pair. Each refresh token works once: a second "
        "use (or a concurrent one) is 401 `token_not_valid`.",
    )
)
class TokenRefreshView(jwt_views.TokenRefreshView):
    serializer_class = AtomicTokenRefreshSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"


@extend_schema_view(
    post=extend_schema(
        request=TokenVerifySerializer,
        responses={200: EMPTY},
        summary="Check a token",
        description="200 with an empty object if the token is valid; 401 `token_not_valid` if not.",
    )
)
class TokenVerifyView(jwt_views.TokenVerifyView):
    serializer_class = TokenVerifySerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"


@extend_schema_view(
    post=extend_schema(
        request=TokenBlacklistSerializer,
        responses={200: EMPTY},
        summary="Log out",
        description="Revoke the refresh token: it can no longer be refreshed (the access token expires on its own).",
    )
)
class LogoutView(jwt_views.TokenBlacklistView):
    serializer_class = TokenBlacklistSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"


def register(router):
    router.register("users", UserViewSet, basename="user")
    router.register("audit-events", AuditEventViewSet, basename="audit-event")
    router.register("api-keys", ApiKeyViewSet, basename="api-key")
    router.register("positions", PositionViewSet, basename="position")


urlpatterns = [
    path("auth/token/", TokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("auth/token/two-factor/", TwoFactorTokenView.as_view(), name="token_two_factor"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token_refresh"),
    path("auth/token/verify/", TokenVerifyView.as_view(), name="token_verify"),
    path("auth/logout/", LogoutView.as_view(), name="logout"),
]
