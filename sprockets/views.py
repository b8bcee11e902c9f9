"""Production pages: factory cards and a factory's goal-vs-actual chart. Read-only, for every signed-in user."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from sprockets.models import Bucket, Factory, Sprocket, production_chart

RECENT_SPROCKETS = 20
DEFAULT_BUCKET = Bucket.DAY
DEFAULT_DAYS = 30


def factory_list(request):
    # with_location + with_produced_today: the cards cost one query, however many factories.
    factories = Factory.objects.with_location().with_produced_today().order_by("name", "id")
    return render(request, "sprockets/factory_list.html", {"factories": factories})


def factory_detail(request, pk):
    factory = get_object_or_404(Factory.objects.with_location().with_produced_today(), pk=pk)
    end = timezone.now()
    start = end - timezone.timedelta(days=DEFAULT_DAYS)
    series = production_chart(factory=factory, start=start, end=end, bucket=DEFAULT_BUCKET)
    # The first chart is drawn from this embedded data (json_script); the controls refetch from the API.
    # The JSON encoder writes times as ISO 8601 and goals (Decimal) as strings, the JS reads both.
    chart = {"bucket": DEFAULT_BUCKET, **series}
    recent = Sprocket.objects.filter(factory=factory).select_related("sprocket_type")[:RECENT_SPROCKETS]
    return render(
        request,
        "sprockets/factory_detail.html",
        {
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
    )
