"""core.tasks.enqueue_on_commit: queued only after a commit; a broker failure is logged, not raised."""

import logging

import pytest
from django.db import transaction

from core.tasks import enqueue_on_commit


class RecordingTask:
    name = "tests.recording"

    def __init__(self, error=None):
        self.calls, self.error = [], error

    def apply_async(self, **options):
        if self.error is not None:
            raise self.error
        self.calls.append(options)


@pytest.mark.django_db(transaction=True)
def test_queued_once_the_transaction_commits():
    task = RecordingTask()
    with transaction.atomic():
        enqueue_on_commit(task, 7, "x")
        assert task.calls == []
    assert task.calls == [{"args": (7, "x"), "ignore_result": True}]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_queues_nothing():
    task = RecordingTask()
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(task, 7)
        raise RuntimeError("refused")
    assert task.calls == []


@pytest.mark.django_db(transaction=True)
def test_a_broker_outage_is_logged_not_raised(caplog):
    task = RecordingTask(error=ConnectionError("Error 111 connecting to 127.0.0.1:6379"))
    with caplog.at_level(logging.WARNING, logger="core.tasks"), transaction.atomic():
        enqueue_on_commit(task, 3, lost="nothing is lost")
    assert "Could not queue tests.recording(3,) (broker down): nothing is lost." in caplog.text
