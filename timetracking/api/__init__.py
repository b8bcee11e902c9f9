"""Time tracking under /api/v1/: clients, projects, tasks, tags, time entries, bulk, the timer,
working-time compliance violations and the weekly period close (submit/approve/reject/reopen).

Thin adapters: serializers parse and validate the shape of the input, `services` applies
the rules. Clients/projects/tasks/tags are read by everyone and written by HR and managers
(anyone may create a tag, as they can through an entry).

One module per sub-domain: `catalog` (clients, projects, tasks, tags), `serializers` (the time
entry bodies), `entries` (list, writes, bulk), `timer`, `violations` (compliance), `periods`
(the weekly close). This module registers them with the /api/v1/ router (config.api).
"""

from django.urls import path

from timetracking.api.catalog import (
    CatalogPermission,
    CatalogViewSet,
    ClientFilter,
    ClientSerializer,
    ClientViewSet,
    ProjectFilter,
    ProjectSerializer,
    ProjectViewSet,
    TagFilter,
    TagSerializer,
    TagViewSet,
    TaskFilter,
    TaskSerializer,
    TaskViewSet,
)
from timetracking.api.entries import TimeEntryBulkView, TimeEntryFilter, TimeEntryViewSet
from timetracking.api.periods import (
    PeriodFilter,
    PeriodRejectSerializer,
    PeriodReopenSerializer,
    PeriodSerializer,
    PeriodSubmitSerializer,
    PeriodViewSet,
)
from timetracking.api.serializers import (
    BulkCreateSerializer,
    BulkErrorSerializer,
    BulkResultSerializer,
    BulkRowErrorSerializer,
    EntryOwnerField,
    LocalDateTimeField,
    TagBriefSerializer,
    TagReferenceField,
    TimeEntryCreateSerializer,
    TimeEntrySerializer,
    TimeEntryUpdateSerializer,
    TimeEntryWithWarningsSerializer,
    TimerStartSerializer,
    TimerStopSerializer,
    TimerUpdateSerializer,
    ViolationSerializer,
    lean_entries,
    written_entry,
)
from timetracking.api.timer import TimerStartView, TimerStopView, TimerView
from timetracking.api.violations import ViolationListView, ViolationQuerySerializer

# The public names of the sub-modules, as they were when this was one module.
__all__ = [
    "BulkCreateSerializer",
    "BulkErrorSerializer",
    "BulkResultSerializer",
    "BulkRowErrorSerializer",
    "CatalogPermission",
    "CatalogViewSet",
    "ClientFilter",
    "ClientSerializer",
    "ClientViewSet",
    "EntryOwnerField",
    "LocalDateTimeField",
    "PeriodFilter",
    "PeriodRejectSerializer",
    "PeriodReopenSerializer",
    "PeriodSerializer",
    "PeriodSubmitSerializer",
    "PeriodViewSet",
    "ProjectFilter",
    "ProjectSerializer",
    "ProjectViewSet",
    "TagBriefSerializer",
    "TagFilter",
    "TagReferenceField",
    "TagSerializer",
    "TagViewSet",
    "TaskFilter",
    "TaskSerializer",
    "TaskViewSet",
    "TimeEntryBulkView",
    "TimeEntryCreateSerializer",
    "TimeEntryFilter",
    "TimeEntrySerializer",
    "TimeEntryUpdateSerializer",
    "TimeEntryViewSet",
    "TimeEntryWithWarningsSerializer",
    "TimerStartSerializer",
    "TimerStartView",
    "TimerStopSerializer",
    "TimerStopView",
    "TimerUpdateSerializer",
    "TimerView",
    "ViolationListView",
    "ViolationQuerySerializer",
    "ViolationSerializer",
    "api_urlpatterns",
    "lean_entries",
    "register",
    "urlpatterns",
    "written_entry",
]


def register(
    router, *, entries_viewset=TimeEntryViewSet, projects_viewset=ProjectViewSet, clients_viewset=ClientViewSet
):
    """Add this app's viewsets to the /api/v1/ router. `entries_viewset`, `projects_viewset`,
    `clients_viewset`: viewsets of this app that an app above this one extends (billing's add the
    money of each entry, the rounding and budget of each project, the currency and budget of each
    client); config.api chooses them, so timetracking knows nothing of that app."""
    router.register("clients", clients_viewset, basename="client")
    router.register("projects", projects_viewset, basename="project")
    router.register("tasks", TaskViewSet, basename="task")
    router.register("tags", TagViewSet, basename="tag")
    router.register("time-entries", entries_viewset, basename="time-entry")
    router.register("periods", PeriodViewSet, basename="period")


def api_urlpatterns(
    *, bulk_view=TimeEntryBulkView, timer_view=TimerView, timer_start_view=TimerStartView, timer_stop_view=TimerStopView
):
    """This app's plain API views; like `register`, an app above this one may extend them (billing
    adds the money of the entries they answer with), chosen by config.api."""
    return [
        path("time-entries/bulk/", bulk_view.as_view(), name="time-entry-bulk"),
        path("timer/", timer_view.as_view(), name="timer"),
        path("timer/start/", timer_start_view.as_view(), name="timer-start"),
        path("timer/stop/", timer_stop_view.as_view(), name="timer-stop"),
        path("compliance/violations/", ViolationListView.as_view(), name="compliance-violations"),
    ]


urlpatterns = api_urlpatterns()
