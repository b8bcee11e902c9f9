"""The running timer: read it, start it (or switch), stop it, correct it while it runs."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from timetracking import services
from timetracking.api.serializers import (
    TimeEntrySerializer,
    TimeEntryWithWarningsSerializer,
    TimerStartSerializer,
    TimerStopSerializer,
    TimerUpdateSerializer,
    _with_warnings,
    written_entry,
)


class TimerAnswers:
    """How the timer views write an entry; an app above this one (billing: its money) extends them."""

    def entry_read(self, entry):
        return TimeEntrySerializer(entry).data

    def entry_data(self, entry):
        return written_entry(entry)

    def entry_with_warnings(self, entry):
        return _with_warnings(entry)


class TimerView(TimerAnswers, APIView):
    """The caller's running timer."""

    @extend_schema(
        responses={200: TimeEntrySerializer, 204: OpenApiResponse(description="No timer is running.")},
        operation_id="timer_retrieve",
    )
    def get(self, request):
        entry = services.timer_current(user=request.user)
        if entry is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(self.entry_read(entry))

    @extend_schema(
        request=TimerUpdateSerializer,
        responses={200: TimeEntrySerializer},
        operation_id="timer_partial_update",
    )
    def patch(self, request):
        """Edit the running timer (project, task, tags, description, billable, start); 409 if none runs."""
        serializer = TimerUpdateSerializer(data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        entry = services.timer_update(user=request.user, **serializer.validated_data)
        return Response(self.entry_data(entry))


class TimerStartView(TimerAnswers, APIView):
    @extend_schema(
        request=TimerStartSerializer,
        responses={201: TimeEntryWithWarningsSerializer},
        operation_id="timer_start",
    )
    def post(self, request):
        """Start a timer; 409 `timer_running` if one runs, unless `switch` is true."""
        serializer = TimerStartSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        entry = services.timer_start(user=request.user, **serializer.validated_data)
        return Response(self.entry_with_warnings(entry), status=status.HTTP_201_CREATED)


class TimerStopView(TimerAnswers, APIView):
    @extend_schema(
        request=TimerStopSerializer,
        responses={200: TimeEntryWithWarningsSerializer},
        operation_id="timer_stop",
    )
    def post(self, request):
        """Stop the running timer; 409 `no_timer` if none runs."""
        serializer = TimerStopSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        entry = services.timer_stop(user=request.user, **serializer.validated_data)
        return Response(self.entry_with_warnings(entry))
