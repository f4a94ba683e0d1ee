"""Step ``mark_deployment_provisioning`` (provisioning's first): the deployment is being provisioned."""

from deployments.status_moves import deployment_mark_cancelled, deployment_mark_provisioning
from provisioning.engine import Step, StepContext
from provisioning.steps._deployments import deployment_errors


class MarkDeploymentProvisioning(Step):
    """Puts the deployment in ``provisioning`` (the API usually did already,
    in the transaction that started the saga).

    This step owns the deployment's failure state: whatever fails later, the
    compensation chain ends here and the deployment becomes ``cancelled``.

    Idempotent: a deployment already ``provisioning`` is left alone.

    Compensation: deployment → ``cancelled``; already cancelled is fine.
    By then activate_deployment's compensation has moved an ``active``
    deployment back to ``provisioning``.
    """

    name = "mark_deployment_provisioning"
    # It owns the failure state, so a cancel that lands before it ran still
    # reaches its compensation (which is safe when execute never ran).
    compensate_if_skipped = True

    def execute(self, ctx: StepContext) -> None:
        with deployment_errors(ctx["deployment_id"]):
            deployment_mark_provisioning(deployment_id=ctx["deployment_id"])

    def compensate(self, ctx: StepContext) -> None:
        with deployment_errors(ctx["deployment_id"]):
            deployment_mark_cancelled(deployment_id=ctx["deployment_id"])
