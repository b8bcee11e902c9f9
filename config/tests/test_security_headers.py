"""Issue 7, proof 1: the security headers and cookies, asserted on real responses of the app
started with the documented production environment (README "Configuration": DEBUG=0,
SECRET_KEY, ALLOWED_HOSTS, SECURE_HTTPS=1 behind a TLS-terminating proxy).

The app runs in a fresh process, so `config/settings.py` itself maps that environment to
Django's SECURE_* settings (nothing is overridden in-process). It reads the test database
(committed rows: transactional test) and serves collected static files, as in production.
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from accounts.tests.factories import PASSWORD, UserFactory

HOST = "timetrack.example.com"
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": HOST,
    "SECURE_HTTPS": "1",
}

# Runs in the production-configured process: an insecure request, then the login page, a
# login and an API call over HTTPS (as the proxy forwards them), through the whole
# middleware stack with CSRF checks on. Prints one JSON document.
SCRIPT = """
import json, sys
import django
django.setup()
from django.test import Client

username, password, host = sys.argv[1:4]

def headers(response):
    return {name.lower(): value for name, value in response.headers.items()}

def cookie(response, name):
    morsel = response.cookies.get(name)
    if morsel is None:
        return None
    return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]), "samesite": morsel["samesite"]}

client = Client(enforce_csrf_checks=True, HTTP_HOST=host)
result = {}
plain = client.get("/accounts/login/", secure=False)
result["http"] = {"status": plain.status_code, "location": plain.headers.get("Location")}
login_page = client.get("/accounts/login/", secure=True)
result["login_page"] = {"status": login_page.status_code, "headers": headers(login_page),
                        "csrf_cookie": cookie(login_page, "csrftoken")}
token = client.cookies["csrftoken"].value
logged_in = client.post("/accounts/login/", {"username": username, "password": password,
                        "csrfmiddlewaretoken": token}, secure=True,
                        headers={"Origin": "https://" + host})
result["login"] = {"status": logged_in.status_code, "location": logged_in.headers.get("Location"),
                   "session_cookie": cookie(logged_in, "sessionid"), "headers": headers(logged_in)}
api = client.get("/api/v1/users/me/", secure=True)
result["api"] = {"status": api.status_code, "headers": headers(api)}
health = client.get("/health/", secure=False)
result["health_over_http"] = {"status": health.status_code}
print(json.dumps(result))
"""


def database_url():
    """The test database, as a DATABASE_URL the production process can read."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    credentials = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgres://{credentials}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{config['NAME']}"


def production_env(**extra):
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTEST_VERSION", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL", "DEBUG", "SECRET_KEY")
    }
    return {**env, **PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "config.settings", **extra}


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """Production serves hashed, collected static files (the manifest the pages' {% static %} needs)."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=settings.BASE_DIR,
        env=production_env(STATIC_ROOT=str(root)),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return root


@pytest.fixture
def responses(transactional_db, static_root):
    user = UserFactory(username="headers-check")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, user.username, PASSWORD, HOST],
        cwd=settings.BASE_DIR,
        env=production_env(STATIC_ROOT=str(static_root), DATABASE_URL=database_url()),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_plain_http_is_redirected_to_https(responses):
    assert responses["http"]["status"] == 301
    assert responses["http"]["location"] == f"https://{HOST}/accounts/login/"


def test_health_is_exempt_from_the_https_redirect(responses):
    # The load balancer probes /health/ over plain HTTP inside the network.
    assert responses["health_over_http"]["status"] == 200


@pytest.mark.parametrize("response_name", ["login_page", "login", "api"])
def test_every_https_response_carries_the_security_headers(responses, response_name):
    response = responses[response_name]
    headers = response["headers"]
    hsts = [part.strip() for part in headers["strict-transport-security"].split(";")]
    max_age = int(next(part for part in hsts if part.startswith("max-age=")).split("=")[1])
    assert max_age >= 31536000
    assert "includeSubDomains" in hsts
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")
    assert headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("response_name", ["login_page", "api"])
def test_content_security_policy_forbids_plugins_base_tags_and_foreign_scripts(responses, response_name):
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in responses[response_name]["headers"]["content-security-policy"].split(";")
        if directive.strip()
    }
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no CDN, no inline script
    assert policy["default-src"] == ["'self'"]


def test_the_csrf_cookie_is_secure(responses):
    assert responses["login_page"]["status"] == 200
    csrf = responses["login_page"]["csrf_cookie"]
    assert csrf is not None and csrf["secure"]
    assert csrf["samesite"] == "Lax"


def test_the_session_cookie_after_login_is_secure_and_http_only(responses):
    assert responses["login"]["status"] == 302, responses["login"]
    session = responses["login"]["session_cookie"]
    assert session is not None, "the login set no session cookie"
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"
    # The session works over HTTPS: the API answers the signed-in user.
    assert responses["api"]["status"] == 200
