"""The health checks of docker-compose.yml, one command per service (exit 0: healthy):

    python -m config.healthcheck web [--port 8000]     /health/ on 127.0.0.1 answers 200
    python -m config.healthcheck worker                this host's Celery worker answers a ping
    python -m config.healthcheck beat [--schedule F]   Celery beat ticked within HEARTBEAT_MAX_AGE

Beat keeps no socket to ask: run it with `--scheduler config.healthcheck:HeartbeatScheduler`, which
touches `<schedule file>.heartbeat` on every tick.
"""

import argparse
import http.client
import socket
import sys
import time
from pathlib import Path

from celery.beat import PersistentScheduler

from config.celery import app

# Beat's own file in its container, as docker-compose.yml names it.
DEFAULT_SCHEDULE = "/tmp/celerybeat-schedule"  # noqa: S108  # nosec B108
# Beat ticks at least every max_interval seconds (and sooner when a task is due).
BEAT_MAX_INTERVAL = 60
HEARTBEAT_MAX_AGE = 3 * BEAT_MAX_INTERVAL


def heartbeat_path(schedule):
    return Path(f"{schedule}.heartbeat")


class HeartbeatScheduler(PersistentScheduler):
    """Celery's default scheduler (the schedule kept in a file), leaving a heartbeat on every tick."""

    max_interval = BEAT_MAX_INTERVAL

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        heartbeat_path(self.schedule_filename).touch()
        return interval


def check_web(port):
    """/health/ answers without consulting ALLOWED_HOSTS (config.health.HealthCheckMiddleware), so
    the container can ask 127.0.0.1 whatever the real host name is."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/health/")
        response = connection.getresponse()
        body = response.read(500).decode(errors="replace")
    except OSError as error:
        return f"web: /health/ on port {port} did not answer: {error}"
    finally:
        connection.close()
    return None if response.status == 200 else f"web: /health/ answered {response.status}: {body}"


def check_worker():

    node = f"celery@{socket.gethostname()}"
    try:
        replies = app.control.ping(destination=[node], timeout=5)
    except Exception as error:  # noqa: BLE001 - a broker error means unhealthy, with its message
        return f"worker: could not ask {node}: {error}"
    return None if replies else f"worker: {node} did not answer a ping within 5 s"


def check_beat(schedule):
    path = heartbeat_path(schedule)
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return f"beat: no heartbeat at {path} (is beat running with --scheduler {__name__}:HeartbeatScheduler?)"
    if age > HEARTBEAT_MAX_AGE:
        return f"beat: last tick {age:.0f} s ago (more than {HEARTBEAT_MAX_AGE} s)"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m config.healthcheck", description=__doc__.splitlines()[0])
    services = parser.add_subparsers(dest="service", required=True)
    services.add_parser("web").add_argument("--port", type=int, default=8000)
    services.add_parser("worker")
    services.add_parser("beat").add_argument("--schedule", default=DEFAULT_SCHEDULE)
    args = parser.parse_args(argv)
    if args.service == "web":
        problem = check_web(args.port)
    elif args.service == "worker":
        problem = check_worker()
    else:
        problem = check_beat(args.schedule)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
