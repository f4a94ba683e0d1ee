"""Engine tests run sagas of fake steps through a real Celery worker in this
process (the embedded worker on memory://), on the real PostgreSQL."""

import time

import pytest

from arcadia.embedded import embedded_worker
from provisioning import registry
from provisioning.models import SAGA_TERMINAL_STATUSES, Saga, SagaEvent
from tests.support.fake_steps import FIVE_STEPS


@pytest.fixture(scope="session")
def fake_definition():
    return registry.register(FIVE_STEPS)


@pytest.fixture(scope="session")
def _session_worker(fake_definition):
    # One worker for the whole session: starting and stopping a worker
    # thread costs seconds. It touches the database only while a test runs.
    with embedded_worker() as running:
        yield running


@pytest.fixture
def worker(transactional_db, _session_worker):
    return _session_worker


def wait_terminal(saga, timeout: float = 30.0) -> Saga:
    """Wait (bounded) until the saga reaches a terminal status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        saga.refresh_from_db()
        if saga.status in SAGA_TERMINAL_STATUSES:
            return saga
        time.sleep(0.05)
    raise AssertionError(f"saga {saga.id} still {saga.status} after {timeout}s")


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def fake_trail(saga, event: str) -> list[str]:
    """Step names of the saga's fake.<event> notes, in the order they happened."""
    rows = SagaEvent.objects.filter(saga=saga, event=event).order_by("id")
    return [row.detail["step"] for row in rows]
