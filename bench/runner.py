"""`make bench`: generate (or reuse) the data, serve the app with gunicorn, load it with wrk, report.

Steps, all on this machine (127.0.0.1 only):
1. Refuse anything but PostgreSQL; create the database if it is missing; migrate.
2. `bench_generate` (reuses the data when its marker matches; a stale data set is rebuilt).
3. Count each scenario's SQL queries in-process (Django's test client, CaptureQueriesContext),
   and keep the SQL of (e), (f), (h) for EXPLAIN ANALYZE.
4. Start gunicorn with the production settings and the docker-compose command, bound to
   127.0.0.1; run each scenario for a bounded time with wrk (bench/lua/scenario.lua).
5. Peak RSS of the workers per scenario (/proc/<pid>/status VmHWM, reset through clear_refs).
6. Print the table; write bench/results/latest.json.

`python -m bench --profile b` instead profiles one scenario in-process with pyinstrument.

gunicorn and wrk are driven by bench/load.py; the figures and the table come from bench/report.py.
"""

# Imports of Django, the apps and bench.scenarios sit inside the functions: this module is imported
# before django.setup() (the runner first chooses and creates the benchmark's database).

import argparse
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from urllib.parse import urlsplit

from bench.load import Server, run_stream, run_wrk
from bench.report import database_time_ms, evaluate, format_table

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/timetrack_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
GENERATION_LIMIT_SECONDS = 180
UNLIMITED = "1000000/minute"


def _fail(message):
    print(f"make bench: {message}", file=sys.stderr)
    return 2


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--duration",
        type=int,
        default=8,
        help="Seconds of each of the two load phases of a scenario: latency, then throughput (default 8).",
    )
    parser.add_argument("--connections", type=int, default=4, help="wrk connections = threads (default 4).")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn sync workers (default 3, as docker-compose.yml)."
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="Measure every scenario this many times, in turn, and keep each one's best round "
        "(a machine shared with other work: its load only ever slows a round down).",
    )
    parser.add_argument(
        "--only",
        default="",
        help="Comma-separated scenario keys, e.g. r,a,b; the plain view (p), every ratio's reference, always runs.",
    )
    parser.add_argument("--profile", default="", help="Profile this scenario in-process with pyinstrument instead.")
    parser.add_argument("--profile-requests", type=int, default=200)
    parser.add_argument("--profile-all", action="store_true", help="Show every frame, the libraries' too.")
    parser.add_argument(
        "--small", action="store_true", help="A small data set (for trying the harness; not comparable)."
    )
    return parser.parse_args(argv)


# --- the database ------------------------------------------------------------------------------


def _admin_connection(database_url):
    import psycopg

    parts = urlsplit(database_url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )


def _database_name(database_url):
    return urlsplit(database_url).path.lstrip("/")


def ensure_database(database_url, recreate=False):
    from psycopg import sql

    name = _database_name(database_url)
    with _admin_connection(database_url) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and recreate:
            print(f"Dropping the stale benchmark database {name}")
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            print(f"Creating the database {name}")
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# --- the environment of the server (and of this process) ------------------------------------------


def production_environment(database_url, redis_url, port):
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        "SECURE_HTTPS": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        # The throttles are lifted: the benchmark measures the app, not the rate limiter's answer.
        "THROTTLE_USER_RATE": UNLIMITED,
        "THROTTLE_ANON_RATE": UNLIMITED,
        "THROTTLE_AUTH_RATE": UNLIMITED,
        # The tokens minted before the run must outlive it.
        "JWT_ACCESS_TOKEN_LIFETIME_MINUTES": "600",
        # (i) streams the whole export in the request instead of handing it to a Celery job.
        "REPORTS_ASYNC_EXPORT_THRESHOLD": "100000000",
        "LOG_LEVEL": "WARNING",
        # config.settings plus the reference views (p), (q), (r) of bench/urls.py: only here.
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }


# --- main --------------------------------------------------------------------------------------------------


def main(argv):
    args = parse_args(argv)
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith(("postgres://", "postgresql://")):
        return _fail(
            f"the benchmark runs on PostgreSQL only, not {database_url.split(':')[0]}. "
            f"Unset DATABASE_URL (default {DEFAULT_DATABASE_URL}) or point it at a PostgreSQL server."
        )
    if not args.profile and shutil.which("wrk") is None:
        return _fail("wrk is not installed (Debian/Ubuntu: apt-get install wrk).")
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    try:
        ensure_database(database_url)
    except Exception as error:  # noqa: BLE001 - any connection problem is reported the same way
        return _fail(f"cannot reach PostgreSQL at {database_url}: {error}")
    os.environ.update(production_environment(database_url, redis_url, args.port))
    sys.path.insert(0, str(BASE_DIR))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from accounts.models import User
    from bench.generator import FULL, USERNAME_PREFIX, Scale, find_dataset

    small = Scale(users=100, entries=100_000, leave_requests=3000, factories=10, sprockets=100_000)
    scale = small if args.small else FULL
    call_command("migrate", verbosity=0)
    if find_dataset(scale) is None and User.objects.filter(username__startswith=USERNAME_PREFIX).exists():
        connections.close_all()
        ensure_database(database_url, recreate=True)
        call_command("migrate", verbosity=0)
    if redis_url == DEFAULT_REDIS_URL:
        # No Celery worker runs during the benchmark: drop the tasks the last run's writes queued
        # (only in the benchmark's own Redis database).
        from celery import current_app as celery_app  # config/celery.py's app, current once Django is set up

        celery_app.control.purge()
    began = time.perf_counter()
    call_command("bench_generate", **scale.as_dict())
    generation_seconds = time.perf_counter() - began
    call_command("collectstatic", interactive=False, verbosity=0)

    if args.profile:
        return profile(args, scale)
    return run(args, scale, generation_seconds)


def _context(scale):
    from bench.generator import find_dataset
    from bench.scenarios import Context, prepare_auth

    context = prepare_auth(Context.load(find_dataset(scale)))
    context.clean_writes()
    return context


def profile(args, scale):
    """Profile one scenario's request in-process (the same code path as a worker) with pyinstrument."""
    from django.test import Client
    from pyinstrument import Profiler

    from bench.scenarios import BY_KEY, auth_headers, priced_rates

    scenario = BY_KEY[args.profile]
    context = _context(scale)
    client = Client(HTTP_HOST="127.0.0.1")
    headers = auth_headers(scenario, context, scenario.users(context)[0])
    profiler = Profiler(interval=0.0005)
    with priced_rates(context) if scenario.priced else nullcontext():
        scenario.count_queries(context, client, headers, repeat=2)  # warm up
        profiler.start()
        for number in range(args.profile_requests):
            scenario.count_queries(context, client, headers, repeat=1) if number == 0 else _send_once(
                scenario, context, client, headers, number
            )
        profiler.stop()
    context.clean_writes()
    RESULTS_DIR.mkdir(exist_ok=True)
    target = RESULTS_DIR / f"profile-{scenario.key}.txt"
    target.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    (RESULTS_DIR / f"profile-{scenario.key}.html").write_text(profiler.output_html())
    print(profiler.output_text(unicode=True, color=False, show_all=args.profile_all))
    print(f"Profile written to {target} (and .html)")
    return 0


def _send_once(scenario, context, client, headers, number):
    from bench.scenarios import _send

    response = _send(client, scenario.method, scenario.path(context), scenario.body(context, 20_000 + number), headers)
    if scenario.mode == "timer":
        _send(client, "POST", scenario.stop_path(), "{}", headers)
    if scenario.stream and hasattr(response, "streaming_content"):
        for _chunk in response.streaming_content:
            pass


def run(args, scale, generation_seconds):
    from django.db import connections

    from bench.scenarios import BY_KEY, SCENARIOS, measure_queries

    only = {key.strip() for key in args.only.split(",") if key.strip()}
    if only:
        only.add("p")  # the reference of every ratio
    scenarios = [scenario for scenario in SCENARIOS if not only or scenario.key in only]
    available = [scenario for scenario in scenarios if scenario.available()]
    context = _context(scale)

    print("Counting SQL queries per request (in-process test client)...")
    counted = measure_queries(context, available, capture_sql=True)
    results = {}
    for scenario in available:
        row = {"title": scenario.title, "queries": counted[scenario.key]["queries"]}
        bad = [status for status in counted[scenario.key]["status"] if status >= 300]
        if bad:
            print(f"  ({scenario.key}) answered {bad} in-process: check the scenario", file=sys.stderr)
        if scenario.explain:
            row["db_ms"], row["db_sql"] = database_time_ms(counted[scenario.key]["sql"])
        results[scenario.key] = row
    connections.close_all()

    RESULTS_DIR.mkdir(exist_ok=True)
    server = Server(args.port, RESULTS_DIR / "gunicorn.log", workers=args.workers)
    print(f"Starting gunicorn ({args.workers} workers) on 127.0.0.1:{args.port}...")
    server.start()
    try:
        run_wrk(BY_KEY["a"], context, port=args.port, duration=3, connections=args.connections)  # warm-up
        measured_rounds = {scenario.key: [] for scenario in available}
        for round_number in range(args.rounds):
            if args.rounds > 1:
                print(f"  round {round_number + 1} of {args.rounds}", flush=True)
            for scenario in available:
                if scenario.stream and round_number:
                    continue  # one long request: once is enough
                print(f"  ({scenario.key}) {scenario.title}...", flush=True)
                try:
                    measured_rounds[scenario.key].append(_measure(scenario, context, server, args))
                except (RuntimeError, OSError, subprocess.SubprocessError) as error:
                    print(f"      failed: {error}", flush=True)
                    failed = {"rps": 0.0, "p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "errors": 1}
                    measured_rounds[scenario.key].append(failed)
        for key, rounds in measured_rounds.items():
            results[key].update(best_round(rounds))
    finally:
        server.stop()
    context.clean_writes()
    connections.close_all()
    return _report(args, scale, generation_seconds, scenarios, results)


def best_round(rounds):
    """Of several rounds of one scenario, the throughput of the round with the most requests per
    second and the latencies of the round with the lowest p50 (the machine's other load only ever
    slows a round down). Errors of every round count."""
    finished = [measured for measured in rounds if not measured.get("errors")] or rounds
    best = dict(max(finished, key=lambda measured: measured["rps"]))
    fastest = min(finished, key=lambda measured: measured["p50_ms"])
    best.update({key: fastest[key] for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms") if key in fastest})
    best["errors"] = sum(measured.get("errors", 0) for measured in rounds)
    best["rounds"] = len(rounds)
    return best


def _measure(scenario, context, server, args):
    from bench.scenarios import priced_rates

    if scenario.priced:
        with priced_rates(context):
            return _measure_now(scenario, context, server, args)
    return _measure_now(scenario, context, server, args)


def _measure_now(scenario, context, server, args):
    server.reset_peak_rss()
    if scenario.mode != "plain":
        context.clean_writes()  # an earlier round's entries and timers
    if scenario.stream:
        measured = run_stream(scenario, context, server, args.port)
        for error in measured["stream_errors"]:
            print(f"      {error} (see {server.log_path})", flush=True)
        return measured
    # Latency with one connection (the time one request takes, comparable with the database's
    # own time), then throughput with several (every worker kept busy).
    latency = run_wrk(scenario, context, port=args.port, duration=args.duration, connections=1)
    if scenario.mode != "plain":
        context.clean_writes()  # the next phase starts its timeline and its timers afresh
    measured = run_wrk(scenario, context, port=args.port, duration=args.duration, connections=args.connections)
    measured.update({key: latency[key] for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")})
    measured["errors"] += latency["errors"]
    measured["peak_rss_kib"] = server.peak_rss_kib()
    return measured


def _report(args, scale, generation_seconds, scenarios, results):
    evaluate(results)
    table = format_table(results, scenarios)
    machine = f"{os.cpu_count()} cores, {_memory_gib():.0f} GiB, {platform.system()} {platform.release()}"
    print()
    print(f"Benchmark: {scale.entries:,} time entries, {scale.sprockets:,} sprockets, {scale.users:,} users")
    print(
        f"Machine: {machine}; gunicorn {args.workers} sync workers; per scenario wrk {args.duration} s with "
        f"1 connection (latency) then {args.duration} s with {args.connections} (throughput), best of {args.rounds}"
    )
    print(f"Data generated (or reused) in {generation_seconds:.0f} s")
    print(table)
    report = {
        "machine": machine,
        "scale": scale.as_dict(),
        "generation_seconds": generation_seconds,
        "duration_seconds": args.duration,
        "connections": args.connections,
        "workers": args.workers,
        "rounds": args.rounds,
        "scenarios": results,
        "table": table,
    }
    (RESULTS_DIR / "latest.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"\nWritten to {RESULTS_DIR / 'latest.json'}")
    missed = [key for key, row in results.items() if row.get("target_met") is False]
    if missed:
        print(f"Targets missed: {', '.join(missed)}")
    return 0


def _memory_gib():
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0
