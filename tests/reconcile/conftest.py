"""Reconcile tests: the pass in this process against the simulator over
real HTTP, on the real PostgreSQL."""

import pytest
from django.urls import reverse

from tests import factories

CHANGELIST = "admin:inventory_reconcilefinding_changelist"


@pytest.fixture
def operator(client, db):
    client.force_login(factories.UserFactory(username="operator", is_staff=True, is_superuser=True))
    return client


def run_action(client, action, *findings) -> str:
    response = client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [str(f.pk) for f in findings]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()
