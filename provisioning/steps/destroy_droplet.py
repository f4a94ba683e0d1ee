"""Step ``destroy_droplet`` (teardown): destroys the deployment's droplet."""

from provisioning.engine import Step, StepContext
from provisioning.steps._gateway import droplet_destroy, gateway


class DestroyDroplet(Step):
    """Teardown: destroys the deployment's droplet; output
    ``droplet_destroyed``. The point of no return of the teardown.

    Idempotent: a droplet already gone answers 404, which counts as done;
    a 422 (an event still pending) is retried.

    Compensation: nothing can un-destroy a droplet. The earlier
    compensations read ``droplet_destroyed`` and leave DNS and the link
    alone, and the deployment ends ``failed`` for an operator.
    """

    name = "destroy_droplet"
    provider_calls = 1  # the destroy

    def execute(self, ctx: StepContext) -> dict:
        if ctx.get("droplet_id") is not None:
            droplet_destroy(gateway(ctx), ctx["droplet_id"])
        return {"droplet_destroyed": True}

    def compensate(self, ctx: StepContext) -> None:
        return None
