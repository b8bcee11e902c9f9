"""Real processes for the outage and production-settings tests: the app under gunicorn (as in
docker-compose.yml), a throwaway PostgreSQL cluster and a throwaway Redis, each on a free port,
each stopped and started by the test itself."""

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection


def require(path, what):
    """The path of a binary the test needs; missing → skip, but under CI=true → fail (like the
    browser tests): CI must never pass by not running the proof."""
    if path and os.path.exists(path):
        return path
    reason = f"{what} is not installed; the outage proofs need it"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: {reason}")
    pytest.skip(reason)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def test_database_url():
    """The pytest test database as a DATABASE_URL another process can use (committed rows only:
    use it from transactional tests)."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    credentials = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgres://{credentials}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{config['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


def app_env(**extra):
    """The environment of a production-like app process: DEBUG off, no pytest markers."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTEST_VERSION", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL", "DEBUG", "SECRET_KEY")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": settings.SECRET_KEY,  # tokens signed by the test process are valid there
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_HTTPS": "0",
        }
    )
    env.update(extra)
    return env


@dataclass
class Answer:
    status: int
    headers: dict
    body: object
    seconds: float

    @property
    def is_json(self):
        return self.headers.get("content-type", "").startswith("application/json")


class LoggedProcess:
    """A server process of a test's own whose output goes to `log_path`."""

    process: subprocess.Popen
    log_path: object

    def log(self):
        return self.log_path.read_text(errors="replace")[-5000:]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class AppServer(LoggedProcess):
    """gunicorn serving config.wsgi, as the `web` service of docker-compose.yml."""

    def __init__(self, env, log_path, workers=2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "60",
                "--graceful-timeout",
                "2",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log_path.open("ab"),
            stderr=subprocess.STDOUT,
        )
        if not wait_for(self._answers, timeout=60, interval=0.2):
            self.stop()
            raise AssertionError(f"gunicorn did not start:\n{self.log()}")

    def _answers(self):
        try:
            self.request("GET", "/health/", timeout=5)
        except OSError:
            return False
        return True

    def request(self, method, path, *, token=None, body=None, timeout=30, headers=None):
        headers = {"Accept": "application/json", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # The URL is always http://127.0.0.1:<port> of the server this test started.
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)  # noqa: S310
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - local test server
                status, raw, answer_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, answer_headers = error.code, error.read(), error.headers
        seconds = time.monotonic() - started
        headers = {name.lower(): value for name, value in answer_headers.items()}
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Answer(status, headers, parsed, seconds)


class CeleryWorker:
    """A real Celery worker process (solo pool, as one docker-compose worker) on the real Redis
    broker and the test database, to be killed mid-task by the test."""

    def __init__(self, log_path, **env):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-P",
                "solo",
                "--without-mingle",
                "--without-gossip",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
                "-l",
                "WARNING",
            ],
            cwd=settings.BASE_DIR,
            env=app_env(
                DATABASE_URL=test_database_url(),
                REDIS_URL=settings.REDIS_URL,
                CELERY_TASK_ALWAYS_EAGER="0",
                **env,
            ),
            stdout=log_path.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def kill(self):
        """SIGKILL: the worker dies at once, its task neither finished nor acknowledged."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def postgresql_bin_dir():
    """Debian's server binaries (postgresql-NN), newest version first; None when absent."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(candidates[-1]) if candidates else None


class ThrowawayPostgres:
    """A PostgreSQL cluster of our own in a temporary directory, on a free port. PostgreSQL
    refuses to run as root, so under root (CI) its binaries run as the `postgres` user."""

    def __init__(self, bin_dir):
        self.bin_dir = bin_dir
        self.port = free_port()
        self.root = tempfile.mkdtemp(prefix="timetrack-outage-pg-")
        self.data = os.path.join(self.root, "data")
        self.logfile = os.path.join(self.root, "server.log")
        self.as_root = os.geteuid() == 0
        if self.as_root:
            import pwd

            postgres = pwd.getpwnam("postgres")
            os.chown(self.root, postgres.pw_uid, postgres.pw_gid)
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def _run(self, binary, *args, check=True):
        command = [os.path.join(self.bin_dir, binary), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=check)

    def url(self, database="timetrack", **options):
        query = "&".join(f"{key}={value}" for key, value in options.items())
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}" + (f"?{query}" if query else "")

    def start(self):
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", self.data, "-l", self.logfile, "-o", options, "-w", "-t", "60", "start")

    def stop(self):
        """Stop as a crash would: no checkpoint, every connection cut."""
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def create_database(self, name="timetrack"):
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    def destroy(self):
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


class ThrowawayRedis:
    """redis-server on a free port, nothing persisted; stopped and started again on the same port."""

    def __init__(self, binary, workdir):
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert wait_for(self.answers, timeout=20), "redis-server did not start"

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def pause(self):
        """SIGSTOP: Redis hangs, as on a frozen host. Its port still accepts connections (the kernel
        completes them) and every open connection stays open, but nothing answers."""
        self.process.send_signal(signal.SIGSTOP)
        assert not self.answers()

    def resume(self):
        """SIGCONT: Redis answers again, with everything it held."""
        self.process.send_signal(signal.SIGCONT)
        assert wait_for(self.answers, timeout=20), "redis-server did not resume"

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a paused one too
            self.process.kill()  # as a crash: no shutdown handshake
            self.process.wait()
        assert not self.answers()


class MotoS3Server(LoggedProcess):
    """moto's standalone S3-compatible server (`python -m moto.server`, from requirements-dev.txt)
    on a free port: real HTTP S3 calls from boto3, nothing mocked in the process under test."""

    ACCESS_KEY_ID = "test-access-key"
    SECRET_ACCESS_KEY = "test-secret-key"  # moto accepts any key pair
    REGION = "eu-central-1"

    def __init__(self, log_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log_path.open("ab"),
            stderr=subprocess.STDOUT,
        )
        if not wait_for(self.answers, timeout=60):
            self.stop()
            raise AssertionError(f"moto's S3 server did not start:\n{self.log()}")

    def answers(self):
        try:
            with urllib.request.urlopen(self.url + "/", timeout=2) as response:  # noqa: S310 - local test server
                return response.status == 200
        except (OSError, urllib.error.HTTPError):
            return False

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=self.REGION,
            aws_access_key_id=self.ACCESS_KEY_ID,
            aws_secret_access_key=self.SECRET_ACCESS_KEY,
        )

    def create_bucket(self, name):
        self.client().create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.REGION})
        return name

    def keys(self, bucket):
        """Every object name in the bucket, listed by the server itself."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def environment(self, bucket):
        """The variables that point the app at this server (README "Configuration")."""
        return {
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": self.url,
            "AWS_S3_REGION_NAME": self.REGION,
            "AWS_S3_ADDRESSING_STYLE": "path",  # bucket.127.0.0.1 does not resolve
            "AWS_ACCESS_KEY_ID": self.ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": self.SECRET_ACCESS_KEY,
        }
