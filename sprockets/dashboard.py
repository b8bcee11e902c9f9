"""The dashboard's production panel: each factory's production today against its daily goal."""

from sprockets.models import Factory

DASHBOARD_FACTORIES = 5


def widget(request):
    # One query: location and today's count are joined/annotated, not fetched per factory.
    factories = list(Factory.objects.with_location().with_produced_today().order_by("name", "id")[:DASHBOARD_FACTORIES])
    if not factories:
        return None
    return {"template": "sprockets/_dashboard.html", "context": {"factories": factories}}
