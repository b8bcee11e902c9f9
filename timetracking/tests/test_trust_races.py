"""The issue's races at scale, through the real API with real connections (PostgreSQL):
20 concurrent timer starts and 20 concurrent overlapping entries for one user → exactly one
stored, every other answer a 409, never a 500."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from timetracking.models import TimeEntry

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _lift_throttles(settings):
    rest_framework = {**settings.REST_FRAMEWORK}
    rest_framework["DEFAULT_THROTTLE_RATES"] = dict.fromkeys(rest_framework["DEFAULT_THROTTLE_RATES"], "100000/minute")
    settings.REST_FRAMEWORK = rest_framework


def post_at_once(user, url, bodies):
    barrier = threading.Barrier(len(bodies))
    statuses = [None] * len(bodies)

    def worker(index, body):
        client = APIClient()
        client.force_authenticate(user=user)
        try:
            barrier.wait(timeout=30)
            statuses[index] = client.post(url, body, format="json").status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(index, body)) for index, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_twenty_concurrent_timer_starts_leave_one_running_timer(employee):
    statuses = post_at_once(employee, reverse("api:timer-start"), [{"description": f"start {n}"} for n in range(20)])
    assert sorted(statuses) == [201] + [409] * 19, statuses
    assert TimeEntry.objects.filter(user=employee, ended_at__isnull=True).count() == 1


def test_twenty_concurrent_overlapping_entries_store_exactly_one(employee):
    start = timezone.now().replace(microsecond=0) - timedelta(days=2)
    bodies = [
        {
            "started_at": (start + timedelta(minutes=n)).isoformat(),
            "ended_at": (start + timedelta(hours=2, minutes=n)).isoformat(),
            "description": f"entry {n}",
        }
        for n in range(20)
    ]
    statuses = post_at_once(employee, reverse("api:time-entry-list"), bodies)
    assert sorted(statuses) == [201] + [409] * 19, statuses
    assert TimeEntry.objects.filter(user=employee).count() == 1
