"""Test-only saga definitions: the real provisioning steps, with one of
them made to fail permanently *after* doing its work.

The steps that only touch the database (mark, register, link, activate)
cannot be broken through the simulator, and product code carries no test
hooks, so the rollback drill runs these definitions instead. Failing after
the work is the harder case: the failing step's own compensation must
undo what it did.
"""

from provisioning.engine import PermanentError, SagaDefinition, Step
from provisioning.sagas import PROVISION_DEPLOYMENT


class FailsAfterWork(Step):
    def __init__(self, inner: Step):
        self.inner = inner
        self.name = inner.name

    @property
    def retry(self):
        return self.inner.retry

    @property
    def compensation_retry(self):
        return self.inner.compensation_retry

    def execute(self, ctx):
        self.inner.execute(ctx)
        raise PermanentError(f"injected failure after {self.name}")

    def compensate(self, ctx):
        self.inner.compensate(ctx)


def failing_at(step_name: str) -> SagaDefinition:
    steps = tuple(FailsAfterWork(s) if s.name == step_name else s for s in PROVISION_DEPLOYMENT.steps)
    return SagaDefinition(kind=f"test_provision_failing_at_{step_name}", steps=steps)


FAILING_AT_MARK = failing_at("mark_deployment_provisioning")
FAILING_AT_REGISTER = failing_at("register_droplet")
FAILING_AT_LINK = failing_at("link_deployment_resource")
FAILING_AT_ACTIVATE = failing_at("activate_deployment")
ALL = [FAILING_AT_MARK, FAILING_AT_REGISTER, FAILING_AT_LINK, FAILING_AT_ACTIVATE]
# Step name -> the kind of the definition that fails there.
FAULTY_KINDS = {d.kind.removeprefix("test_provision_failing_at_"): d.kind for d in ALL}
