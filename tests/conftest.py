"""Shared fixtures. App-specific ones live beside their tests."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from tests import factories
from tests.support.clients import token_client

pytest_plugins = [
    "tests.support.dosim",
    "tests.support.worker",
    "tests.support.budget",
    "tests.support.browser",
]


# A transaction left open by a worker thread (a bug) would block the next
# test's flush forever, in C, where pytest-timeout cannot interrupt it.
# PostgreSQL ends such a session instead, so the bug fails tests, not CI.
IDLE_IN_TRANSACTION_TIMEOUT = "60s"


# The suite has one kind marker. A test that runs real processes or threads
# against committed rows (a Celery worker, Flower, a browser, a broker or
# database outage) is ``integration``, marked here from the fixtures it uses
# so no test can forget it; ``make test-fast`` runs the rest.
INTEGRATION_FIXTURES = frozenset(
    {
        "transactional_db",
        "live_server",
        "celery_worker_process",
        "worker_broker_url",
        "browser",
        "page",
        "flower",
        "dosim_process",
    }
)


def pytest_collection_modifyitems(items):
    for item in items:
        db = item.get_closest_marker("django_db")
        committed = db is not None and db.kwargs.get("transaction", False)
        if committed or INTEGRATION_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                name = connection.ops.quote_name(connection.settings_dict["NAME"])
                cursor.execute(
                    f"ALTER DATABASE {name} SET idle_in_transaction_session_timeout = %s",
                    [IDLE_IN_TRANSACTION_TIMEOUT],
                )
            connection.close()  # the setting applies to sessions opened from now on


@pytest.fixture(autouse=True)
def _catalog_check(request, settings):
    """POSTs are checked against DigitalOcean's catalog only in tests marked
    ``catalog_check`` (with a simulator to read it from): the API tests that
    need no simulator would otherwise all answer 503. The simulator sells
    every slug the suite, the benchmarks and the demo use, and they run with
    the check on."""
    from inventory.catalog import catalog_forget

    settings.ARCADIA_CATALOG_CHECK = request.node.get_closest_marker("catalog_check") is not None
    catalog_forget()
    yield
    catalog_forget()


@pytest.fixture(autouse=True)
def _no_api_throttling(settings):
    """The API's throttles (arcadia/throttling.py) are off: their counters
    outlive a test in the cache, so a suite making thousands of requests as
    a few users would hit them. tests/api/test_throttles.py sets its own
    rates, after this fixture ran."""
    from arcadia.throttling import RATE_SETTINGS

    for name in RATE_SETTINGS.values():
        setattr(settings, name, "")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def tenant(db):
    return factories.TenantFactory()


@pytest.fixture
def tenant_user(db, tenant):
    return factories.UserFactory(tenant=tenant)


# A tenant and its user's API client, with committed rows: what saga tests
# (whose workers run in other threads or processes) need.
@pytest.fixture
def acme(transactional_db):
    return factories.TenantFactory(slug="acme")


@pytest.fixture
def alice_client(acme):
    user = factories.UserFactory(username="alice", tenant=acme)
    return token_client(user)
