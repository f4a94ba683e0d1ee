"""The rollback drill: a permanent fault at each of the seven steps in turn,
with and without a record already at the hostname (adopted: an operator
allowed it; refused otherwise, see test_dns_records_not_ours). Every time: deployment
cancelled, no droplet left, DNS identical to before, resource destroyed by
that saga and still saying whose it was, saga compensated."""

import pytest

from deployments.models import Deployment, DeploymentStatus
from deployments.services import deployment_provision_context
from inventory.budget import budget_status
from inventory.models import CloudResource, ResourceStatus
from provisioning.engine import SagaStatus, StepStatus, saga_start
from provisioning.sagas import PROVISION_DEPLOYMENT
from tests import factories
from tests.provisioning import helpers as h
from tests.provisioning.faulty import FAULTY_KINDS

pytestmark = [pytest.mark.django_db(transaction=True)]

STEPS = [step.name for step in PROVISION_DEPLOYMENT.steps]


def start(step: str, acme):
    """Start the saga with the fault in place; returns its id."""
    deployment = factories.DeploymentFactory(tenant=acme, name="web", status=DeploymentStatus.PROVISIONING)
    context = deployment_provision_context(deployment=deployment)
    kind = FAULTY_KINDS.get(step, "provision_deployment")
    return saga_start(kind=kind, context=context, subject=deployment).pk


@pytest.mark.parametrize("previous", [None, "198.51.100.7"], ids=["no-record", "existing-record"])
@pytest.mark.parametrize("step", STEPS)
def test_permanent_fault_rolls_everything_back(provisioner, sim, acme, step, previous, settings):
    settings.ARCADIA_DNS_ADOPT_EXISTING = bool(previous)
    if previous:
        h.dns_seed(sim, "web.acme", previous, ttl=1800)
    dns_before = h.records(sim)
    h.fault_permanent_at(sim, step)

    saga = h.wait_saga(start(step, acme))

    assert saga.status == SagaStatus.COMPENSATED, saga.error
    failed = saga.steps.get(name=step)
    assert failed.status == StepStatus.COMPENSATED
    later = saga.steps.filter(index__gt=failed.index)
    assert {s.status for s in later} <= {StepStatus.PENDING, StepStatus.SKIPPED}
    assert Deployment.objects.get().status == DeploymentStatus.CANCELLED
    h.wait_until(lambda: h.droplets(sim) == [], what="no droplet left")
    assert h.records(sim) == dns_before
    resources = list(CloudResource.objects.all())
    # register_droplet records the droplet (and fails after its work when the
    # fault is there): from that step on there is exactly one row to check.
    registered = STEPS.index(step) >= STEPS.index("register_droplet")
    assert len(resources) == (1 if registered else 0)
    assert all(r.status == ResourceStatus.DESTROYED for r in resources)
    # The audit trail: destroyed by this saga, and once linked, unlinked by a
    # timestamp with tenant and deployment kept (never erased).
    assert all(r.destroyed_by_saga_id == saga.pk and r.destroyed_at for r in resources)
    linked = STEPS.index(step) >= STEPS.index("link_deployment_resource")
    deployment = Deployment.objects.get()
    for r in resources:
        if linked:
            assert (r.deployment_id, r.tenant_id) == (deployment.pk, acme.pk)
            assert r.unlinked_at is not None and r.unlinked_at <= r.destroyed_at
        else:
            assert (r.deployment_id, r.tenant_id, r.unlinked_at) == (None, None, None)
    # What the create held for the saga's DNS calls is given back at the end.
    assert budget_status()["held"] == 0
