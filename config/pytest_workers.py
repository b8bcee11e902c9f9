"""pytest plugin (loaded with `-p config.pytest_workers`, before Django's settings): under
pytest-xdist every worker gets its own Redis database.

pytest-django gives each xdist worker its own test database (`test_<name>_gw0`, ...) and the
SQLite test file is per process already. Redis is the other shared store: each test starts with
`cache.clear()` (a FLUSHDB), throttle counters are global, and the real Celery workers some tests
start consume the broker's queue. So worker `gwN` uses database `base + N` of the same server,
set in the environment before settings.py reads REDIS_URL, and inherited by every process a test
starts (gunicorn, celery, manage.py)."""

import os
from urllib.parse import urlsplit, urlunsplit

REDIS_DATABASES = 16  # Redis's default `databases`


def worker_redis_url(url, worker):
    """The Redis URL for xdist worker `worker` ("gw3"): database `base + 3`, wrapped at 16."""
    index = int(worker.removeprefix("gw"))
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + index) % REDIS_DATABASES}"))


_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and os.environ.get("REDIS_URL", "").startswith("redis://"):
    os.environ["REDIS_URL"] = worker_redis_url(os.environ["REDIS_URL"], _worker)
