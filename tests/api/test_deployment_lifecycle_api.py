"""Creating without provisioning, cancelling and deleting pending deployments:
paths that start no saga."""

import pytest

from deployments.models import Deployment, DeploymentStatus
from tests.support.bodies import PENDING

pytestmark = pytest.mark.django_db

BODY = PENDING


def test_provision_false_creates_pending_with_201_and_location(client_for, alice):
    response = client_for(alice).post("/api/deployments/", BODY, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert body["hostname"] == "web.acme.arcadia.test"
    assert body["saga"] is None
    assert response["Location"] == f"/api/deployments/{body['id']}/"


def test_idempotency_key_replays_pending_create(client_for, alice):
    client = client_for(alice)
    first = client.post("/api/deployments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post("/api/deployments/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Deployment.objects.count() == 1
    different = client.post(
        "/api/deployments/", {**BODY, "size": "s-2vcpu-2gb"}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert different.status_code == 409


def test_cancel_pending_deployment(client_for, alice):
    client = client_for(alice)
    created = client.post("/api/deployments/", BODY, format="json").json()
    response = client.post(f"/api/deployments/{created['id']}/cancel/")
    assert response.status_code == 202
    assert response.json()["status"] == "cancelled"
    # Cancelled frees the hostname, and cannot be cancelled again.
    assert client.post(f"/api/deployments/{created['id']}/cancel/").status_code == 409
    assert client.post("/api/deployments/", BODY, format="json").status_code == 201


def test_delete_pending_deployment_is_204(client_for, alice):
    client = client_for(alice)
    created = client.post("/api/deployments/", BODY, format="json").json()
    assert client.delete(f"/api/deployments/{created['id']}/").status_code == 204
    assert Deployment.objects.get().status == DeploymentStatus.DELETED
    assert client.delete(f"/api/deployments/{created['id']}/").status_code == 409


def test_status_filter(client_for, alice):
    client = client_for(alice)
    created = client.post("/api/deployments/", BODY, format="json").json()
    client.post("/api/deployments/", {**BODY, "name": "api"}, format="json")
    client.post(f"/api/deployments/{created['id']}/cancel/")
    assert client.get("/api/deployments/?status=cancelled").json()["count"] == 1
    assert client.get("/api/deployments/?status=pending").json()["count"] == 1
    assert client.get("/api/deployments/?status=pending&status=cancelled").json()["count"] == 2
