"""The provisioning saga on the production shape: a real prefork Celery
worker process on the real Redis and PostgreSQL, and ``python -m dosim`` as a
separate process on a port. The API is called in this process."""

import pytest

from deployments.models import Deployment, DeploymentStatus
from inventory.models import CloudResource, ResourceStatus
from provisioning.engine import SagaStatus
from tests.provisioning import helpers as h

pytestmark = pytest.mark.integration

FAST = {"ARCADIA_DROPLET_POLL_INTERVAL": "0.1", "ARCADIA_DROPLET_ACTIVE_TIMEOUT": "30"}


def test_happy_path_on_a_worker_process(dosim_process, celery_worker_process, alice_client):
    celery_worker_process(env=FAST)
    response = alice_client.post("/api/deployments/", h.BODY, format="json")
    assert response.status_code == 202

    saga = h.wait_saga(response.json()["saga"]["id"], timeout=90)

    assert saga.status == SagaStatus.SUCCEEDED, saga.error
    assert Deployment.objects.get().status == DeploymentStatus.ACTIVE
    [droplet] = h.droplets(dosim_process)
    resource = CloudResource.objects.get()
    assert resource.external_id == str(droplet["id"])
    assert h.a_record(dosim_process, "web.acme")["data"] == h.droplet_ipv4(droplet) == resource.ipv4


def test_dns_failure_rolls_back_on_a_worker_process(
    dosim_process, celery_worker_process, alice_client, settings
):
    # The record is adopted (frozen into the saga at the POST, so the
    # worker's own settings do not matter): its rollback must restore it.
    settings.ARCADIA_DNS_ADOPT_EXISTING = True
    h.dns_seed(dosim_process, "web.acme", "198.51.100.7", ttl=1800)
    dns_before = h.records(dosim_process)
    h.fault_permanent_at(dosim_process, "point_deployment_dns")
    celery_worker_process(env=FAST)

    response = alice_client.post("/api/deployments/", h.BODY, format="json")
    saga = h.wait_saga(response.json()["saga"]["id"], timeout=90)

    assert saga.status == SagaStatus.COMPENSATED, saga.error
    assert Deployment.objects.get().status == DeploymentStatus.CANCELLED
    h.wait_until(lambda: h.droplets(dosim_process) == [], what="no droplet left")
    assert h.records(dosim_process) == dns_before
    assert CloudResource.objects.get().status == ResourceStatus.DESTROYED
