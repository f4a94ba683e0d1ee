"""Step ``mark_resource_destroyed`` (teardown): the inventory records the droplet destroyed."""

from inventory.services import cloud_resource_mark_destroyed
from provisioning.engine import Step, StepContext


class MarkResourceDestroyed(Step):
    """Teardown: the droplet's inventory row → ``destroyed`` by this saga
    (kept for audit and billing with its tenant and deployment, never
    deleted).

    Idempotent: a row already destroyed is left alone.

    Compensation: nothing; the droplet is gone, so the row stays destroyed.
    """

    name = "mark_resource_destroyed"

    def execute(self, ctx: StepContext) -> None:
        if ctx.get("cloud_resource_id") is not None:
            cloud_resource_mark_destroyed(resource_id=ctx["cloud_resource_id"], saga_id=ctx.saga_id)

    def compensate(self, ctx: StepContext) -> None:
        return None
