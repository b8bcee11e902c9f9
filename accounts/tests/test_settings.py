"""Settings come from the environment and fail loudly, naming the variable, on bad values."""

import os
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
