"""Provisioning saga tests: the real steps, run by the engine's embedded
Celery worker in this process, against the simulator over real HTTP, on the
real PostgreSQL (``transactional_db``: the worker thread must see commits)."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from arcadia.embedded import embedded_worker
from provisioning import registry
from tests import factories
from tests.provisioning import faulty


@pytest.fixture(scope="session")
def _provisioning_worker():
    for definition in faulty.ALL:
        registry.register(definition)
    with embedded_worker() as running:
        yield running


@pytest.fixture
def provisioner(transactional_db, _provisioning_worker, sim, settings):
    """A worker running sagas, with fast polling and a short tag-listing window."""
    settings.ARCADIA_DROPLET_POLL_INTERVAL = 0.1
    settings.ARCADIA_DROPLET_ACTIVE_TIMEOUT = 20
    settings.ARCADIA_TAG_LISTING_SETTLE = 1.0
    return _provisioning_worker


@pytest.fixture
def acme(transactional_db):
    return factories.TenantFactory(slug="acme")


@pytest.fixture
def alice_client(acme):
    user = factories.UserFactory(username="alice", tenant=acme)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client
