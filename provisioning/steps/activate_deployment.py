"""Step ``activate_deployment``: the deployment becomes active (undo: back to provisioning)."""

from deployments.status_moves import deployment_activate, deployment_deactivate
from provisioning.engine import Step, StepContext
from provisioning.steps._deployments import deployment_errors


class ActivateDeployment(Step):
    """Deployment → ``active``: the last step, reached only when the droplet
    runs, is in inventory, is linked and DNS points at it.

    Idempotent: an ``active`` deployment is left alone.

    Compensation: ``active`` → back to ``provisioning`` (a cancel that lands
    after this step, or a failure of the step itself after its write), so
    mark_deployment_provisioning's compensation can cancel it.
    """

    name = "activate_deployment"

    def execute(self, ctx: StepContext) -> None:
        with deployment_errors(ctx["deployment_id"]):
            deployment_activate(deployment_id=ctx["deployment_id"])

    def compensate(self, ctx: StepContext) -> None:
        with deployment_errors(ctx["deployment_id"]):
            deployment_deactivate(deployment_id=ctx["deployment_id"])
