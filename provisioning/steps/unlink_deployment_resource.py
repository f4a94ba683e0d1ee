"""Step ``unlink_deployment_resource`` (teardown): unlinks the droplet from its deployment."""

from inventory.services import cloud_resource_link, cloud_resource_unlink
from provisioning.engine import Step, StepContext


class UnlinkDeploymentResource(Step):
    """Teardown: records that the deployment no longer uses the droplet's
    inventory row (``unlinked_at``, the reverse of link_deployment_resource);
    tenant and deployment stay on the row for audit and billing.

    Idempotent: a row already unlinked keeps its first timestamp.

    Compensation: links the row again (clears ``unlinked_at``) while the
    droplet still exists; after destroy_droplet the row stays unlinked (the
    teardown cannot be undone past that point).
    """

    name = "unlink_deployment_resource"

    def execute(self, ctx: StepContext) -> None:
        if ctx.get("cloud_resource_id") is not None:
            cloud_resource_unlink(resource_id=ctx["cloud_resource_id"])

    def compensate(self, ctx: StepContext) -> None:
        if ctx.get("cloud_resource_id") is None or ctx.get("droplet_destroyed"):
            return
        cloud_resource_link(
            resource_id=ctx["cloud_resource_id"],
            deployment_id=ctx["deployment_id"],
            tenant_id=ctx["tenant_id"],
        )
