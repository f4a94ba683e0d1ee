"""GET /api/me/: the caller and the tenants it may act for."""

import pytest

from tests import factories
from tests.support.clients import token_client

pytestmark = pytest.mark.django_db


def test_me_lists_the_callers_tenants_only():
    acme, beta = factories.TenantFactory(slug="acme"), factories.TenantFactory(slug="beta")
    factories.TenantFactory(slug="other")
    user = factories.UserFactory(username="alice", tenant=acme)
    factories.TenantMembershipFactory(user=user, tenant=beta)

    body = token_client(user).get("/api/me/").json()

    assert body["username"] == "alice" and body["is_staff"] is False
    assert sorted(t["slug"] for t in body["tenants"]) == ["acme", "beta"]


def test_me_needs_authentication(api_client):
    assert api_client.get("/api/me/").status_code == 401
