"""The two saga definitions Arcadia runs, registered by dotted path in
``ARCADIA_SAGA_DEFINITIONS``. Step names are stored data: never rename one;
change a definition's steps by bumping its ``version``."""

from provisioning.engine import SagaDefinition
from provisioning.steps.activate_deployment import ActivateDeployment
from provisioning.steps.create_droplet import CreateDroplet
from provisioning.steps.destroy_droplet import DestroyDroplet
from provisioning.steps.link_deployment_resource import LinkDeploymentResource
from provisioning.steps.mark_deployment_deleted import MarkDeploymentDeleted
from provisioning.steps.mark_deployment_deprovisioning import MarkDeploymentDeprovisioning
from provisioning.steps.mark_deployment_provisioning import MarkDeploymentProvisioning
from provisioning.steps.mark_resource_destroyed import MarkResourceDestroyed
from provisioning.steps.point_deployment_dns import PointDeploymentDns
from provisioning.steps.register_droplet import RegisterDroplet
from provisioning.steps.remove_deployment_dns import RemoveDeploymentDns
from provisioning.steps.unlink_deployment_resource import UnlinkDeploymentResource
from provisioning.steps.wait_droplet_active import WaitDropletActive

PROVISION_DEPLOYMENT = SagaDefinition(
    kind="provision_deployment",
    steps=(
        MarkDeploymentProvisioning(),
        CreateDroplet(),
        WaitDropletActive(),
        RegisterDroplet(),
        LinkDeploymentResource(),
        PointDeploymentDns(),
        ActivateDeployment(),
    ),
)

TEARDOWN_DEPLOYMENT = SagaDefinition(
    kind="teardown_deployment",
    steps=(
        MarkDeploymentDeprovisioning(),
        RemoveDeploymentDns(),
        UnlinkDeploymentResource(),
        DestroyDroplet(),
        MarkResourceDestroyed(),
        MarkDeploymentDeleted(),
    ),
)
