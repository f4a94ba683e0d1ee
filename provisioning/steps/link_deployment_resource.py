from inventory.services import cloud_resource_link
from provisioning.engine import Step, StepContext


class LinkDeploymentResource(Step):
    """Stamps the deployment and its tenant on the resource row registered
    by register_droplet, so the droplet shows under the deployment and bills
    to the right tenant.

    Idempotent: re-running writes the same two columns again.

    Compensation: clears both. The row itself and the droplet are undone by
    register_droplet and create_droplet.
    """

    name = "link_deployment_resource"

    def execute(self, ctx: StepContext) -> None:
        cloud_resource_link(
            resource_id=ctx["cloud_resource_id"],
            deployment_id=ctx["deployment_id"],
            tenant_id=ctx["tenant_id"],
        )

    def compensate(self, ctx: StepContext) -> None:
        if ctx.get("cloud_resource_id") is not None:
            cloud_resource_link(resource_id=ctx["cloud_resource_id"], deployment_id=None, tenant_id=None)
