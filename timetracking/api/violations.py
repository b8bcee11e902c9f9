"""Working-time compliance violations of a user's days (timetracking.compliance)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, ValidationError

from accounts.models import User
from core.filters import DayField, KnownQueryParametersFilter, keyword_fields
from timetracking import compliance
from timetracking.api.serializers import ViolationSerializer

VIOLATIONS_MAX_DAYS = 366


@keyword_fields
class ViolationQuerySerializer(serializers.Serializer):
    to = DayField(required=False, help_text=gettext_lazy("Last local day (YYYY-MM-DD); default today."))
    user = serializers.IntegerField(
        required=False, min_value=1, help_text=gettext_lazy("Only this user (yourself, a report, or anyone for HR).")
    )
    rule = serializers.ChoiceField(choices=compliance.Rule.choices, required=False)
    from_ = DayField(
        required=False, help_text=gettext_lazy("First local day (YYYY-MM-DD); default 4 weeks before `to`.")
    )


class ViolationListView(generics.ListAPIView):
    """Working-time violations on the local days [from, to] (at most 366 days), each user assessed in
    their own time zone. Employees get their own; managers theirs and their reports'; HR everyone's.
    A `user` the caller may not see is 404."""

    serializer_class = ViolationSerializer
    # Its parameters are ViolationQuerySerializer's, read in get_queryset; any other is refused (400).
    filter_backends = [KnownQueryParametersFilter]
    extra_query_parameters = tuple(ViolationQuerySerializer().fields)

    @extend_schema(parameters=[ViolationQuerySerializer], operation_id="compliance_violations_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return []
        query = ViolationQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        viewer = self.request.user
        last_day = params.get("to") or timezone.localdate(timezone=viewer.tzinfo)
        first_day = params.get("from") or last_day - timedelta(days=27)
        if first_day > last_day:
            raise ValidationError({"to": [gettext("`to` must not be before `from`.")]})
        if (last_day - first_day).days >= VIOLATIONS_MAX_DAYS:
            raise ValidationError(
                {
                    "from": [
                        gettext("At most {VIOLATIONS_MAX_DAYS} days at once.").format(
                            VIOLATIONS_MAX_DAYS=VIOLATIONS_MAX_DAYS
                        )
                    ]
                }
            )
        users = User.objects.visible_to(viewer).filter(is_active=True).order_by("pk")
        if "user" in params:
            users = User.objects.visible_to(viewer).filter(pk=params["user"])
            if not users:
                raise NotFound(gettext("No such user."))
        rules = [params["rule"]] if params.get("rule") else None
        return compliance.violations_for(users, first_day, last_day, rules=rules)
