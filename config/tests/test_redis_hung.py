"""Issue 14: a hung Redis is not a dead Redis.

The app under gunicorn (as in production) against a throwaway redis-server of the test's own,
which the test first leaves up (to measure normal latency in this same run), then hangs
(SIGSTOP: connections open, nothing answers) or stops (connections refused). In each phase, real
requests of several kinds: a time-entry POST with an Idempotency-Key, a list GET, a leave request
(whose e-mail goes through the outbox) and /health/.

What must hold while Redis is hung or refused: every request answers with its normal answer
(writes 2xx, never 5xx) within its normal time + 1 s, /health/ within 2 s naming cache and broker
"down" (200: the database answers, as README says), one row per 2xx answer and no row without
one, each write's webhook event and e-mail waiting in their outboxes; and once Redis answers
again, a retry with the same Idempotency-Key replays the first answer (not 409 in progress).

The figures of each phase are printed (`pytest -s`).
"""

import shutil
import statistics
from datetime import UTC, date, datetime, time, timedelta

import pytest

from config.tests.servers import AppServer, ThrowawayRedis, app_env, require, test_database_url

# Bounds on answer times: run alone after the parallel suite (make test), never beside other tests' load.
pytestmark = pytest.mark.serial

ROUNDS = 8  # each round sends one request of each kind
KINDS = ("time-entry POST", "time-entry list", "leave request", "health")
WRITES = ("time-entry POST", "leave request")
# The breaker closes after 1 s here (5 s by default), so each phase also meets breakers that
# close and try Redis again: those requests pay the socket timeout, and must stay within bounds.
BREAKER_SECONDS = 1
MARGIN_SECONDS = 1.0  # the bound over normal latency
HEALTH_SECONDS = 2.0
NO_ANSWER_AFTER = 20  # the client gives up: the server is wedged (the code before issue 14)


def entry_body(phase, number):
    started = datetime.combine(PHASE_START[phase] + timedelta(days=number), time(8), tzinfo=UTC)
    return {
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(hours=1)).isoformat(),
        "description": f"{phase} {number}",
    }


# One year per phase: no entry or leave request of one phase overlaps another's.
PHASE_START = {"normal": date(2025, 2, 3), "hung": date(2024, 2, 5), "refused": date(2023, 2, 6)}


def leave_day(phase, number):
    """A Wednesday (never a public holiday in March/April) per round, in the phase's year."""
    first = date(PHASE_START[phase].year + 4, 3, 1)
    first += timedelta(days=(2 - first.weekday()) % 7)
    return first + timedelta(weeks=number)


class Phase:
    def __init__(self, name):
        self.name = name
        self.answers = {kind: [] for kind in KINDS}  # Answer, or None: no answer in time
        self.idempotent = []  # (key, body, answer) of each time-entry POST

    def statuses(self, kind):
        return [answer.status if answer else None for answer in self.answers[kind]]

    def seconds(self, kind):
        return [answer.seconds for answer in self.answers[kind] if answer]

    def count(self, kind, low, high):
        return sum(1 for status in self.statuses(kind) if status is not None and low <= status < high)

    def figures(self, rows):
        lines = [f"Redis {self.name}:"]
        for kind in KINDS:
            seconds = self.seconds(kind) or [float("nan")]
            unanswered = self.statuses(kind).count(None)
            lines.append(
                f"  {kind:16} requests={len(self.answers[kind]):2} 2xx={self.count(kind, 200, 300):2} "
                f"5xx={self.count(kind, 500, 600)} no-answer={unanswered} "
                f"p50={statistics.median(seconds):.3f}s max={max(seconds):.3f}s"
                + (f" rows={rows[kind]}" if kind in rows else "")
            )
        return "\n".join(lines)


def run_phase(server, token, leave_type_id, name):
    """ROUNDS requests of each kind, one after the other (as one client would)."""
    phase = Phase(name)
    for number in range(ROUNDS):
        body = entry_body(name, number)
        key = f"issue-14-{name}-{number}"
        requests = {
            "time-entry POST": ("POST", "/api/v1/time-entries/", body, {"Idempotency-Key": key}),
            "time-entry list": ("GET", "/api/v1/time-entries/?page_size=20", None, None),
            "leave request": ("POST", "/api/v1/leave-requests/", {"leave_type": leave_type_id,
                              "start_date": str(leave_day(name, number)), "end_date": str(leave_day(name, number))},
                              None),
            "health": ("GET", "/health/", None, None),
        }  # fmt: skip
        for kind, (method, path, request_body, headers) in requests.items():
            try:
                answer = server.request(
                    method,
                    path,
                    token=None if kind == "health" else token,
                    body=request_body,
                    headers=headers,
                    timeout=NO_ANSWER_AFTER,
                )
            except OSError:  # no answer in time: the server is wedged, the rest would only wait too
                phase.answers[kind].append(None)
                return phase
            phase.answers[kind].append(answer)
            if kind == "time-entry POST":
                phase.idempotent.append((key, body, answer))
    return phase


def emails_to(manager):
    from accounts.models import OutgoingEmail

    return OutgoingEmail.objects.filter(user=manager, status=OutgoingEmail.Status.PENDING).count()


def rows_written(phase_name):
    from leave.models import LeaveRequest
    from timetracking.models import TimeEntry
    from webhooks.models import OutboxEvent

    entries = TimeEntry.objects.filter(description__startswith=f"{phase_name} ")
    days = [leave_day(phase_name, number) for number in range(ROUNDS)]
    leave = LeaveRequest.objects.filter(start_date__in=days)
    entry_ids = list(entries.values_list("pk", flat=True))
    events = OutboxEvent.objects.filter(event_type="time_entry.created", payload__id__in=entry_ids)
    return {
        "time-entry POST": entries.count(),
        "leave request": leave.count(),
        "events": events.count(),
    }


@pytest.fixture
def outage_app(tmp_path):
    """A user with a manager, a leave type, a running throwaway Redis and the app served against
    it and the test database (committed rows: a transactional test)."""
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.tests.factories import UserFactory
    from leave.tests.factories import LeaveTypeFactory

    redis = ThrowawayRedis(require(shutil.which("redis-server"), "redis-server"), tmp_path)
    leave_type = LeaveTypeFactory(requires_approval=True, deducts_allowance=False)
    user = UserFactory(username="hung-redis", manager=UserFactory(username="hung-redis-manager"))
    token = str(AccessToken.for_user(user))
    redis.start()
    env = app_env(
        DATABASE_URL=test_database_url(),
        REDIS_URL=redis.url,
        CELERY_TASK_ALWAYS_EAGER="0",
        REDIS_BREAKER_SECONDS=str(BREAKER_SECONDS),
    )
    server = AppServer(env, tmp_path / "gunicorn.log")
    try:
        # Warm both workers (imports, connections, the holiday calendars) before measuring normal.
        for _ in range(4):
            server.request("GET", "/api/v1/time-entries/", token=token)
            server.request("GET", "/api/v1/leave-balances/", token=token)
        yield server, redis, token, leave_type.pk, user.manager
    finally:
        server.stop()
        redis.stop()


def check_outage(server, normal, outage, emails_waiting):
    """`emails_waiting`: the e-mails the outage's leave requests left in the outbox."""
    rows = rows_written(outage.name)
    print()
    print(normal.figures(rows_written(normal.name)))
    print(outage.figures(rows))
    print(f"  rows vs 2xx: entries {rows['time-entry POST']} vs {outage.count('time-entry POST', 200, 300)}, "
          f"leave requests {rows['leave request']} vs {outage.count('leave request', 200, 300)}; "
          f"webhook events in the outbox {rows['events']}, e-mails waiting {emails_waiting}")  # fmt: skip
    log = server.log()

    # Normal answers, every one of them, and no 5xx.
    expected = {"time-entry POST": 201, "time-entry list": 200, "leave request": 201, "health": 200}
    for kind, status in expected.items():
        assert normal.statuses(kind) == [status] * ROUNDS, (kind, normal.statuses(kind), log)
        assert outage.statuses(kind) == [status] * ROUNDS, (kind, outage.statuses(kind), log)
    assert all(outage.count(kind, 500, 600) == 0 for kind in KINDS)

    # Within normal time + 1 s each (normal: the slowest of the same kind with Redis up, this run),
    # and typically no slower at all: the breaker spares most requests even the socket timeout.
    for kind in KINDS:
        bound = max(normal.seconds(kind)) + MARGIN_SECONDS
        assert max(outage.seconds(kind)) < bound, (kind, outage.seconds(kind), bound)
        assert statistics.median(outage.seconds(kind)) < statistics.median(normal.seconds(kind)) + 0.5, kind
    assert max(outage.seconds("health")) < HEALTH_SECONDS
    for answer in outage.answers["health"]:
        assert answer.body["checks"] == {"database": "ok", "cache": "down", "broker": "down"}, answer.body

    # One row per 2xx answer; each write's webhook event and e-mail wait in their outboxes.
    assert rows["time-entry POST"] == outage.count("time-entry POST", 200, 300) == ROUNDS
    assert rows["leave request"] == outage.count("leave request", 200, 300) == ROUNDS
    assert rows["events"] == ROUNDS
    assert emails_waiting == ROUNDS


def check_replay_once_redis_answers(server, token, outage):
    """The client did get its answers; a retry of one (same key, same body) now replays it."""
    from timetracking.models import TimeEntry

    for key, body, first in outage.idempotent[:2]:
        again = server.request(
            "POST", "/api/v1/time-entries/", token=token, body=body, headers={"Idempotency-Key": key}
        )
        assert again.status == first.status == 201, (again.status, again.body)
        assert again.headers.get("idempotent-replayed") == "true"
        assert again.body == first.body
    assert TimeEntry.objects.filter(description__startswith=f"{outage.name} ").count() == ROUNDS


@pytest.mark.django_db(transaction=True)
def test_redis_hung_every_request_answers_normally_and_promptly(outage_app):
    server, redis, token, leave_type_id, manager = outage_app
    normal = run_phase(server, token, leave_type_id, "normal")
    emails_before = emails_to(manager)
    redis.pause()
    try:
        hung = run_phase(server, token, leave_type_id, "hung")
    finally:
        redis.resume()
    check_outage(server, normal, hung, emails_to(manager) - emails_before)
    check_replay_once_redis_answers(server, token, hung)


@pytest.mark.django_db(transaction=True)
def test_redis_refused_every_request_answers_normally_and_promptly(outage_app):
    server, redis, token, leave_type_id, manager = outage_app
    normal = run_phase(server, token, leave_type_id, "normal")
    emails_before = emails_to(manager)
    redis.stop()
    try:
        refused = run_phase(server, token, leave_type_id, "refused")
    finally:
        redis.start()
    check_outage(server, normal, refused, emails_to(manager) - emails_before)
    check_replay_once_redis_answers(server, token, refused)
