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
"""

import argparse
import contextlib
import http.client
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
LUA_SCRIPT = Path(__file__).resolve().parent / "lua" / "scenario.lua"
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
    parser.add_argument("--only", default="", help="Comma-separated scenario keys, e.g. a,b,h.")
    parser.add_argument("--profile", default="", help="Profile this scenario in-process with pyinstrument instead.")
    parser.add_argument("--profile-requests", type=int, default=200)
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
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }


# --- gunicorn ------------------------------------------------------------------------------------


class Server:
    """gunicorn as in docker-compose.yml (3 sync workers), bound to 127.0.0.1 only."""

    def __init__(self, port, log_path):
        self.port = port
        self.log_path = log_path
        self.process = None

    def start(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        command = [
            str(gunicorn),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "3",
            "--access-logfile",
            "-",
        ]
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, cwd=BASE_DIR, stdout=self.log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}: see {self.log_path}")
            try:
                # The bench server on 127.0.0.1.
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/", timeout=5) as response:  # nosec B310
                    if response.status == 200 and len(self.workers()) == 3:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"gunicorn did not become healthy in 60 s: see {self.log_path}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.process:
            self.log.close()

    def workers(self):
        pid = self.process.pid
        try:
            return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def reset_peak_rss(self):
        for pid in self.workers():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS

    def peak_rss_kib(self):
        peaks = []
        for pid in self.workers():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]))
            except OSError:
                pass
        return max(peaks, default=0)


# --- running the load --------------------------------------------------------------------------------


def run_wrk(scenario, context, *, port, duration, connections):
    from bench.scenarios import auth_headers

    users = scenario.users(context)
    auth_lines = []
    for index in range(connections):
        user = users[index % len(users)]
        ((name, value),) = auth_headers(scenario, context, user).items()
        auth_lines.append(f"{name}: {value}")
    env = {
        **os.environ,
        "BENCH_METHOD": scenario.method,
        "BENCH_PATH": scenario.path(context),
        "BENCH_STOP": scenario.stop_path() if scenario.mode == "timer" else "/",
        "BENCH_MODE": scenario.mode,
        "BENCH_AUTH": "\n".join(auth_lines),
        "BENCH_BASE": str(int(context.create_base.timestamp())),
        "BENCH_DURATION": "00:30",
    }
    command = [
        "wrk",
        f"--threads={connections}",
        f"--connections={connections}",
        f"--duration={duration}s",
        "--timeout=30s",
        f"--script={LUA_SCRIPT}",
        f"http://127.0.0.1:{port}",
    ]
    output = subprocess.run(  # noqa: S603 - a fixed command line
        command, env=env, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    for line in output.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            raw = json.loads(line.removeprefix("BENCH_RESULT "))
            seconds = raw["duration_us"] / 1e6
            return {
                "requests": raw["requests"],
                "rps": raw["requests"] / seconds if seconds else 0.0,
                "p50_ms": raw["p50_us"] / 1000,
                "p95_ms": raw["p95_us"] / 1000,
                "p99_ms": raw["p99_us"] / 1000,
                "max_ms": raw["max_us"] / 1000,
                "errors": raw["non_2xx"] + raw["socket_errors"],
            }
    raise RuntimeError(f"wrk printed no result for ({scenario.key}):\n{output.stdout}\n{output.stderr}")


def stream_export(url, headers, timeout=600):
    """One streamed GET: (rows, seconds, bytes). Rows are lines less the header line."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - 127.0.0.1 only
    began = time.perf_counter()
    lines = size = 0
    error = ""
    try:
        # http://127.0.0.1 only.
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
            status = response.status
            while chunk := response.read(1 << 16):
                lines += chunk.count(b"\n")
                size += len(chunk)
    except (OSError, http.client.HTTPException) as problem:
        # e.g. gunicorn's worker timeout (30 s by default) cutting a slow export short.
        status, error = 599, f"{type(problem).__name__} after {lines:,} rows"
    seconds = time.perf_counter() - began
    return {"status": status, "rows": max(0, lines - 1), "seconds": seconds, "bytes": size, "error": error}


def run_stream(scenario, context, server, port):
    """(i): the whole export, and a tenth of it, each in one streamed request; memory of each."""
    from bench.scenarios import auth_headers

    headers = auth_headers(scenario, context, context.hr)
    path = scenario.path(context)
    tenth_end = context.data_start + timedelta(days=context.dataset.scale["days"] // 10 - 1)
    small_path = scenario.export_path(context, context.data_start, tenth_end)
    results = {}
    for label, url_path in (("tenth", small_path), ("all", path)):
        server.reset_peak_rss()
        outcome = stream_export(f"http://127.0.0.1:{port}{url_path}", headers)
        outcome["peak_rss_kib"] = server.peak_rss_kib()
        results[label] = outcome
    whole = results["all"]
    return {
        "requests": 1,
        "rps": 1 / whole["seconds"] if whole["seconds"] else 0.0,
        "p50_ms": whole["seconds"] * 1000,
        "p95_ms": whole["seconds"] * 1000,
        "p99_ms": whole["seconds"] * 1000,
        "errors": int(whole["status"] != 200) + int(results["tenth"]["status"] != 200),
        "rows": whole["rows"],
        "rows_per_second": whole["rows"] / whole["seconds"] if whole["seconds"] else 0.0,
        "tenth_rows": results["tenth"]["rows"],
        "tenth_peak_rss_kib": results["tenth"]["peak_rss_kib"],
        "tenth_rows_per_second": results["tenth"]["rows"] / results["tenth"]["seconds"],
        "stream_errors": [outcome["error"] for outcome in results.values() if outcome["error"]],
        "peak_rss_kib": whole["peak_rss_kib"],
    }


# --- EXPLAIN ANALYZE -------------------------------------------------------------------------------------


def _explain_ms(cursor, sql):
    cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
    plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return plan[0]["Planning Time"] + plan[0]["Execution Time"]


def database_time_ms(captured, repeat=5):
    """The database's own time (EXPLAIN ANALYZE: planning + execution, median of `repeat`) for the
    aggregate the endpoint runs: the sum over its GROUP BY queries (a report runs one per time
    zone of the people in it); without any, its slowest query."""
    from django.db import connection

    selects = [query["sql"] for query in captured if query["sql"].lstrip().upper().startswith("SELECT")]
    if not selects:
        return None, ""
    chosen = [sql for sql in selects if "GROUP BY" in sql.upper()]
    with connection.cursor() as cursor:
        if not chosen:
            chosen = [max(selects, key=lambda sql: _explain_ms(cursor, sql))]
        runs = [sum(_explain_ms(cursor, sql) for sql in chosen) for _ in range(repeat)]
    return statistics.median(runs), ";\n".join(chosen)


# --- the report -----------------------------------------------------------------------------------------


def evaluate(results):
    """Add each scenario's ratios to the floor and whether its target holds."""
    floor = results.get("a")
    for key, row in results.items():
        if floor and floor.get("rps"):
            row["rps_ratio_to_floor"] = row["rps"] / floor["rps"]
            row["p50_ratio_to_floor"] = row["p50_ms"] / floor["p50_ms"] if floor["p50_ms"] else None
        if row.get("db_ms"):
            row["endpoint_to_db"] = row["p50_ms"] / row["db_ms"]
            if floor:
                # What the endpoint adds beyond the fixed cost of any authenticated request.
                row["endpoint_less_floor_to_db"] = (row["p50_ms"] - floor["p50_ms"]) / row["db_ms"]
        target, ok = None, None
        if key == "b" and floor:
            target, ok = "req/s >= 1/3 of (a)", row["rps"] >= floor["rps"] / 3
        elif key in ("c", "d") and floor:
            target, ok = "p50 <= 3x (a)", row["p50_ms"] <= 3 * floor["p50_ms"]
        elif key in ("e", "f", "h") and row.get("db_ms"):
            target, ok = "p50 <= 1.5x database", row["p50_ms"] <= 1.5 * row["db_ms"]
        elif key == "i" and row.get("tenth_peak_rss_kib"):
            target = ">= 100k rows/s, RSS(all) <= 1.2x RSS(1/10)"
            ok = row["rows_per_second"] >= 100_000 and row["peak_rss_kib"] <= 1.2 * row["tenth_peak_rss_kib"]
        if row.get("errors"):
            ok = False
        row["target"], row["target_met"] = target, ok
    return results


def format_table(results, scenarios):
    header = (
        f"{'':3} {'scenario':<42} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'SQL/req':>8} "
        f"{'RSS MiB':>8} {'x floor':>8} {'db ms':>8} {'ep/db':>6} {'ep-a/db':>7}  target"
    )
    lines = [header, "-" * len(header)]
    for scenario in scenarios:
        row = results.get(scenario.key)
        if row is None:
            lines.append(f"({scenario.key}) {scenario.title:<42} not available (endpoint missing)")
            continue
        queries = "+".join(str(count) for count in row.get("queries", [])) or "-"
        ratio = row.get("rps_ratio_to_floor")
        if scenario.key in ("c", "d") and row.get("p50_ratio_to_floor") is not None:
            ratio_text = f"p50 {row['p50_ratio_to_floor']:.2f}"
        else:
            ratio_text = f"{ratio:.2f}" if ratio is not None else "-"
        db = f"{row['db_ms']:.1f}" if row.get("db_ms") else "-"
        endpoint_db = f"{row['endpoint_to_db']:.2f}" if row.get("endpoint_to_db") else "-"
        less_floor = row.get("endpoint_less_floor_to_db")
        less_floor = f"{less_floor:.2f}" if less_floor is not None else "-"
        verdict = "" if row.get("target") is None else ("OK " if row["target_met"] else "MISS ") + row["target"]
        if row.get("errors"):
            verdict = f"{row['errors']} ERRORS " + verdict
        if scenario.key == "i" and "rows_per_second" in row:
            verdict += (
                f" [{row['rows']:,} rows at {row['rows_per_second']:,.0f} rows/s; 1/10: {row['tenth_rows']:,} rows "
                f"at {row['tenth_rows_per_second']:,.0f} rows/s, RSS {row['tenth_peak_rss_kib'] / 1024:.0f} MiB]"
            )
            if row["stream_errors"]:
                verdict += f" [{'; '.join(row['stream_errors'])}]"
        lines.append(
            f"({scenario.key}) {scenario.title:<42} {row['rps']:>8.1f} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
            f"{row['p99_ms']:>8.1f} {queries:>8} {row.get('peak_rss_kib', 0) / 1024:>8.0f} {ratio_text:>8} {db:>8} "
            f"{endpoint_db:>6} {less_floor:>7}  {verdict}"
        )
    return "\n".join(lines)


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

    from bench.scenarios import BY_KEY, auth_headers

    scenario = BY_KEY[args.profile]
    context = _context(scale)
    client = Client(HTTP_HOST="127.0.0.1")
    headers = auth_headers(scenario, context, scenario.users(context)[0])
    scenario.count_queries(context, client, headers, repeat=2)  # warm up
    profiler = Profiler(interval=0.0005)
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
    print(profiler.output_text(unicode=True, color=False))
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

    from bench.scenarios import SCENARIOS, measure_queries

    only = {key.strip() for key in args.only.split(",") if key.strip()}
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
    server = Server(args.port, RESULTS_DIR / "gunicorn.log")
    print(f"Starting gunicorn (3 workers) on 127.0.0.1:{args.port}...")
    server.start()
    try:
        run_wrk(SCENARIOS[0], context, port=args.port, duration=3, connections=args.connections)  # warm-up
        for scenario in available:
            print(f"  ({scenario.key}) {scenario.title}...", flush=True)
            try:
                results[scenario.key].update(_measure(scenario, context, server, args))
            except (RuntimeError, OSError, subprocess.SubprocessError) as error:
                print(f"      failed: {error}", flush=True)
                results[scenario.key].update({"rps": 0.0, "p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "errors": 1})
    finally:
        server.stop()
    context.clean_writes()
    connections.close_all()
    return _report(args, scale, generation_seconds, scenarios, results)


def _measure(scenario, context, server, args):
    server.reset_peak_rss()
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
        f"Machine: {machine}; gunicorn 3 sync workers; per scenario wrk {args.duration} s with 1 connection "
        f"(latency) then {args.duration} s with {args.connections} (throughput)"
    )
    print(f"Data generated (or reused) in {generation_seconds:.0f} s")
    print(table)
    report = {
        "machine": machine,
        "scale": scale.as_dict(),
        "generation_seconds": generation_seconds,
        "duration_seconds": args.duration,
        "connections": args.connections,
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
