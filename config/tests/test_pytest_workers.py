"""Each pytest-xdist worker gets its own Redis database (config/pytest_workers.py)."""

import pytest

from config.pytest_workers import worker_redis_url


@pytest.mark.parametrize(
    ("url", "worker", "expected"),
    [
        ("redis://127.0.0.1:6379/1", "gw0", "redis://127.0.0.1:6379/1"),
        ("redis://127.0.0.1:6379/1", "gw1", "redis://127.0.0.1:6379/2"),
        ("redis://127.0.0.1:6379", "gw3", "redis://127.0.0.1:6379/3"),
        ("redis://:secret@10.0.0.5:6380/15", "gw2", "redis://:secret@10.0.0.5:6380/1"),
        ("redis://127.0.0.1:6379/4?socket_timeout=1", "gw1", "redis://127.0.0.1:6379/5?socket_timeout=1"),
    ],
)
def test_worker_redis_database(url, worker, expected):
    assert worker_redis_url(url, worker) == expected
