"""Eager mode, the way most Django projects test Celery code: a user's own
suite with ``CELERY_TASK_ALWAYS_EAGER`` (propagating errors or not) gets the
same answers as with a worker. The saga runs inside the request, after its
transaction commits; a rollback compensates and the POST still answers 202."""

import pytest
from celery import current_app

from deployments.models import Deployment, DeploymentStatus
from inventory.models import CloudResource, ResourceStatus
from provisioning.engine import Saga, SagaStatus
from tests.provisioning import helpers as h

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[False, True], ids=["eager", "eager-propagates"])
def eager(request, settings, sim):
    conf = current_app.conf
    before = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager, conf.task_eager_propagates = True, request.param
    settings.ARCADIA_DROPLET_POLL_INTERVAL = 0.05
    sim.configure(boot_delay=1.0)
    yield
    conf.task_always_eager, conf.task_eager_propagates = before


def test_eager_post_provisions_before_it_answers(eager, sim, alice_client):
    response = alice_client.post("/api/deployments/", h.BODY, format="json")

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "active"
    assert body["saga"]["status"] == "succeeded" and body["saga"]["progress"] == "7/7"
    polls = Saga.objects.get().steps.get(name="wait_droplet_active").polls
    assert 1 <= polls < 100  # waited the boot out at the poll interval: no recursion, no spin
    [droplet] = h.droplets(sim)
    assert h.a_record(sim, "web.acme")["data"] == h.droplet_ipv4(droplet)


def test_eager_rollback_compensates_and_the_post_still_answers_202(eager, sim, alice_client):
    h.fault_permanent_at(sim, "point_deployment_dns")

    response = alice_client.post("/api/deployments/", h.BODY, format="json")

    assert response.status_code == 202, response.content
    assert response.json()["status"] == "cancelled"
    saga = Saga.objects.get()
    assert saga.status == SagaStatus.COMPENSATED, saga.error
    assert Deployment.objects.get().status == DeploymentStatus.CANCELLED
    assert h.droplets(sim) == []
    assert h.a_record(sim, "web.acme") is None
    assert CloudResource.objects.get().status == ResourceStatus.DESTROYED
