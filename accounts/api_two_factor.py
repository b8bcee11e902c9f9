"""The API's side of two-factor login: the second step of the token exchange, and HR's reset.

`auth/token/` answers an enrolled user's right password with 202 and a short-lived `challenge`
instead of tokens; `auth/token/two-factor/` trades the challenge and a code (TOTP or a recovery code)
for the pair. A staff account that must use a second factor and has none gets 403
`two_factor_required` (set it up in the browser). API keys are not affected: they are the way for scripts.
"""

from django.utils.translation import gettext
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.services import two_factor
from core.client_ip import client_ip

CODE_MAX_LENGTH = 32


class SecondFactorNeeded(Exception):
    """Raised by the token serializer after a right password of an enrolled user (no tokens yet)."""

    def __init__(self, user):
        super().__init__("A second factor is needed.")
        self.user = user


def second_factor_gate(user):
    """Called between the password check and the tokens (accounts.api.TokenObtainPairSerializer)."""
    if two_factor.two_factor_device(user) is not None:
        raise SecondFactorNeeded(user)
    if two_factor.two_factor_required(user):
        raise PermissionDenied(
            gettext(
                "Your account needs two-factor login: set it up in the browser (Two-factor login), then log in again."
            ),
            code="two_factor_required",
        )


class TwoFactorChallengeSerializer(serializers.Serializer):
    """The password was right and the account has a second factor: send a code with this challenge
    to `auth/token/two-factor/` within `expires_in` seconds."""

    challenge = serializers.CharField(read_only=True)
    expires_in = serializers.IntegerField(read_only=True)
    methods = serializers.ListField(child=serializers.ChoiceField(choices=["totp", "recovery_code"]), read_only=True)


def challenge_response(user):
    data = {
        "challenge": two_factor.two_factor_challenge(user),
        "expires_in": two_factor.CHALLENGE_MAX_AGE_SECONDS,
        "methods": ["totp", "recovery_code"],
    }
    return Response(TwoFactorChallengeSerializer(data).data, status=status.HTTP_202_ACCEPTED)


class TwoFactorTokenRequestSerializer(serializers.Serializer):
    challenge = serializers.CharField(max_length=2000, help_text="From the 202 answer of auth/token/.")
    code = serializers.CharField(
        max_length=CODE_MAX_LENGTH, help_text="The 6 digits of the authenticator app, or a recovery code."
    )


class TwoFactorTokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    # Limited like the password step, per address and per account, inside two_factor_verify.
    throttle_classes = []

    def get_authenticate_header(self, request):
        # A failed login step is 401 (DRF answers 403 to a view without authenticators otherwise).
        return 'Bearer realm="api"'

    # Its schema is declared in accounts.api, beside the TokenPairSerializer it answers with.
    def post(self, request):
        from accounts.api import TokenPairSerializer

        serializer = TwoFactorTokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = two_factor.two_factor_challenge_user(serializer.validated_data["challenge"])
            verified = two_factor.two_factor_verify(
                user=user, code=serializer.validated_data["code"], ip=client_ip(request)
            )
        except two_factor.TwoFactorThrottled as error:
            raise Throttled(wait=error.retry_after, detail=error.message) from error
        except two_factor.TwoFactorInvalid as error:
            raise AuthenticationFailed(error.message, code=error.code) from error
        if not two_factor.two_factor_challenge_spend(serializer.validated_data["challenge"]):
            raise AuthenticationFailed(
                gettext("This login was completed already: log in with your password again."), code="challenge_invalid"
            )
        refresh = RefreshToken.for_user(user)
        services.audit_record(
            actor=user, action="auth.token_obtained", obj=user, changes={"second_factor": [None, verified.method]}
        )
        return Response(TokenPairSerializer({"access": str(refresh.access_token), "refresh": str(refresh)}).data)


class TwoFactorResetResultSerializer(serializers.Serializer):
    refresh_tokens_revoked = serializers.IntegerField()
