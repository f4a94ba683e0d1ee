"""The embedded worker: Celery in this process, on the ``memory://`` broker.

With no ``CELERY_BROKER_URL`` Arcadia runs sagas without Redis or a worker
process: a Celery worker consumes in a thread of the current process. It is
a real worker (countdowns, retries and errbacks behave as in production),
unlike eager mode, which runs no errbacks with propagation and recurses on
retries. Messages live in memory: they are lost with the process, and the
sweeper resumes their sagas on the next start.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from celery.contrib.testing.worker import start_worker

from arcadia.celery import app

log = logging.getLogger(__name__)

_stack: contextlib.ExitStack | None = None
_lock = threading.Lock()


@contextlib.contextmanager
def embedded_worker(*, concurrency: int = 1, pool: str = "solo", loglevel: str = "WARNING"):
    """Run a worker thread for the duration of the block; yields the worker."""
    import provisioning.tasks  # noqa: F401 - registers every step task first

    with start_worker(
        app,
        concurrency=concurrency,
        pool=pool,
        loglevel=loglevel,
        perform_ping_check=False,
        shutdown_timeout=30,
    ) as worker:
        yield worker


def ensure_embedded_worker(**kwargs) -> None:
    """Start one embedded worker for the life of this process (idempotent)."""
    global _stack
    with _lock:
        if _stack is not None:
            return
        stack = contextlib.ExitStack()
        stack.enter_context(embedded_worker(**kwargs))
        _stack = stack
        log.info("embedded Celery worker started on %s", app.conf.broker_url)


def stop_embedded_worker() -> None:
    global _stack
    with _lock:
        if _stack is not None:
            _stack.close()
            _stack = None
