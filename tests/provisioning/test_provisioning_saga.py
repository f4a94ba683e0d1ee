"""The provisioning saga end to end: through the API, on the engine's
in-process worker, against the simulator over real HTTP."""

import pytest

from deployments.models import Deployment, DeploymentStatus
from inventory.budget import budget_status
from inventory.models import CloudResource, ResourceStatus
from provisioning.engine import Saga, SagaStatus
from tests.provisioning import helpers as h

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_happy_path_through_the_api_to_active(provisioner, sim, alice_client, settings):
    settings.ARCADIA_DO_RATE_LIMIT_PER_HOUR = 5000  # the budget counts (tests run unlimited)
    response = alice_client.post("/api/deployments/", h.BODY, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "provisioning"
    assert body["saga"]["kind"] == "provision_deployment"
    assert response["Location"] == f"/api/deployments/{body['id']}/"

    saga = h.wait_saga(body["saga"]["id"])
    assert saga.status == SagaStatus.SUCCEEDED, saga.error

    deployment = Deployment.objects.get(public_id=body["id"])
    assert deployment.status == DeploymentStatus.ACTIVE
    [droplet] = h.droplets(sim)
    assert f"arcadia-saga-{saga.pk}" in droplet["tags"]
    resource = CloudResource.objects.get()
    assert (resource.external_id, resource.status) == (str(droplet["id"]), ResourceStatus.ACTIVE)
    assert (resource.deployment_id, resource.tenant_id) == (deployment.pk, deployment.tenant_id)
    assert h.a_record(sim, "web.acme")["data"] == h.droplet_ipv4(droplet) == resource.ipv4
    # Its calls went by its tenant's fair share; the DNS calls its create
    # held for it were spent.
    budget = budget_status()
    assert budget["by_key"]["acme"]["hour"] >= 3 and budget["held"] == 0

    detail = alice_client.get(f"/api/deployments/{deployment.public_id}/").json()
    assert detail["saga"]["progress"] == "7/7"
    assert [s["status"] for s in detail["saga"]["steps"]] == ["succeeded"] * 7
    assert all(s["phase"] == "forward" and s["duration"] is not None for s in detail["saga"]["steps"])


def test_idempotency_key_returns_the_same_deployment_and_one_saga(provisioner, sim, alice_client):
    first = alice_client.post("/api/deployments/", h.BODY, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    again = alice_client.post("/api/deployments/", h.BODY, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert (first.status_code, again.status_code) == (202, 202)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["saga"]["id"] == again.json()["saga"]["id"]
    assert Saga.objects.count() == 1
    assert h.wait_saga(first.json()["saga"]["id"]).status == SagaStatus.SUCCEEDED
    assert len(h.droplets(sim)) == 1


def test_provision_false_then_provision_endpoint(provisioner, sim, alice_client):
    created = alice_client.post("/api/deployments/", {**h.BODY, "provision": False}, format="json").json()
    assert created["status"] == "pending"
    assert h.droplets(sim) == []
    response = alice_client.post(f"/api/deployments/{created['id']}/provision/")
    assert response.status_code == 202
    assert h.wait_saga(response.json()["saga"]["id"]).status == SagaStatus.SUCCEEDED
    assert alice_client.post(f"/api/deployments/{created['id']}/provision/").status_code == 409


def test_lost_response_on_create_leaves_no_droplet_after_compensation(provisioner, sim, alice_client):
    # Create answers 500 after doing the work, every time: the step gives up,
    # and compensation must find the droplets it never got the ids of.
    h.fault_lost_response_on_create(sim)
    saga_id = alice_client.post("/api/deployments/", h.BODY, format="json").json()["saga"]["id"]
    saga = h.wait_saga(saga_id)
    assert saga.status == SagaStatus.COMPENSATED, saga.error
    h.wait_until(lambda: h.droplets(sim) == [], what="no droplet left")
    assert Deployment.objects.get().status == DeploymentStatus.CANCELLED


def test_transient_storms_on_every_call_still_make_exactly_one_droplet(provisioner, sim, alice_client):
    h.fault_storms(sim)
    saga_id = alice_client.post("/api/deployments/", h.BODY, format="json").json()["saga"]["id"]
    saga = h.wait_saga(saga_id)
    assert saga.status == SagaStatus.SUCCEEDED, saga.error
    assert len(h.droplets(sim)) == 1
    assert Deployment.objects.get().status == DeploymentStatus.ACTIVE


def test_cancel_during_wait_droplet_active(provisioner, sim, alice_client):
    h.droplets_stay_new(sim)
    body = alice_client.post("/api/deployments/", h.BODY, format="json").json()
    h.wait_step(body["saga"]["id"], "wait_droplet_active", "running")
    response = alice_client.post(f"/api/deployments/{body['id']}/cancel/")
    assert response.status_code == 202
    saga = h.wait_saga(body["saga"]["id"])
    assert saga.status == SagaStatus.COMPENSATED
    assert saga.cancel_requested
    h.wait_until(lambda: h.droplets(sim) == [], what="no droplet left")
    assert Deployment.objects.get().status == DeploymentStatus.CANCELLED
    assert h.a_record(sim, "web.acme") is None


def test_teardown_of_an_active_deployment(provisioner, sim, alice_client):
    body = alice_client.post("/api/deployments/", h.BODY, format="json").json()
    assert h.wait_saga(body["saga"]["id"]).status == SagaStatus.SUCCEEDED
    response = alice_client.delete(f"/api/deployments/{body['id']}/")
    assert response.status_code == 202
    assert response.json()["status"] == "deprovisioning"
    teardown = response.json()["saga"]
    assert teardown["kind"] == "teardown_deployment"
    assert h.wait_saga(teardown["id"]).status == SagaStatus.SUCCEEDED
    assert Deployment.objects.get().status == DeploymentStatus.DELETED
    h.wait_until(lambda: h.droplets(sim) == [], what="droplet destroyed")
    assert h.a_record(sim, "web.acme") is None
    resource = CloudResource.objects.get()
    # Destroyed by the teardown, and still saying whose it was (audit, billing).
    assert (resource.status, str(resource.deployment.public_id)) == (ResourceStatus.DESTROYED, body["id"])
    assert str(resource.destroyed_by_saga_id) == teardown["id"]
    assert resource.unlinked_at is not None and resource.unlinked_at <= resource.destroyed_at
    # The hostname is free again.
    again = alice_client.post("/api/deployments/", h.BODY, format="json")
    assert again.status_code == 202
    assert h.wait_saga(again.json()["saga"]["id"]).status == SagaStatus.SUCCEEDED


def test_lost_5xx_on_create_then_failure_leaves_no_droplet(provisioner, sim, alice_client):
    # The first create's answer is lost (500 after the work); the retry
    # adopts that droplet by its tag instead of making a second one; the
    # droplet then fails to boot and compensation destroys it.
    sim.faults("droplet_create", lost_response=1, lost_mode="error", status=500, errored=True)
    saga_id = alice_client.post("/api/deployments/", h.BODY, format="json").json()["saga"]["id"]
    saga = h.wait_saga(saga_id)
    assert saga.status == SagaStatus.COMPENSATED, saga.error
    assert len(sim.requests("droplet_create")) == 1
    h.wait_until(lambda: h.droplets(sim) == [], what="no droplet left")


def test_teardown_that_cannot_destroy_compensates_back_to_active(provisioner, sim, alice_client):
    body = alice_client.post("/api/deployments/", h.BODY, format="json").json()
    assert h.wait_saga(body["saga"]["id"]).status == SagaStatus.SUCCEEDED
    record_before = h.a_record(sim, "web.acme")
    sim.faults("droplet_delete", fail_next=1, status=403, message="Forbidden.")

    teardown = alice_client.delete(f"/api/deployments/{body['id']}/").json()["saga"]

    assert h.wait_saga(teardown["id"]).status == SagaStatus.COMPENSATED
    assert Deployment.objects.get().status == DeploymentStatus.ACTIVE
    assert len(h.droplets(sim)) == 1
    assert h.a_record(sim, "web.acme")["data"] == record_before["data"]
    resource = CloudResource.objects.get()
    assert (resource.status, str(resource.deployment.public_id)) == (ResourceStatus.ACTIVE, body["id"])


def test_cancel_of_an_active_deployment_is_refused(provisioner, sim, alice_client):
    body = alice_client.post("/api/deployments/", h.BODY, format="json").json()
    assert h.wait_saga(body["saga"]["id"]).status == SagaStatus.SUCCEEDED
    response = alice_client.post(f"/api/deployments/{body['id']}/cancel/")
    assert response.status_code == 409
    assert alice_client.post(f"/api/deployments/{body['id']}/provision/").status_code == 409
