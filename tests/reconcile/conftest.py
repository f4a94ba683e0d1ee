"""Reconcile tests: the pass in this process against the simulator over
real HTTP, on the real PostgreSQL."""

import pytest

from tests import factories
from tests.support.clients import run_admin_action

CHANGELIST = "admin:inventory_reconcilefinding_changelist"


@pytest.fixture
def operator(client, db):
    client.force_login(factories.UserFactory(username="operator", is_staff=True, is_superuser=True))
    return client


def run_action(client, action, *objects) -> str:
    return run_admin_action(client, CHANGELIST, action, objects)
