"""Engine tests run sagas of fake steps through a real Celery worker in this
process (the embedded worker on memory://), on the real PostgreSQL."""

import pytest

from provisioning.engine import SagaEvent, embedded_worker, registry
from tests.support.embedded import quiesce
from tests.support.fake_steps import FIVE_STEPS, OWNED_FIVE, PATIENT_FIVE
from tests.support.waiting import wait_for, wait_terminal  # noqa: F401 - re-exported to the tests


@pytest.fixture(scope="session")
def fake_definition():
    registry.register(PATIENT_FIVE)
    registry.register(OWNED_FIVE)
    return registry.register(FIVE_STEPS)


@pytest.fixture(scope="session")
def _session_worker(fake_definition):
    # One worker for the whole session: starting and stopping a worker
    # thread costs seconds. It touches the database only while a test runs.
    with embedded_worker() as running:
        yield running


@pytest.fixture
def worker(transactional_db, _session_worker):
    yield _session_worker
    # Before the database teardown: nothing of this test may run later.
    quiesce()


def fake_trail(saga, event: str) -> list[str]:
    """Step names of the saga's fake.<event> notes, in the order they happened."""
    rows = SagaEvent.objects.filter(saga=saga, event=event).order_by("id")
    return [row.detail["step"] for row in rows]
