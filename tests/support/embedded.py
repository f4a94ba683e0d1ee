"""Keeping a session-scoped embedded worker from carrying work across tests.

An embedded worker (a Celery worker thread on ``memory://``) lives for the
whole test session because starting and stopping one costs seconds. A test
can end with work still in it: a countdown retry waiting in its timer, a
message queued behind a failed assertion, a task still running. Left
alone, that work runs during the next test (against rows it did not
create) or, worse, between tests, while pytest-django blocks database
access: an atomic block then cannot restore autocommit as it exits, and
the thread's connection stays in manual-commit mode, holding locks that
the next flush waits on forever. ``quiesce`` ends every such piece of
work before the test's database teardown.
"""

from __future__ import annotations

import time

from celery.worker import state

from arcadia.celery import app


def quiesce(*, timeout: float = 30.0, calm_for: float = 0.2) -> None:
    """Drop scheduled and queued messages and wait until no task runs,
    for ``calm_for`` seconds in a row (a running task may send more)."""
    deadline = time.monotonic() + timeout
    calm_since = None
    while time.monotonic() < deadline:
        _drop_scheduled()
        app.control.purge()
        if state.active_requests or state.reserved_requests or state.scheduled_requests:
            calm_since = None
        elif calm_since is None:
            calm_since = time.monotonic()
        elif time.monotonic() - calm_since >= calm_for:
            return
        time.sleep(0.02)
    raise AssertionError(f"the embedded worker was still busy after {timeout:g}s: {_busy()}")


def _drop_scheduled() -> None:
    """Cancel countdown/ETA requests held in a worker's timer and ack their
    messages (``acks_late``: unacked, they would hold the consumer's
    prefetch slots)."""
    for request in tuple(state.scheduled_requests):
        entry = request._eta_timer_entry
        if entry is not None:
            entry.cancel()
        state.scheduled_requests.discard(request)
        state.requests.pop(request.id, None)
        request.acknowledge()


def _busy() -> str:
    return ", ".join(
        f"{kind}: {sorted(r.name for r in requests)}"
        for kind, requests in (
            ("active", state.active_requests),
            ("reserved", state.reserved_requests),
            ("scheduled", state.scheduled_requests),
        )
        if requests
    )
