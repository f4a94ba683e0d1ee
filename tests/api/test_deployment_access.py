"""Who sees what: a tenant's user sees only its tenant (others' objects are
404, as if they did not exist), staff see all, anonymous gets 401."""

import pytest
from rest_framework.test import APIClient

from deployments.models import DeploymentStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(acme, alice):
    globex = factories.TenantFactory(slug="globex")
    bob = factories.UserFactory(username="bob", tenant=globex)
    staff = factories.UserFactory(username="root", is_staff=True)
    deployment = factories.DeploymentFactory(tenant=acme, name="web", status=DeploymentStatus.PENDING)
    saga = factories.SagaFactory(deployment=deployment, kind="provision_deployment", status="compensated")
    resource = factories.CloudResourceFactory(tenant=acme, deployment=deployment)
    return {
        "alice": alice,
        "bob": bob,
        "staff": staff,
        "deployment": deployment,
        "saga": saga,
        "resource": resource,
    }


def reads(world):
    d, s, r = world["deployment"].public_id, world["saga"].pk, world["resource"].public_id
    return [f"/api/deployments/{d}/", f"/api/sagas/{s}/", f"/api/resources/{r}/"]


@pytest.mark.parametrize("who", ["alice", "staff"])
def test_owner_and_staff_read_every_object(client_for, world, who):
    client = client_for(world[who])
    for url in reads(world):
        assert client.get(url).status_code == 200, url


def test_other_tenant_gets_404_on_every_object(client_for, world):
    client = client_for(world["bob"])
    d = world["deployment"].public_id
    for url in reads(world):
        assert client.get(url).status_code == 404, url
    for action in ("provision", "cancel"):
        assert client.post(f"/api/deployments/{d}/{action}/").status_code == 404
    assert client.delete(f"/api/deployments/{d}/").status_code == 404
    world["deployment"].refresh_from_db()
    assert world["deployment"].status == DeploymentStatus.PENDING


@pytest.mark.parametrize(("who", "count"), [("alice", 1), ("bob", 0), ("staff", 1)])
def test_lists_are_scoped(client_for, world, who, count):
    client = client_for(world[who])
    for url in ("/api/deployments/", "/api/sagas/", "/api/resources/"):
        body = client.get(url).json()
        assert body["count"] == count, url


def test_other_tenant_cannot_create_in_a_tenant_it_does_not_belong_to(client_for, world):
    body = {
        "name": "x",
        "region": "nyc3",
        "size": "s-1vcpu-1gb",
        "image": "ubuntu-24-04-x64",
        "tenant": "acme",
    }
    response = client_for(world["bob"]).post("/api/deployments/", body, format="json")
    assert response.status_code == 404
    assert "tenant" in response.json()


# A well-formed id nobody has: anonymous is refused before the id is looked up.
SOME_ID = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/deployments/"),
        ("post", "/api/deployments/"),
        ("get", f"/api/deployments/{SOME_ID}/"),
        ("delete", f"/api/deployments/{SOME_ID}/"),
        ("post", f"/api/deployments/{SOME_ID}/cancel/"),
        ("get", "/api/sagas/"),
        ("get", "/api/resources/"),
    ],
)
def test_anonymous_gets_401(method, url):
    assert getattr(APIClient(), method)(url).status_code == 401


def test_bad_token_gets_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    assert client.get("/api/deployments/").status_code == 401


def test_session_login_and_browsable_api(world):
    client = APIClient()
    client.force_login(world["alice"])
    response = client.get("/api/deployments/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Deployment" in response.content
    detail = client.get(f"/api/deployments/{world['deployment'].public_id}/", HTTP_ACCEPT="text/html")
    assert detail.status_code == 200


def test_schema_and_docs_are_served(client_for, world):
    client = client_for(world["alice"])
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/api/deployments/", "/api/deployments/{id}/cancel/", "/api/sagas/{id}/", "/api/resources/"):
        assert path in paths
    assert client.get("/api/docs/").status_code == 200
