"""Serving and loading for `make bench`: gunicorn bound to 127.0.0.1 (Server), wrk per scenario
(bench/lua/scenario.lua), and the streamed export of (i) read in one request."""

# Imports of Django, the apps and bench.scenarios sit inside the functions: this module is imported
# before django.setup() (the runner first chooses and creates the benchmark's database).

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
LUA_SCRIPT = Path(__file__).resolve().parent / "lua" / "scenario.lua"


# --- gunicorn ------------------------------------------------------------------------------------


class Server:
    """gunicorn as in docker-compose.yml (3 sync workers unless told), bound to 127.0.0.1 only."""

    def __init__(self, port, log_path, workers=3):
        self.port = port
        self.worker_count = workers
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
            str(self.worker_count),
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
                    if response.status == 200 and len(self.workers()) == self.worker_count:
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
