"""Each model's declared lifecycle: allowed moves pass, others raise."""

import pytest

from deployments.models import Deployment, DeploymentStatus
from inventory.models import CloudResource, ResourceStatus
from provisioning.engine import IllegalTransition, Saga, SagaStatus, SagaStep, StepStatus

D, R, G, T = DeploymentStatus, ResourceStatus, SagaStatus, StepStatus

ALLOWED = [
    (Deployment, D.PENDING, D.PROVISIONING),
    (Deployment, D.PROVISIONING, D.ACTIVE),
    (Deployment, D.PROVISIONING, D.CANCELLED),
    (Deployment, D.ACTIVE, D.PROVISIONING),
    (Deployment, D.ACTIVE, D.DEPROVISIONING),
    (Deployment, D.DEPROVISIONING, D.DELETED),
    (Deployment, D.DEPROVISIONING, D.FAILED),
    (Deployment, D.FAILED, D.DEPROVISIONING),
    (CloudResource, R.NEW, R.ACTIVE),
    (CloudResource, R.ACTIVE, R.DESTROYED),
    (Saga, G.PENDING, G.RUNNING),
    (Saga, G.RUNNING, G.SUCCEEDED),
    (Saga, G.RUNNING, G.COMPENSATING),
    (Saga, G.COMPENSATING, G.COMPENSATED),
    (Saga, G.COMPENSATING, G.COMPENSATION_FAILED),
    (Saga, G.COMPENSATION_FAILED, G.COMPENSATING),
    (SagaStep, T.PENDING, T.RUNNING),
    (SagaStep, T.RUNNING, T.SUCCEEDED),
    (SagaStep, T.RUNNING, T.FAILED),
    (SagaStep, T.SUCCEEDED, T.COMPENSATING),
    (SagaStep, T.COMPENSATING, T.COMPENSATED),
    (SagaStep, T.COMPENSATING, T.COMPENSATION_FAILED),
    (SagaStep, T.PENDING, T.SKIPPED),
]

REFUSED = [
    (Deployment, D.PENDING, D.ACTIVE),
    (Deployment, D.CANCELLED, D.PROVISIONING),
    (Deployment, D.DELETED, D.ACTIVE),
    (Deployment, D.ACTIVE, D.CANCELLED),
    (CloudResource, R.DESTROYED, R.ACTIVE),
    (CloudResource, R.ACTIVE, R.NEW),
    (Saga, G.PENDING, G.SUCCEEDED),
    (Saga, G.SUCCEEDED, G.COMPENSATING),
    (Saga, G.COMPENSATED, G.RUNNING),
    (SagaStep, T.PENDING, T.SUCCEEDED),
    (SagaStep, T.PENDING, T.COMPENSATING),
    (SagaStep, T.COMPENSATED, T.COMPENSATING),
    (SagaStep, T.SKIPPED, T.RUNNING),
]


@pytest.mark.parametrize(("model", "current", "target"), ALLOWED)
def test_declared_transition_is_allowed(model, current, target):
    obj = model(status=current)
    obj.transition_to(target)
    assert obj.status == target


@pytest.mark.parametrize(("model", "current", "target"), REFUSED)
def test_undeclared_transition_raises(model, current, target):
    obj = model(status=current)
    with pytest.raises(IllegalTransition, match=f"{model.__name__} cannot go from '{current}' to '{target}'"):
        obj.transition_to(target)
    assert obj.status == current


def test_every_status_has_a_row_in_its_table():
    for model, choices in [(Deployment, D), (CloudResource, R), (Saga, G), (SagaStep, T)]:
        for status in choices.values:
            # Every status is declared (possibly with no way out), so a
            # forgotten status cannot silently become terminal.
            assert status in model.TRANSITIONS._allowed, (model.__name__, status)


def test_sources_of_lists_every_predecessor():
    assert Saga.TRANSITIONS.sources_of(G.COMPENSATING) == [G.COMPENSATION_FAILED, G.PENDING, G.RUNNING]
