"""Log lines reach the console once, with DEBUG on as off."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

LOG_SOME_LINES = """
import logging
import django

django.setup()
logging.getLogger("django.request").warning("probe django.request")
logging.getLogger("django.db.backends").info("probe django.db.backends")
logging.getLogger("accounts.services").warning("probe accounts")
"""


def log_output(**env):
    full_env = {key: value for key, value in os.environ.items() if key not in ("PYTEST_VERSION", "DEBUG", "LOG_LEVEL")}
    full_env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "x", **env})
    result = subprocess.run(
        [sys.executable, "-c", LOG_SOME_LINES],
        cwd=settings.BASE_DIR,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr.splitlines()


@pytest.mark.parametrize("debug", ["1", "0"])
def test_each_line_is_logged_once(debug):
    lines = log_output(DEBUG=debug)
    assert lines.count("probe django.request") == 1, lines
    assert lines.count("probe accounts") == 1, lines


def test_log_level_governs_django_loggers_too():
    assert "probe django.db.backends" in log_output(DEBUG="1", LOG_LEVEL="INFO")
    lines = log_output(DEBUG="1", LOG_LEVEL="ERROR")
    assert "probe django.db.backends" not in lines
    assert "probe accounts" not in lines
