"""The deployment status changes saga steps ask for: one conditional UPDATE,
idempotent on a retry, and an illegal change refused without a write."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deployments import status_moves
from deployments.models import Deployment, DeploymentStatus
from provisioning.engine import IllegalTransition, PermanentError, StepContext
from provisioning.steps.activate_deployment import ActivateDeployment
from tests import factories

pytestmark = pytest.mark.django_db

_S = DeploymentStatus


def _deployment(status):
    return factories.DeploymentFactory(status=status)


def test_a_move_is_one_statement_and_stamps_updated_at():
    deployment = _deployment(_S.PROVISIONING)
    before = deployment.updated_at

    with CaptureQueriesContext(connection) as statements:
        status_moves.deployment_activate(deployment_id=deployment.pk)

    assert len(statements) == 1, [q["sql"] for q in statements]
    deployment.refresh_from_db()
    assert deployment.status == _S.ACTIVE and deployment.updated_at > before


def test_repeating_a_move_is_a_no_op():
    deployment = _deployment(_S.ACTIVE)
    before = deployment.updated_at

    with CaptureQueriesContext(connection) as statements:
        status_moves.deployment_activate(deployment_id=deployment.pk)

    # One statement, which changes nothing: the status and its timestamp stay.
    assert len(statements) == 1, [q["sql"] for q in statements]
    deployment.refresh_from_db()
    assert (deployment.status, deployment.updated_at) == (_S.ACTIVE, before)


def test_an_illegal_move_raises_and_writes_nothing():
    deployment = _deployment(_S.CANCELLED)

    with pytest.raises(IllegalTransition, match="'cancelled' to 'active'"):
        status_moves.deployment_activate(deployment_id=deployment.pk)

    assert Deployment.objects.get(pk=deployment.pk).status == _S.CANCELLED


def test_a_step_reports_an_illegal_move_or_a_missing_deployment_as_permanent():
    deployment = _deployment(_S.CANCELLED)

    def activate(deployment_id):
        ctx = StepContext(
            saga_id="s",
            step_index=6,
            step_name="activate_deployment",
            attempt=1,
            data={"deployment_id": deployment_id},
        )
        ActivateDeployment().execute(ctx)

    with pytest.raises(PermanentError, match="cannot go from 'cancelled'"):
        activate(deployment.pk)
    with pytest.raises(PermanentError, match="does not exist"):
        activate(deployment.pk + 1000)


@pytest.mark.parametrize(
    ("status", "after"),
    [(_S.ACTIVE, _S.PROVISIONING), (_S.PROVISIONING, _S.PROVISIONING), (_S.CANCELLED, _S.CANCELLED)],
)
def test_deactivate_only_moves_an_active_deployment(status, after):
    deployment = _deployment(status)

    status_moves.deployment_deactivate(deployment_id=deployment.pk)

    assert Deployment.objects.get(pk=deployment.pk).status == after
