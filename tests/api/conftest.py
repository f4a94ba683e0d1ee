"""Fixtures of the API tests: tenants, users and their authenticated clients."""

import pytest
from rest_framework.test import APIClient

from arcadia.tokens.services import api_token_create
from tests import factories


@pytest.fixture
def client_for(db):
    """An API client authenticated with the user's token, as a real client would be."""

    def make(user) -> APIClient:
        client = APIClient()
        _, token = api_token_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


@pytest.fixture
def acme(db):
    return factories.TenantFactory(slug="acme")


@pytest.fixture
def alice(acme):
    return factories.UserFactory(username="alice", tenant=acme)
