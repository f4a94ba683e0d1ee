"""The provisioning saga's corners: a cancel before its first step, a DNS
update whose answer is lost, a provider outage of minutes."""

import pytest
from django.db import transaction

from deployments.models import Deployment, DeploymentStatus
from deployments.services import deployment_provision_context
from provisioning.engine import SagaStatus, StepStatus, saga_start
from tests import factories
from tests.provisioning import helpers as h
from tests.provisioning.faulty import FAULTY_KINDS

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_cancel_before_the_first_step_ran_cancels_the_deployment(provisioner, sim, alice_client):
    # Nothing leaves before the commit: the worker has not begun when the
    # cancel arrives.
    with transaction.atomic():
        body = alice_client.post("/api/deployments/", h.BODY, format="json").json()
        response = alice_client.post(f"/api/deployments/{body['id']}/cancel/")
    assert response.status_code == 202, response.content
    saga = h.wait_saga(body["saga"]["id"])

    assert saga.status == SagaStatus.COMPENSATED
    assert saga.steps.get(name="mark_deployment_provisioning").status == StepStatus.COMPENSATED
    assert Deployment.objects.get().status == DeploymentStatus.CANCELLED
    assert h.droplets(sim) == []
    # Nothing is stranded: the name is free again.
    again = alice_client.post("/api/deployments/", h.BODY, format="json")
    assert again.status_code == 202, again.content


def test_rollback_after_a_lost_dns_answer_restores_the_record_that_stood_before(
    provisioner, sim, acme, settings
):
    # Only where an operator allows adopting a record Arcadia did not create.
    settings.ARCADIA_DNS_ADOPT_EXISTING = True
    h.dns_seed(sim, "web.acme", "198.51.100.7", ttl=1800)
    # The update happens, its answer is lost: the retry finds its own address.
    sim.faults("record_update", lost_response=1, lost_mode="error", status=503)
    deployment = factories.DeploymentFactory(tenant=acme, name="web", status=DeploymentStatus.PROVISIONING)
    context = deployment_provision_context(deployment=deployment)
    # Fails after DNS, so the DNS step's compensation must put the old record back.
    saga = saga_start(kind=FAULTY_KINDS["activate_deployment"], context=context, subject=deployment)

    saga = h.wait_saga(saga.pk)

    assert saga.status == SagaStatus.COMPENSATED, saga.error
    assert saga.steps.get(name="point_deployment_dns").attempts == 2
    record = h.a_record(sim, "web.acme")
    assert record is not None, "the record that stood before was deleted"
    assert (record["data"], record["ttl"]) == ("198.51.100.7", 1800)


def test_a_provider_outage_outlasting_five_attempts_rolls_nothing_back(provisioner, sim, alice_client):
    # The DNS look-up fails five times in a row (about 20 s of backoff): five
    # attempts used to be the limit, and the deployment was rolled back.
    sim.faults(record_list={"fail_next": 5, "status": 503, "retry_after": 0.05})
    body = alice_client.post("/api/deployments/", h.BODY, format="json").json()

    saga = h.wait_saga(body["saga"]["id"], timeout=120)

    assert saga.status == SagaStatus.SUCCEEDED, saga.error
    assert Deployment.objects.get().status == DeploymentStatus.ACTIVE
