"""The embedded worker: Celery in this process, on the ``memory://`` broker.

With no ``CELERY_BROKER_URL`` Arcadia runs sagas without Redis or a worker
process: a Celery worker consumes in a thread of the current process. It is
a real worker (countdowns, retries and errbacks behave as in production),
unlike eager mode, which runs no errbacks with propagation and recurses on
retries. Messages live in memory: they are lost with the process, and the
sweeper (run here by a timer thread, as there is no beat) resumes their
sagas once they count as stalled.

Two ways in:

- ``with embedded_worker():`` for a bounded block (the demo command, tests);
- ``ensure_embedded_worker()`` for the life of the process. With the engine
  settings' ``embedded_autostart`` on (the default in embedded mode) it runs
  before a saga's messages are sent (``autostart``, the default
  ``before_send`` hook: see ``hooks``), so ``runserver`` needs nothing else.
"""

from __future__ import annotations

import contextlib
import logging
import threading

from celery.contrib.testing.worker import start_worker

# Imported for its effect: every configured step task is registered before
# this process's worker consumes anything.
from provisioning.engine import (
    tasks,  # noqa: F401
    wiring,
)
from provisioning.engine.settings import engine_settings

log = logging.getLogger(__name__)

_stack: contextlib.ExitStack | None = None
_lock = threading.Lock()
# Embedded workers running in this process (a block may run its own).
_running = 0


@contextlib.contextmanager
def embedded_worker(*, concurrency: int = 1, pool: str = "solo", loglevel: str = "WARNING"):
    """Run a worker thread for the duration of the block; yields the worker."""
    global _running
    with start_worker(
        _app(),
        concurrency=concurrency,
        pool=pool,
        loglevel=loglevel,
        perform_ping_check=False,
        shutdown_timeout=30,
    ) as worker:
        _running += 1
        try:
            yield worker
        finally:
            _running -= 1


def ensure_embedded_worker(*, sweep_every: float | None = None, **kwargs) -> bool:
    """Start one embedded worker, and a sweeper timer, for the life of this
    process. Idempotent, and a no-op while an ``embedded_worker`` block
    runs; returns whether this call started them."""
    global _stack
    with _lock:
        if _stack is not None or _running:
            return False
        stack = contextlib.ExitStack()
        stack.enter_context(embedded_worker(**kwargs))
        stack.enter_context(_sweeper_timer(sweep_every or engine_settings().sweep_interval))
        _stack = stack
    log.info("embedded Celery worker started on %s", _app().conf.broker_url)
    return True


def autostart() -> None:
    """The default ``before_send`` hook: start the embedded worker when the
    settings say embedded mode with autostart."""
    settings = engine_settings()
    if settings.embedded and settings.embedded_autostart:
        ensure_embedded_worker()


def _app():
    return wiring.app()


def embedded_worker_running() -> bool:
    return _running > 0


@contextlib.contextmanager
def _sweeper_timer(interval: float):
    """What beat does in production: send the sweep task every interval."""
    stop = threading.Event()

    def loop():
        while not stop.wait(interval):
            try:
                wiring.send_sweep()
            except Exception:  # the next tick tries again
                log.exception("could not send the sweep task")

    thread = threading.Thread(target=loop, name="arcadia-embedded-sweeper", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(timeout=5)
