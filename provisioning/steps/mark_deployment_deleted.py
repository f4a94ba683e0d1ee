"""Step ``mark_deployment_deleted`` (teardown): the deployment ends ``deleted``."""

from deployments.status_moves import deployment_mark_deleted
from provisioning.engine import Step, StepContext
from provisioning.steps._deployments import deployment_errors


class MarkDeploymentDeleted(Step):
    """Teardown, last step: deployment → ``deleted``; its hostname is free
    for a new deployment.

    Idempotent: a deployment already ``deleted`` is left alone.

    Compensation: nothing here; mark_deployment_deprovisioning's
    compensation sets ``failed`` since the droplet is already gone.
    """

    name = "mark_deployment_deleted"

    def execute(self, ctx: StepContext) -> None:
        with deployment_errors(ctx["deployment_id"]):
            deployment_mark_deleted(deployment_id=ctx["deployment_id"])

    def compensate(self, ctx: StepContext) -> None:
        return None
