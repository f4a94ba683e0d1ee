"""Inventory keeps whose a resource was: unlinking is a timestamp, destroying
records when and by which saga, and neither erases tenant or deployment."""

import uuid

import pytest

from deployments.models import Deployment
from inventory.models import ResourceStatus
from inventory.services import cloud_resource_link, cloud_resource_mark_destroyed, cloud_resource_unlink
from tests import factories

pytestmark = pytest.mark.django_db


def test_unlink_keeps_tenant_and_deployment_and_its_first_timestamp():
    deployment = factories.DeploymentFactory()
    resource = factories.CloudResourceFactory(status="active")
    cloud_resource_link(resource_id=resource.pk, deployment_id=deployment.pk, tenant_id=deployment.tenant_id)
    cloud_resource_unlink(resource_id=resource.pk)
    resource.refresh_from_db()
    first = resource.unlinked_at
    assert first is not None
    assert (resource.deployment_id, resource.tenant_id) == (deployment.pk, deployment.tenant_id)
    cloud_resource_unlink(resource_id=resource.pk)  # a retried step
    resource.refresh_from_db()
    assert resource.unlinked_at == first


def test_linking_again_clears_the_unlink():
    deployment = factories.DeploymentFactory()
    resource = factories.CloudResourceFactory(
        status="active", deployment=deployment, tenant=deployment.tenant
    )
    cloud_resource_unlink(resource_id=resource.pk)
    cloud_resource_link(resource_id=resource.pk, deployment_id=deployment.pk, tenant_id=deployment.tenant_id)
    resource.refresh_from_db()
    assert resource.unlinked_at is None


def test_destroyed_records_when_and_by_which_saga_once():
    deployment = factories.DeploymentFactory()
    resource = factories.CloudResourceFactory(
        status="active", deployment=deployment, tenant=deployment.tenant
    )
    saga_id = uuid.uuid4()
    cloud_resource_mark_destroyed(resource_id=resource.pk, saga_id=saga_id)
    cloud_resource_mark_destroyed(
        resource_id=resource.pk, saga_id=uuid.uuid4()
    )  # a later one changes nothing
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.DESTROYED
    assert resource.destroyed_by_saga_id == saga_id and resource.destroyed_at is not None
    assert resource.deployment_id == deployment.pk


def test_resources_api_and_admin_show_the_trail(client, api_client, failed_saga, staff_client):
    deployment = Deployment.objects.get(pk=failed_saga.subject_id)
    resource = factories.CloudResourceFactory(
        external_id="777", status="active", deployment=deployment, tenant=deployment.tenant
    )
    cloud_resource_unlink(resource_id=resource.pk)
    cloud_resource_mark_destroyed(resource_id=resource.pk, saga_id=failed_saga.pk)
    page = staff_client.get(f"/admin/inventory/cloudresource/{resource.pk}/change/").content.decode()
    assert f'href="/admin/provisioning/saga/{failed_saga.pk}/change/"' in page
    assert deployment.hostname in page
    listing = staff_client.get("/api/resources/").json()["results"][0]
    assert listing["destroyed_by_saga"] == str(failed_saga.pk)
    assert listing["deployment"] == str(deployment.public_id) and listing["unlinked_at"] is not None
