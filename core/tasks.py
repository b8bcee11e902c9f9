"""Queueing Celery tasks from app code: `publish` now, `enqueue_on_commit` after the commit.

Apps call these, never the Celery app itself: the app (config/celery.py) is the wiring's, and it
is the current app once Django has loaded config, so these reach it as `celery.current_app`."""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

from celery import current_app
from django.db import transaction

from core.breaker import CircuitOpen, breaker_for

if TYPE_CHECKING:
    from celery import Task

    from core.breaker import CircuitBreaker

logger = logging.getLogger(__name__)


def broker_breaker() -> contextlib.AbstractContextManager[CircuitBreaker | None]:
    """The circuit breaker of the broker's server (core.breaker); none when tasks run in-process:
    there is no broker then, and an eager task's own error says nothing about one."""
    if current_app.conf.task_always_eager:
        return contextlib.nullcontext()
    return breaker_for(current_app.conf.broker_url)


def publish(task: Task, *args: object, lost: str) -> bool:
    """Queue `task(*args)` now; True if the broker took it. A broker that is down, hung (the socket
    timeouts of settings.py bound the wait) or failed moments ago (its breaker is open, so this
    tries nothing) is logged, never raised: False. `lost` says what becomes of the work."""
    try:
        with broker_breaker():
            # ignore_result: no ~20 s registering for a result nobody reads.
            task.apply_async(args=args, ignore_result=True)
    except CircuitOpen:
        logger.info("Not queueing %s%r (broker down moments ago): %s.", task.name, args, lost)
        return False
    except Exception:
        logger.warning("Could not queue %s%r (broker down): %s.", task.name, args, lost, exc_info=True)
        return False
    return True


def enqueue_on_commit(task: Task, *args: object, lost: str = "the periodic task will pick it up") -> None:
    """Queue `task(*args)` once the current transaction commits (`publish`).

    On commit: a rolled-back change queues nothing, and the worker finds the rows. A broker outage
    is logged, never raised: the change is committed already, so its answer must not become a 500.
    """

    transaction.on_commit(lambda: publish(task, *args, lost=lost))
