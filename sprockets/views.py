"""Production pages: factory cards and a factory's goal-vs-actual chart. Read-only, for every signed-in user."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from core.errors import DomainError
from sprockets import services
from sprockets.forms import GoalForm
from sprockets.models import Bucket, Factory, Sprocket, can_manage_production, production_chart

RECENT_SPROCKETS = 20
DEFAULT_BUCKET = Bucket.DAY
DEFAULT_DAYS = 30


def factory_list(request):
    # with_location + with_produced_today: the cards cost one query, however many factories.
    factories = Factory.objects.with_location().with_produced_today().order_by("name", "id")
    return render(request, "sprockets/factory_list.html", {"factories": factories})


def factory_detail(request, pk, goal_form=None):
    factory = get_object_or_404(Factory.objects.with_location().with_produced_today(), pk=pk)
    end = timezone.now()
    start = end - timezone.timedelta(days=DEFAULT_DAYS)
    series = production_chart(factory=factory, start=start, end=end, bucket=DEFAULT_BUCKET)
    # The first chart is drawn from this embedded data (json_script); the controls refetch from the API.
    # The JSON encoder writes times as ISO 8601 and goals (Decimal) as strings, the JS reads both.
    chart = {"bucket": DEFAULT_BUCKET, **series}
    recent = Sprocket.objects.filter(factory=factory).select_related("sprocket_type")[:RECENT_SPROCKETS]
    can_manage = can_manage_production(request.user)
    if can_manage and goal_form is None:
        goal_form = GoalForm(initial={"sprocket_production_goal": factory.sprocket_production_goal})
    return render(
        request,
        "sprockets/factory_detail.html",
        {
            "goal_form": goal_form if can_manage else None,
            "factory": factory,
            "chart": chart,
            # The same series as a table, for screen readers and anyone who wants the numbers.
            "chart_rows": list(
                zip(
                    series["time"],
                    series["sprocket_production_goal"],
                    series["sprocket_production_actual"],
                    strict=True,
                )
            ),
            "chart_url": reverse("api:factory-chart", args=[factory.pk]),
            "buckets": Bucket.choices,
            "default_bucket": DEFAULT_BUCKET,
            "range_start": start.date().isoformat(),
            "range_end": end.date().isoformat(),
            "recent_sprockets": recent,
        },
        status=400 if goal_form is not None and goal_form.errors else 200,
    )


@require_POST
def factory_goal(request, pk):
    """Change a factory's daily goal (production group and HR); the change is a chart point."""
    if not can_manage_production(request.user):
        raise PermissionDenied(gettext("Only the production group and HR may change goals."))
    factory = get_object_or_404(Factory, pk=pk)
    form = GoalForm(request.POST)
    if form.is_valid():
        try:
            services.factory_update(factory=factory, data=form.cleaned_data, actor=request.user)
        except (DomainError, ValidationError) as error:
            message = error.message if isinstance(error, DomainError) else " ".join(error.messages)
            form.add_error("sprocket_production_goal", message)
    if form.errors:
        return factory_detail(request, pk, goal_form=form)
    messages.success(
        request,
        gettext("The daily goal of {name} is now {value}.").format(
            name=factory.name, value=form.cleaned_data["sprocket_production_goal"]
        ),
    )
    return redirect(factory)
