"""Issue 7, proof 9: outages of the real services, with the app served by gunicorn as in
production, and the services stopped and started again by the test.

* PostgreSQL: a throwaway cluster of our own (initdb in a temporary directory), migrated,
  served, then stopped with `pg_ctl stop -m immediate` (as a crash). Every API request is a
  503 JSON with Retry-After within connect_timeout + 1 s, /health/ is 503, a bulk write cut by
  the crash is all or nothing (and what the client was told matches what is stored), and
  once the cluster is back the first request succeeds.
* Redis (cache, throttling, broker): a throwaway redis-server, killed. Logins, throttled and
  anonymous requests, reads and a write: 0 × 5xx (throttling fails open: README "Security").
  The write's webhook event and the leave request's e-mail wait in their outboxes; once Redis
  is back a real Celery worker relays the event (the receiver gets it exactly once) and sends
  the e-mail.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest
from django.conf import settings

from config.tests.servers import (
    AppServer,
    ThrowawayPostgres,
    ThrowawayRedis,
    app_env,
    postgresql_bin_dir,
    require,
    test_database_url,
    wait_for,
)

# Bounds on answer times: run alone after the parallel suite (make test), never beside other tests' load.
pytestmark = pytest.mark.serial

CONNECT_TIMEOUT = 2
BREAKER_SECONDS = 1
PASSWORD = "an outage-proof passphrase"


def bulk_rows(prefix, count, first_day):
    """`count` one-hour entries on consecutive days from `first_day` (no overlap, no period locked)."""
    first = datetime(first_day.year, first_day.month, first_day.day, 8, tzinfo=UTC)
    return [
        {
            "started_at": (first + timedelta(days=day)).isoformat(),
            "ended_at": (first + timedelta(days=day, hours=1)).isoformat(),
            "description": f"{prefix} {day}",
        }
        for day in range(count)
    ]


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def throwaway_postgres():
    bin_dir = require(postgresql_bin_dir(), "PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
    if os.geteuid() == 0:
        require(shutil.which("runuser"), "runuser (PostgreSQL refuses to run as root)")
    cluster = ThrowawayPostgres(bin_dir)
    try:
        cluster.start()
        cluster.create_database()
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=settings.BASE_DIR,
            env=app_env(DATABASE_URL=cluster.url()),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        yield cluster
    finally:
        cluster.destroy()


def create_user_with_token(database_url):
    """A user in the throwaway database (created by the app's own code, in a process that uses
    it) and an access token for it, made there too: it is signed with the key the served app uses
    and carries the digest of the user's password hash that the app checks."""
    script = (
        "import django, sys; django.setup(); from accounts.models import User;"
        "from rest_framework_simplejwt.tokens import AccessToken;"
        "print(AccessToken.for_user(User.objects.create_user(username='outage', password=sys.argv[1])))"
    )
    created = subprocess.run(
        [sys.executable, "-c", script, PASSWORD],
        cwd=settings.BASE_DIR,
        env=app_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert created.returncode == 0, created.stderr[-3000:]
    return created.stdout.strip().splitlines()[-1]


def rows(database_url, sql, *params):
    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.mark.postgresql
def test_postgresql_stopped_then_started(throwaway_postgres, tmp_path):
    database_url = throwaway_postgres.url()
    token = create_user_with_token(database_url)
    server = AppServer(
        app_env(DATABASE_URL=database_url, DATABASE_CONNECT_TIMEOUT=str(CONNECT_TIMEOUT)), tmp_path / "gunicorn.log"
    )
    try:
        # Before: the app works against the cluster.
        assert server.request("GET", "/api/v1/users/me/", token=token).status == 200, server.log()
        before = server.request(
            "POST",
            "/api/v1/time-entries/bulk/",
            token=token,
            body={"entries": bulk_rows("before", 2, date(2024, 6, 3))},
        )
        assert before.status == 201, before.body

        # A bulk write under way when the cluster crashes: the answer and the rows must agree.
        answers = {}
        writer = threading.Thread(
            target=lambda: answers.update(
                bulk=server.request(
                    "POST",
                    "/api/v1/time-entries/bulk/",
                    token=token,
                    body={"entries": bulk_rows("crash", 300, date(2023, 1, 2))},
                )
            )
        )
        writer.start()
        threading.Event().wait(0.3)
        throwaway_postgres.stop()
        writer.join(timeout=60)

        # During: every API request is a prompt 503 JSON with Retry-After; /health/ is 503.
        during = [
            ("GET", "/api/v1/users/me/", None),
            ("GET", "/api/v1/time-entries/", None),
            ("GET", "/api/v1/leave-requests/", None),
            ("POST", "/api/v1/time-entries/", {"started_at": "2026-03-02T08:00:00Z", "ended_at": "2026-03-02T09:00:00Z",
                                               "description": "during the outage"}),
            ("POST", "/api/v1/timer/start/", {"description": "during the outage"}),
            ("POST", "/api/v1/auth/token/", {"username": "outage", "password": PASSWORD}),
        ]  # fmt: skip
        for method, path, body in during:
            answer = server.request(method, path, token=None if "auth" in path else token, body=body)
            assert answer.status == 503, (method, path, answer.status, answer.body)
            assert answer.is_json and answer.body["code"] == "unavailable", (path, answer.body)
            assert int(answer.headers["retry-after"]) >= 1, path
            assert answer.seconds <= CONNECT_TIMEOUT + 1, (path, answer.seconds)
        health = server.request("GET", "/health/")
        assert health.status == 503
        assert health.body["checks"]["database"] == "down"
        assert health.seconds <= CONNECT_TIMEOUT + 1

        # After: the cluster is back; the very first request succeeds.
        throwaway_postgres.start()
        first = server.request("GET", "/api/v1/users/me/", token=token)
        assert first.status == 200, (first.status, first.body, server.log())
        assert server.request("GET", "/health/").status == 200

        # Nothing half-written: the outage writes are absent, the bulk is all or nothing and the
        # client's answer says which; each stored entry has its audit row and its outbox event.
        assert rows(database_url, "SELECT count(*) FROM timetracking_timeentry WHERE description = %s",
                    "during the outage")[0][0] == 0  # fmt: skip
        crash_rows = rows(database_url, "SELECT count(*) FROM timetracking_timeentry WHERE description LIKE 'crash %%'")
        crash_answer = answers["bulk"]
        assert crash_answer.status in (201, 503), (crash_answer.status, crash_answer.body)
        assert crash_rows[0][0] == (300 if crash_answer.status == 201 else 0)
        entries = rows(database_url, "SELECT count(*) FROM timetracking_timeentry")[0][0]
        events = rows(database_url, "SELECT count(*) FROM webhooks_outboxevent WHERE event_type = 'time_entry.created'")
        audits = rows(database_url, "SELECT count(*) FROM accounts_auditevent WHERE action = 'time_entry.created'")
        assert entries == events[0][0] == audits[0][0] == 2 + crash_rows[0][0]

        # And writes work again.
        again = server.request(
            "POST", "/api/v1/time-entries/", token=token, body=bulk_rows("after", 1, date(2024, 7, 1))[0]
        )
        assert again.status == 201, again.body
    finally:
        server.stop()


# --- Redis ---------------------------------------------------------------------------------


class Receiver:
    """A webhook endpoint on a local port that records every delivery body."""

    def __init__(self):
        self.bodies = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                receiver.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self):
        return [json.loads(body) for body in self.bodies]


def start_worker(env, log_path):
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "--without-mingle",
         "--without-gossip", "-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "-l", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_redis_stopped_gives_no_server_error_and_loses_no_webhook_or_email(tmp_path):
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import OutgoingEmail
    from accounts.tests.factories import UserFactory
    from webhooks.models import Delivery, Endpoint, OutboxEvent

    redis = ThrowawayRedis(require(shutil.which("redis-server"), "redis-server"), tmp_path)
    receiver = Receiver()
    Endpoint.objects.create(url=receiver.url, events=["time_entry.created"])
    from leave.tests.factories import LeaveTypeFactory

    leave_type = LeaveTypeFactory(requires_approval=True, deducts_allowance=False)
    user = UserFactory(username="redis-outage", manager=UserFactory(username="redis-outage-manager"))
    user.set_password(PASSWORD)
    user.save()
    token = str(AccessToken.for_user(user))
    # The worker delivers to the receiver on 127.0.0.1, which webhooks may not reach by default.
    env = app_env(
        DATABASE_URL=test_database_url(),
        REDIS_URL=redis.url,
        CELERY_TASK_ALWAYS_EAGER="0",
        WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
    )
    # After a Redis failure each app process leaves Redis alone for this long (core.breaker).
    env["REDIS_BREAKER_SECONDS"] = str(BREAKER_SECONDS)
    redis.start()
    server = AppServer(env, tmp_path / "gunicorn.log")
    worker = None
    try:
        assert server.request("GET", "/health/").body["checks"]["cache"] == "ok"
        redis.stop()

        entry_body = {"started_at": "2026-03-02T08:00:00Z", "ended_at": "2026-03-02T09:00:00Z", "description": "x"}
        login = "/api/v1/auth/token/"
        during = {
            "login": server.request("POST", login, body={"username": user.username, "password": PASSWORD}),
            "bad login": server.request("POST", login, body={"username": user.username, "password": "no"}),
            "refresh with junk": server.request("POST", "/api/v1/auth/token/refresh/", body={"refresh": "junk"}),
            "anonymous": server.request("GET", "/api/v1/users/me/"),
            "me": server.request("GET", "/api/v1/users/me/", token=token),
            "entries": server.request("GET", "/api/v1/time-entries/", token=token),
            "balances": server.request("GET", "/api/v1/leave-balances/", token=token),
            "write": server.request("POST", "/api/v1/time-entries/", token=token, body=entry_body),
            "leave request": server.request("POST", "/api/v1/leave-requests/", token=token, body={
                "leave_type": leave_type.pk, "start_date": "2026-12-01", "end_date": "2026-12-01"}),
            "health": server.request("GET", "/health/"),
        }  # fmt: skip
        statuses = {name: answer.status for name, answer in during.items()}
        assert statuses == {
            "login": 200,
            "bad login": 401,
            "refresh with junk": 401,
            "anonymous": 401,
            "me": 200,
            "entries": 200,
            "balances": 200,
            "write": 201,
            "leave request": 201,  # its e-mail to the manager waits in the outbox
            "health": 200,  # the database answers; the health body names what is down
        }, (statuses, server.log())
        assert during["health"].body["checks"]["cache"] == "down"
        assert during["health"].body["checks"]["broker"] == "down"
        assert all(answer.seconds < 15 for answer in during.values()), str(
            {k: round(a.seconds, 2) for k, a in during.items()}
        )

        # The committed write's event waits in the outbox: the relay could not be enqueued.
        entry_id = during["write"].body["id"]
        event = OutboxEvent.objects.get(event_type="time_entry.created", payload__id=entry_id)
        assert event.relayed_at is None
        assert not receiver.bodies
        # So does the leave request's e-mail to the manager.
        waiting_email = OutgoingEmail.objects.get(user=user.manager)
        assert waiting_email.status == OutgoingEmail.Status.PENDING

        # Redis is back: a real worker, and the next write's relay sends every pending event.
        redis.start()
        worker = start_worker(env, tmp_path / "worker.log")
        # Every failure came before the restart: past the breaker's period every process tries
        # Redis again, so the next write's relay is queued (the breaker is per process, so no
        # request can tell when all of them have).
        threading.Event().wait(BREAKER_SECONDS)
        after = server.request("POST", "/api/v1/time-entries/", token=token, body={**entry_body, "started_at":
                               "2026-03-03T08:00:00Z", "ended_at": "2026-03-03T09:00:00Z"})  # fmt: skip
        assert after.status == 201, after.body

        def delivered():
            return [e for e in receiver.events() if e["type"] == "time_entry.created" and e["data"]["id"] == entry_id]

        assert wait_for(lambda: len(delivered()) == 1, timeout=60, interval=0.5), (
            receiver.bodies,
            (tmp_path / "worker.log").read_text(errors="replace")[-3000:],
        )
        event.refresh_from_db()
        assert event.relayed_at is not None
        assert Delivery.objects.get(event=event).status == Delivery.Status.SUCCEEDED
        # The next e-mail's task sends the one the outage left waiting too.
        second = server.request("POST", "/api/v1/leave-requests/", token=token, body={
            "leave_type": leave_type.pk, "start_date": "2026-12-02", "end_date": "2026-12-02"})  # fmt: skip
        assert second.status == 201, second.body
        manager_emails = OutgoingEmail.objects.filter(user=user.manager)
        assert wait_for(
            lambda: list(manager_emails.values_list("status", flat=True)) == [OutgoingEmail.Status.SENT] * 2,
            timeout=60,
            interval=0.5,
        ), (list(manager_emails.values_list("status", "last_error")), (tmp_path / "worker.log").read_text()[-3000:])
        threading.Event().wait(2)  # a duplicate would arrive by now
        assert len(delivered()) == 1
    finally:
        server.stop()
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        redis.stop()
