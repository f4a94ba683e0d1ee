from inventory.services import cloud_resource_link
from provisioning.engine import Step, StepContext


class UnlinkDeploymentResource(Step):
    """Teardown: clears the deployment and tenant from the droplet's
    inventory row (the reverse of link_deployment_resource).

    Idempotent: writes the same two empty columns again.

    Compensation: stamps them back while the droplet still exists; after
    destroy_droplet the row stays unlinked (the teardown cannot be undone
    past that point).
    """

    name = "unlink_deployment_resource"

    def execute(self, ctx: StepContext) -> None:
        if ctx.get("cloud_resource_id") is not None:
            cloud_resource_link(resource_id=ctx["cloud_resource_id"], deployment_id=None, tenant_id=None)

    def compensate(self, ctx: StepContext) -> None:
        if ctx.get("cloud_resource_id") is None or ctx.get("droplet_destroyed"):
            return
        cloud_resource_link(
            resource_id=ctx["cloud_resource_id"],
            deployment_id=ctx["deployment_id"],
            tenant_id=ctx["tenant_id"],
        )
