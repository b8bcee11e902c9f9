"""gunicorn reads this file from the working directory (its default --config), so the image's
CMD, docker-compose.yml's web service and a plain `gunicorn config.wsgi:application` all get it.

The worker timeout is REQUEST_TIMEOUT_SECONDS, the value the app's Idempotency-Key handling
takes as the longest a request can run: a record still in progress after it lost its worker.
It must never be longer than that setting. A `--timeout` on the command line overrides it.
"""

import os

_raw = os.environ.get("REQUEST_TIMEOUT_SECONDS", "30")
try:
    timeout = int(_raw.strip())
except ValueError:
    timeout = 0
if timeout < 1:
    raise SystemExit(
        f"Invalid value for the REQUEST_TIMEOUT_SECONDS environment variable: {_raw!r} is not a whole number above 0"
    )

# No `Server: gunicorn` banner: it names the server to anyone probing for a known flaw. gunicorn
# writes it in Response.default_headers (gunicorn/http/wsgi.py) with no setting to turn it off;
# the master reads this file before forking, so every worker answers without it.
from gunicorn.http import wsgi as _gunicorn_wsgi  # noqa: E402


def _default_headers_without_server(response, _default_headers=_gunicorn_wsgi.Response.default_headers):
    return [line for line in _default_headers(response) if not line.lower().startswith("server:")]


_gunicorn_wsgi.Response.default_headers = _default_headers_without_server
