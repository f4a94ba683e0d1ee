"""Running a saga inline, in this thread, for Celery's eager mode.

A Django project's test suite usually runs Celery eagerly
(``CELERY_TASK_ALWAYS_EAGER``). Celery's eager chains do not fit a saga:
with ``task_eager_propagates`` no errback runs (nothing would compensate),
without it the step's failure is raised into the caller, and a retry
ignores its countdown and recurses (a polling step hits RecursionError).
So in eager mode the engine does not hand chains to Celery: it runs the same
direction functions the tasks run, in order, here, waiting out each
countdown (bounded by the step's deadline or retry budget, as with a
worker), and turns the saga around on failure through the same function the tasks
use (``turnaround.compensation_due``).
"""

from __future__ import annotations

import time
import uuid

from provisioning.engine import owners
from provisioning.engine.compensation import compensation_owed, compensation_run
from provisioning.engine.forward import step_run
from provisioning.engine.logs import saga_log
from provisioning.engine.outcome import Next
from provisioning.engine.settle import saga_settle
from provisioning.engine.turnaround import compensation_due


def run_forward(saga_id, step_count: int, from_index: int = 0) -> None:
    for index in range(from_index, step_count):
        outcome = _until_done(step_run, saga_id, index)
        if outcome.next is Next.CONTINUE:
            continue
        if compensation_due(saga_id=saga_id, index=index, outcome=outcome):
            run_compensation(saga_id, compensation_owed(saga_id))
        return


def run_compensation(saga_id, steps: list[tuple[int, str]]) -> None:
    for index, _name in sorted(steps, reverse=True):
        if _until_done(compensation_run, saga_id, index).next is Next.STOP:
            return
    saga_settle(saga_id=saga_id)


def _until_done(run, saga_id, index: int):
    """Run a direction's function until it stops asking to be retried."""
    task_id = f"eager-{uuid.uuid4().hex[:12]}"
    for tries in range(100_000):
        outcome = run(saga_id=saga_id, index=index, owner=owners.this_run(task_id=task_id, tries=tries))
        if outcome.next is not Next.RETRY:
            return outcome
        saga_log(saga_id).debug("eager: step %s again in %.2fs", index, outcome.countdown)
        time.sleep(outcome.countdown)
    raise RuntimeError(f"saga {saga_id} step {index} retried without end")
