"""Step ``register_droplet``: records the droplet in the inventory (undo: marks it destroyed)."""

from inventory.models import Provider
from inventory.selectors import cloud_resource_id_by_external_id
from inventory.services import cloud_resource_mark_destroyed, cloud_resource_register
from provisioning.engine import Step, StepContext


class RegisterDroplet(Step):
    """Records the droplet in inventory (a CloudResource row, ``active``);
    output ``cloud_resource_id``.

    Idempotent: an upsert keyed by (provider, droplet id).

    Compensation: marks that row ``destroyed`` by this saga (rows are never
    deleted: audit and billing need them); create_droplet's compensation, which runs
    next, destroys the droplet itself. The row is found by droplet id when
    its own id was never recorded.
    """

    name = "register_droplet"

    def execute(self, ctx: StepContext) -> dict:
        resource = cloud_resource_register(
            external_id=str(ctx["droplet_id"]),
            name=ctx["droplet_name"],
            region=ctx["region"],
            size=ctx["size"],
            ipv4=ctx["ipv4"],
        )
        return {"cloud_resource_id": resource.pk}

    def compensate(self, ctx: StepContext) -> None:
        resource_id = ctx.get("cloud_resource_id")
        if resource_id is None and ctx.get("droplet_id") is not None:
            resource_id = cloud_resource_id_by_external_id(
                provider=Provider.DIGITALOCEAN, external_id=str(ctx["droplet_id"])
            )
        if resource_id is not None:
            cloud_resource_mark_destroyed(resource_id=resource_id, saga_id=ctx.saga_id)
