"""Tenants' quotas at the API: live deployments and allowed regions, sizes
and images, each refused with a 403 naming the quota, creating nothing; and
GET /api/me/ showing each tenant's quotas and use."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from arcadia.tokens.services import api_token_create
from deployments.models import Deployment, DeploymentStatus
from provisioning.engine import Saga
from tests import factories
from tests.support.bodies import PENDING
from tests.support.clients import token_client

PROVISION = {**PENDING, "provision": True}


def _live(tenant, n):
    for _ in range(n):
        factories.DeploymentFactory(tenant=tenant, status=DeploymentStatus.ACTIVE)


@pytest.mark.django_db
def test_post_past_the_live_quota_is_403_naming_it_and_creates_nothing(client_for, alice, acme, sim):
    acme.max_live_deployments = 2
    acme.save()
    _live(acme, 2)
    factories.DeploymentFactory(tenant=acme, status=DeploymentStatus.CANCELLED)  # not counted
    before = len(sim.requests())

    response = client_for(alice).post("/api/deployments/", PROVISION, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "tenant acme has 2 of 2 live deployments",
        "quota": "max_live_deployments",
        "limit": 2,
        "used": 2,
    }
    assert Deployment.objects.count() == 3 and not Saga.objects.exists()
    assert len(sim.requests()) == before  # not even the DNS look-up


@pytest.mark.django_db
def test_default_live_quota_comes_from_the_setting(client_for, alice, acme, settings, sim):
    settings.ARCADIA_TENANT_MAX_LIVE_DEPLOYMENTS = 1
    _live(acme, 1)
    response = client_for(alice).post("/api/deployments/", PROVISION, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "tenant acme has 1 of 1 live deployments"


@pytest.mark.django_db
def test_a_pending_deployment_takes_no_slot_until_provision_which_checks_the_quota(
    client_for, alice, acme, sim
):
    acme.max_live_deployments = 1
    acme.save()
    client = client_for(alice)
    first = client.post("/api/deployments/", {**PENDING, "name": "one"}, format="json").json()
    second = client.post("/api/deployments/", {**PENDING, "name": "two"}, format="json").json()

    assert client.post(f"/api/deployments/{first['id']}/provision/").status_code == 202
    refused = client.post(f"/api/deployments/{second['id']}/provision/")

    assert refused.status_code == 403
    assert refused.json()["detail"] == "tenant acme has 1 of 1 live deployments"
    assert Deployment.objects.get(public_id=second["id"]).status == DeploymentStatus.PENDING
    assert Saga.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "quota", "allowed", "asked"),
    [
        ("size", "allowed_sizes", ["s-1vcpu-512mb-10gb", "s-1vcpu-1gb"], "s-2vcpu-2gb"),
        ("region", "allowed_regions", ["ams3"], "nyc3"),
        ("image", "allowed_images", ["debian-12-x64"], "ubuntu-24-04-x64"),
    ],
)
def test_a_value_the_tenant_may_not_use_is_403_naming_the_allowed_ones(
    client_for, alice, acme, field, quota, allowed, asked
):
    setattr(acme, quota, allowed)
    acme.save()
    for provision in (False, True):
        body = {**PENDING, field: asked, "provision": provision}
        response = client_for(alice).post("/api/deployments/", body, format="json")
        assert response.status_code == 403
        assert response.json() == {
            "detail": f"tenant acme may not use {field} {asked}; allowed: {', '.join(allowed)}",
            "quota": quota,
            "allowed": allowed,
        }
    assert not Deployment.objects.exists()
    ok = client_for(alice).post("/api/deployments/", {**PENDING, field: allowed[-1]}, format="json")
    assert ok.status_code == 201


@pytest.mark.django_db
def test_provision_checks_allowed_values_again(client_for, alice, acme):
    client = client_for(alice)
    created = client.post("/api/deployments/", PENDING, format="json").json()
    acme.allowed_sizes = ["s-1vcpu-512mb-10gb"]
    acme.save()
    response = client.post(f"/api/deployments/{created['id']}/provision/")
    assert response.status_code == 403 and response.json()["quota"] == "allowed_sizes"
    assert not Saga.objects.exists()


@pytest.mark.django_db
def test_me_shows_each_tenants_quotas_and_use(api_client, acme, settings):
    beta = factories.TenantFactory(slug="beta", max_live_deployments=3, allowed_sizes=["s-1vcpu-1gb"])
    user = factories.UserFactory(username="carol", tenant=acme)
    factories.TenantMembershipFactory(user=user, tenant=beta)
    _live(beta, 2)
    factories.DeploymentFactory(tenant=beta)  # pending: not counted
    factories.DeploymentFactory(tenant=acme, status=DeploymentStatus.PROVISIONING)

    body = token_client(user).get("/api/me/").json()

    tenants = {t["slug"]: t for t in body["tenants"]}
    assert tenants["acme"] == {
        "slug": "acme",
        "name": acme.name,
        "live_deployments": 1,
        "max_live_deployments": settings.ARCADIA_TENANT_MAX_LIVE_DEPLOYMENTS,
        "allowed_regions": [],
        "allowed_sizes": [],
        "allowed_images": [],
    }
    assert tenants["beta"]["live_deployments"] == 2 and tenants["beta"]["max_live_deployments"] == 3
    assert tenants["beta"]["allowed_sizes"] == ["s-1vcpu-1gb"]


@pytest.mark.django_db(transaction=True)
def test_posts_racing_for_the_last_slot_get_one_202(settings, dosim):
    """Eight POSTs at once for a tenant with one slot left: the count is made
    under the tenant's row lock, so exactly one gets it."""
    # The suite runs on PostgreSQL (the README's `make test`): row locks are its.
    assert connection.vendor == "postgresql", "this race needs PostgreSQL's row locks"
    settings.ARCADIA_DNS_CHECK_AT_POST = False  # the race, not the look-up
    acme = factories.TenantFactory(slug="acme", max_live_deployments=3)
    _live(acme, 2)
    _, token = api_token_create(user=factories.UserFactory(username="alice", tenant=acme))
    start, codes = threading.Barrier(8), []

    def post(i):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            start.wait()
            answer = client.post("/api/deployments/", {**PROVISION, "name": f"w{i}"}, format="json")
            codes.append(answer.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(codes) == [202] + [403] * 7
    assert Deployment.objects.filter(tenant=acme).count() == 3


@pytest.mark.django_db
def test_the_operations_page_shows_each_tenants_quota_use(admin_client, acme, settings):
    settings.ARCADIA_TENANT_MAX_LIVE_DEPLOYMENTS = 25
    factories.TenantFactory(slug="beta", max_live_deployments=3, allowed_sizes=["s-1vcpu-1gb"])
    _live(acme, 2)

    page = admin_client.get("/admin/provisioning/saga/operations/").content.decode()

    panel = page.split("<h2>Tenants&#x27; quotas</h2>")[1].split("</div>")[0]
    assert "<th>acme</th><td>2 of 25 live deployments</td>" in panel
    assert "<th>beta</th><td>0 of 3 live deployments; sizes: s-1vcpu-1gb</td>" in panel
