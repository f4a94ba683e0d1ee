"""Step ``link_deployment_resource``: links the recorded droplet to its deployment (undo: unlinks)."""

from inventory.services import cloud_resource_link, cloud_resource_unlink
from provisioning.engine import Step, StepContext


class LinkDeploymentResource(Step):
    """Stamps the deployment and its tenant on the resource row registered
    by register_droplet, so the droplet shows under the deployment and bills
    to the right tenant.

    Idempotent: re-running writes the same columns again.

    Compensation: records the unlink (``unlinked_at``) and keeps tenant and
    deployment on the row, so the audit trail still says whose the droplet
    was. The row itself and the droplet are undone by register_droplet and
    create_droplet.
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
            cloud_resource_unlink(resource_id=ctx["cloud_resource_id"])
