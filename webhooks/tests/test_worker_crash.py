"""A Celery worker killed in the middle of a delivery: with acks_late and
reject_on_worker_lost the task goes back to the queue, another worker runs it again, and the
delivery is recorded once. Real worker processes on the real Redis broker and PostgreSQL."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

from config.celery import app
from config.tests.servers import CeleryWorker, wait_for
from webhooks import services
from webhooks.models import Delivery, Endpoint
from webhooks.tasks import deliver

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL: real workers on the Redis broker"),
    pytest.mark.django_db(transaction=True),
]

VISIBILITY_TIMEOUT = 3


class SlowReceiver:
    """Answers the first request only after a long pause (the worker is killed meanwhile)."""

    def __init__(self):
        self.requests = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests += 1
                if receiver.requests == 1:
                    time.sleep(20)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_a_killed_worker_s_task_is_run_again_and_recorded_once(tmp_path):
    # The workers deliver to the receiver on 127.0.0.1, which webhooks may not reach by default.
    worker_env = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT), "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}
    log_path = tmp_path / "workers.log"
    receiver = SlowReceiver()
    event = services.outbox_publish(event_type="period.locked", payload={"week": "2026-W47"})
    endpoint = Endpoint.objects.create(url=receiver.url, events=["period.locked"])
    delivery_id = Delivery.objects.create(endpoint=endpoint, event=event).pk
    app.control.purge()
    app.conf.task_always_eager = False
    workers = []
    try:
        deliver.apply_async(args=[delivery_id])
        workers.append(CeleryWorker(log_path, **worker_env))
        assert wait_for(lambda: receiver.requests == 1, 90), (
            "the first worker never started the delivery:\n" + log_path.read_text(errors="replace")[-3000:]
        )
        workers[0].kill()  # mid-task: the receiver has not answered yet
        assert Delivery.objects.get(pk=delivery_id).status == Delivery.Status.PENDING
        time.sleep(VISIBILITY_TIMEOUT + 1)
        workers.append(CeleryWorker(log_path, **worker_env))
        assert wait_for(lambda: Delivery.objects.get(pk=delivery_id).status == Delivery.Status.SUCCEEDED, 90), (
            "the task was not run again after the worker died"
        )
    finally:
        app.conf.task_always_eager = True
        for worker in workers:
            worker.stop()
        receiver.server.shutdown()
    delivery = Delivery.objects.get(pk=delivery_id)
    assert Delivery.objects.count() == 1
    assert delivery.attempts == 1  # the killed run never recorded an attempt; the re-run recorded one
    assert receiver.requests == 2  # at-least-once: receivers dedupe on the event id in the body
