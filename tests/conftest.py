"""Shared fixtures. App-specific ones live beside their tests."""

import pytest
from rest_framework.test import APIClient

from tests import factories

pytest_plugins = ["tests.support.dosim", "tests.support.worker"]


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def tenant(db):
    return factories.TenantFactory()


@pytest.fixture
def tenant_user(db, tenant):
    return factories.UserFactory(tenant=tenant)
