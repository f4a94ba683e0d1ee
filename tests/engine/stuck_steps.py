"""A saga whose second step is stuck where Celery's soft time limit cannot
reach it (it swallows ``SoftTimeLimitExceeded``, as code blocked in a C call
would never see it), so only the hard limit ends it: the pool process is
killed and the task never returns. Loaded by worker processes through
``ARCADIA_EXTRA_SAGA_DEFINITIONS``."""

import contextlib
import time

from celery.exceptions import SoftTimeLimitExceeded

from provisioning.engine import SagaDefinition, StepContext
from tests.support.fake_steps import FakeStep


class StuckStep(FakeStep):
    def execute(self, ctx: StepContext):
        for _ in range(600):  # a minute, far past any limit the test sets
            with contextlib.suppress(SoftTimeLimitExceeded):
                time.sleep(0.1)
        return {}


STUCK: SagaDefinition = SagaDefinition(
    kind="stuck_past_time_limit", steps=(FakeStep("before_stuck"), StuckStep("stuck"))
)
