"""Settings come from the environment and fail loudly, naming the variable, on bad values."""

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "timetrack.example.com",
    "SECURE_HTTPS": "1",
}


def run_manage(*args, env):
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTEST_VERSION", "DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_secret_key_with_debug_off_fails_naming_it():
    result = run_manage("check", env={"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_makemigrations_check_runs_without_any_environment():
    """Models and migrations agree, checked the way a bare checkout runs it (no DEBUG, no key);
    the key is only waived for makemigrations."""
    result = run_manage("makemigrations", "--check", "--dry-run", env={})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
    assert run_manage("migrate", "--plan", env={}).returncode != 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "nonsense://what"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("DEBUG", "maybe-ish"),
        ("WORKING_TIME_MAX_WEEKLY_HOURS", "forty-eight"),
        ("REPORTS_JOB_STALE_SECONDS", "soon"),
        ("REPORTS_JOB_MAX_ATTEMPTS", "0"),
        ("EMAIL_TIMEOUT", "-1"),
        ("EMAIL_RETENTION_DAYS", "0"),
    ],
)
def test_bad_values_fail_at_startup_naming_the_variable(name, value):
    result = run_manage(
        "check", env={"DEBUG": "1", name: value} if name != "DEBUG" else {name: value, "SECRET_KEY": "x"}
    )
    assert result.returncode != 0
    assert name in result.stderr


def test_production_settings_pass_check_deploy():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_working_time_limits_have_documented_defaults():
    assert settings.WORKING_TIME_MAX_WEEKLY_HOURS == 48
    assert settings.WORKING_TIME_REFERENCE_WEEKS == 17
    assert settings.WORKING_TIME_MIN_DAILY_REST_HOURS == 11
    assert settings.AUDIT_RETENTION_DAYS == 180


def test_passwords_are_hashed_with_argon2(db):
    from accounts.tests.factories import UserFactory

    user = UserFactory()
    user.set_password("some-long-passphrase")
    assert user.password.startswith("argon2")


# --- Every variable of README's Configuration table fails at startup on a bad value ---------------

README = settings.BASE_DIR / "README.md"
# Tried for every variable not listed below: not a number, a boolean, a URL, a rate, a host, a path,
# a date, an address or a level; and a number below any sensible range.
GENERIC_BAD_VALUES = ["not valid!", "-1"]
# variable -> (extra environment, bad values), where the generic ones do not apply.
BAD_VALUES = {
    # With DEBUG on any key is accepted (a development key is built in); with DEBUG off one must be set.
    "SECRET_KEY": ({"DEBUG": "0"}, ["", "   "]),
    "DEBUG": ({}, ["maybe", "-1"]),
    "DATABASE_URL": ({}, ["nonsense://what", "postgres://", "mysql://db/x", "postgres://host:port/x"]),
    "REDIS_URL": ({}, ["http://127.0.0.1:6379", "redis://", "127.0.0.1:6379"]),
    "EMAIL_URL": ({}, ["smtp://", "imap://mail.example.com", "smtp://mail.example.com:25x"]),
    "DEFAULT_FROM_EMAIL": ({}, ["timetrack", "a@b@c", "Timetrack <nobody>"]),
    "ALLOWED_HOSTS": ({}, ["https://timetrack.example.com", "timetrack.example.com:443", "a host"]),
    "CSRF_TRUSTED_ORIGINS": ({}, ["timetrack.example.com", "https://timetrack.example.com/path", "ftp://x"]),
    "CORS_ALLOWED_ORIGINS": ({}, ["app.example.com", "https://app.example.com/"]),
    "THROTTLE_ANON_RATE": ({}, ["garbage", "10", "0/minute", "10/fortnight", "ten/minute"]),
    "THROTTLE_USER_RATE": ({}, ["garbage", "10/"]),
    "THROTTLE_AUTH_RATE": ({}, ["garbage", "10/mnute"]),
    "LOG_LEVEL": ({}, ["BOGUS", "verbose"]),
    "MEDIA_ROOT": ({}, ["", "/dev/null"]),
    "STATIC_ROOT": ({}, ["", "/dev/null"]),
    "AWS_STORAGE_BUCKET_NAME": ({}, ["Not_A_Bucket", "ab"]),
    "AWS_S3_ENDPOINT_URL": ({}, ["minio:9000", "s3://bucket"]),
    "REPORTS_OVERTIME_START": ({}, ["2024-13-01", "yesterday"]),
    # Ranges: 0 means "never" or "at once" for lifetimes, timeouts and retention.
    "EMAIL_TIMEOUT": ({}, ["0", "ten"]),
    "EMAIL_RETENTION_DAYS": ({}, ["0"]),
    "AUDIT_RETENTION_DAYS": ({}, ["0"]),
    "REPORTS_JOB_RETENTION_DAYS": ({}, ["0"]),
    "REPORTS_JOB_STALE_SECONDS": ({}, ["0"]),
    "REPORTS_JOB_MAX_ATTEMPTS": ({}, ["0"]),
    "IDEMPOTENCY_KEY_TTL_HOURS": ({}, ["0"]),
    "JWT_ACCESS_TOKEN_LIFETIME_MINUTES": ({}, ["0"]),
    "JWT_REFRESH_TOKEN_LIFETIME_DAYS": ({}, ["0"]),
    "DATABASE_CONNECT_TIMEOUT": ({}, ["0"]),
    "CELERY_VISIBILITY_TIMEOUT": ({}, ["0"]),
    "WORKING_TIME_MAX_WEEKLY_HOURS": ({}, ["0", "169", "forty-eight"]),
    "WORKING_TIME_MAX_DAILY_HOURS": ({}, ["0", "25"]),
    "WORKING_TIME_MIN_DAILY_REST_HOURS": ({}, ["25"]),
    "TWO_FACTOR_ISSUER": ({}, ["", "   ", "Timetrack:GmbH", "x" * 65]),
    "TWO_FACTOR_ENFORCE": ({}, ["maybe", "-1"]),
}
# Named in the table, with no bad value to try (and why). Keep this short: validate instead.
NO_BAD_VALUE = {}
# Starts Django once per bad value, all in one process (a process costs ~0.5 s of CPU): for each
# (variable, extra environment, values), django.setup() must raise, naming the variable. The first
# value accepted ends the process (the apps are then loaded): the test starts another for the rest.
STARTUP_SCRIPT = """
import json, os, sys
import django
from django.conf import settings
from django.utils.functional import empty

base = dict(os.environ)
for name, extra, values in json.loads(sys.stdin.read()):
    for value in values:
        os.environ.clear()
        os.environ.update(base, **extra, **{name: value})
        sys.modules.pop("config.settings", None)
        settings._wrapped = empty
        try:
            django.setup()
        except Exception as error:
            print(json.dumps([name, value, f"{type(error).__name__}: {error}"]), flush=True)
            # A value refused by an app's ready() (billing checks its own) leaves the registry half
            # populated: start it afresh for the next value.
            from django.apps import apps
            apps.app_configs = {}
            apps.apps_ready = apps.models_ready = apps.ready = apps.loading = False
            apps.ready_event.clear()
        else:
            print(json.dumps([name, value, None]), flush=True)
            sys.exit(0)
"""


def configuration_variables():
    """The variable names of README's Configuration table (a row may name two or three)."""
    text = README.read_text()
    table = text.split("\n## Configuration\n", 1)[1].split("\n#", 1)[0]
    names = []
    for line in table.splitlines():
        if line.startswith("|"):
            names += re.findall(r"`([A-Z][A-Z0-9_]*)`", line.split("|")[1])  # not `AWS_*`: a family of names
    return names


def startup_environment():
    names = set(configuration_variables())
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in names and key not in ("PYTEST_VERSION", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"})
    return env


def start_with_bad_values(names):
    """Problems found: each variable accepted with a bad value or failing without naming itself."""
    cases = [[name, *BAD_VALUES.get(name, ({}, GENERIC_BAD_VALUES))] for name in names]
    problems = []
    while cases:
        result = subprocess.run(
            [sys.executable, "-c", STARTUP_SCRIPT],
            input=json.dumps(cases),
            cwd=settings.BASE_DIR,
            env=startup_environment(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        outcomes = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("[")]
        tried = len(outcomes)
        for name, value, error in outcomes:
            if error is None:
                problems.append(f"{name}={value!r} was accepted at startup: validate it in config/settings.py")
            elif name not in error:
                problems.append(f"{name}={value!r} failed without naming {name}: {error}")
        if result.returncode != 0 or tried == 0:
            return [*problems, f"the startup script crashed: {result.stderr[-3000:]}"]
        # Values still to try: after the accepted one, go on with the next variable.
        pending = [(name, extra, value) for name, extra, values in cases for value in values][tried:]
        accepted = outcomes[-1][0] if outcomes[-1][2] is None else None
        cases = [[name, extra, [value]] for name, extra, value in pending if name != accepted]
    return problems


def test_configuration_table_is_read():
    names = configuration_variables()
    assert {"DEBUG", "SECRET_KEY", "THROTTLE_AUTH_RATE", "AWS_S3_ENDPOINT_URL", "LOG_LEVEL"} <= set(names)
    assert not set(BAD_VALUES) - set(names), "BAD_VALUES names variables the README table does not"


def test_defaults_start():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env=startup_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_every_configuration_variable_fails_at_startup_on_a_bad_value():
    problems = start_with_bad_values([name for name in configuration_variables() if name not in NO_BAD_VALUE])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("reader", "value", "expected"),
    [
        ("env_rate", "10/s", "10/s"),
        ("env_rate", " 5/hour ", "5/hour"),
        ("env_rate", "100/days", "100/days"),
        ("env_log_level", "warning", "WARNING"),
        ("env_email", "Timetrack <timetrack@example.com>", "Timetrack <timetrack@example.com>"),
        ("env_email", "timetrack@localhost", "timetrack@localhost"),
    ],
)
def test_good_values_are_read(monkeypatch, reader, value, expected):
    import config.env as env_module

    monkeypatch.setenv("SOME_VARIABLE", value)
    assert getattr(env_module, reader)("SOME_VARIABLE", "") == expected


@pytest.mark.parametrize(
    ("value", "schemes"),
    [
        ("postgres://user:p%40ss@db.internal:5432/timetrack", {"postgres": False}),
        ("postgres:///timetrack", {"postgres": False}),
        ("redis://[::1]:6379/0", {"redis": True}),
        ("smtp+tls://user:pass@smtp.example.com:587", {"smtp+tls": True}),
        ("consolemail://", {"consolemail": False}),
    ],
)
def test_good_urls_are_read(value, schemes):
    import config.env as env_module

    assert env_module.check_url("SOME_URL", value, schemes) == value


def test_origins_and_hosts():
    import config.env as env_module

    assert env_module.is_origin("https://timetrack.example.com")
    assert env_module.is_origin("http://localhost:8000")
    assert not env_module.is_origin("https://timetrack.example.com/")
    assert env_module.is_host("10.0.0.1") and env_module.is_host("[::1]")
    assert not env_module.is_host("exa mple.com")
