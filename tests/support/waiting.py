"""Bounded waits for tests that watch a worker (thread or process) work."""

import time

from provisioning.engine import SAGA_TERMINAL_STATUSES, Saga


def wait_for(predicate, *, timeout: float = 30.0, what: str = "condition", tick: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(tick)
    raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")


def wait_for_status(saga: Saga, statuses=SAGA_TERMINAL_STATUSES, *, timeout: float = 30.0) -> Saga:
    """The saga, refreshed, once its status is one of ``statuses``."""

    def reached():
        saga.refresh_from_db()
        return saga.status in statuses

    wait_for(reached, timeout=timeout, what=f"saga {saga.pk} to reach {sorted(statuses)} (now {saga.status})")
    return saga


def wait_terminal(saga: Saga, timeout: float = 30.0) -> Saga:
    return wait_for_status(saga, SAGA_TERMINAL_STATUSES, timeout=timeout)
