"""Database constraints: the duplicate is refused by the database itself."""

import pytest
from django.db import IntegrityError, connection, transaction

from deployments.models import DeploymentStatus
from provisioning.engine import SagaStatus
from tests import factories

pytestmark = pytest.mark.django_db


def test_database_is_postgresql_in_the_test_suite():
    # The constraints below must be proven on the production database.
    assert connection.vendor == "postgresql"


def test_resource_provider_external_id_is_unique():
    factories.CloudResourceFactory(external_id="42")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.CloudResourceFactory(external_id="42")


def test_step_index_is_unique_per_saga():
    saga = factories.SagaFactory()
    factories.SagaStepFactory(saga=saga, index=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.SagaStepFactory(saga=saga, index=0)
    factories.SagaStepFactory(saga=factories.SagaFactory(), index=0)


@pytest.mark.parametrize("live", [SagaStatus.PENDING, SagaStatus.RUNNING, SagaStatus.COMPENSATING])
def test_at_most_one_live_saga_per_deployment(live):
    deployment = factories.DeploymentFactory()
    factories.SagaFactory(deployment=deployment, status=live)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.SagaFactory(deployment=deployment, status=SagaStatus.PENDING)


def test_finished_sagas_do_not_block_a_new_one():
    deployment = factories.DeploymentFactory()
    for finished in [SagaStatus.SUCCEEDED, SagaStatus.COMPENSATED, SagaStatus.COMPENSATION_FAILED]:
        factories.SagaFactory(deployment=deployment, status=finished)
    factories.SagaFactory(deployment=deployment, status=SagaStatus.RUNNING)


def test_live_hostname_is_unique_but_released_by_cancel():
    first = factories.DeploymentFactory(hostname="web.arcadia.test", status=DeploymentStatus.ACTIVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.DeploymentFactory(hostname="web.arcadia.test")
    first.status = DeploymentStatus.CANCELLED
    first.save()
    factories.DeploymentFactory(hostname="web.arcadia.test")


def test_membership_is_unique_per_user_and_tenant():
    membership = factories.TenantMembershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.TenantMembershipFactory(user=membership.user, tenant=membership.tenant)
