"""Step ``mark_deployment_deprovisioning`` (teardown's first): the deployment is being torn down."""

from deployments.status_moves import deployment_end_teardown, deployment_mark_deprovisioning
from provisioning.engine import Step, StepContext
from provisioning.steps._deployments import deployment_errors


class MarkDeploymentDeprovisioning(Step):
    """Teardown, first step: deployment → ``deprovisioning`` (the API usually
    did already, in the transaction that started the saga).

    Owns the teardown's failure state. Idempotent: a deployment already
    ``deprovisioning`` is left alone.

    Compensation: back to ``active`` while the droplet still exists (the
    later compensations restored its DNS and link), or ``failed`` when
    destroy_droplet already destroyed it: nothing can bring it back and an
    operator must finish the teardown.
    """

    name = "mark_deployment_deprovisioning"
    # It owns the failure state, so a cancel that lands before it ran still
    # reaches its compensation (which is safe when execute never ran).
    compensate_if_skipped = True

    def execute(self, ctx: StepContext) -> None:
        with deployment_errors(ctx["deployment_id"]):
            deployment_mark_deprovisioning(deployment_id=ctx["deployment_id"])

    def compensate(self, ctx: StepContext) -> None:
        with deployment_errors(ctx["deployment_id"]):
            deployment_end_teardown(
                deployment_id=ctx["deployment_id"],
                droplet_destroyed=bool(ctx.get("droplet_destroyed")),
            )
