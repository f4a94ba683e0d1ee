"""Provisioning saga tests: the real steps, run by the engine's embedded
Celery worker in this process, against the simulator over real HTTP, on the
real PostgreSQL (``transactional_db``: the worker thread must see commits)."""

import pytest
from django.db import connection

from provisioning.engine import embedded_worker, registry
from tests.provisioning import faulty
from tests.support.embedded import quiesce


@pytest.fixture(scope="session")
def _provisioning_worker(django_db_blocker):
    for definition in faulty.ALL:
        registry.register(definition)
    with embedded_worker() as running:
        yield running
    _close_worker_connections(django_db_blocker)


def _close_worker_connections(django_db_blocker) -> None:
    """The worker thread's database connection outlives the thread and would
    keep pytest-django from dropping the test database at the end."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
            )


@pytest.fixture
def provisioner(transactional_db, _provisioning_worker, sim, settings):
    """A worker running sagas, with fast polling and a short tag-listing window."""
    settings.ARCADIA_DROPLET_POLL_INTERVAL = 0.1
    settings.ARCADIA_DROPLET_ACTIVE_TIMEOUT = 20
    settings.ARCADIA_TAG_LISTING_SETTLE = 1.0
    yield _provisioning_worker
    # Before the database teardown: nothing of this test may run later.
    quiesce()
