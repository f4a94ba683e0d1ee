"""How a saga reads to a person: progress, phase, durations, the failed
step. One home for it, used by the API serializers and the admin alike.
Everything here works on rows already loaded (prefetched steps): no query.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from provisioning.engine.models import Saga, SagaStep, StepStatus

_T = StepStatus
# A step in one of these is being (or was) undone.
COMPENSATION_STATUSES = frozenset({_T.COMPENSATING, _T.COMPENSATED, _T.COMPENSATION_FAILED})


def saga_steps(saga: Saga) -> list[SagaStep]:
    """The saga's steps in order, from the prefetch cache when there is one."""
    return sorted(saga.steps.all(), key=lambda step: step.index)


def saga_progress(saga: Saga) -> tuple[int, int]:
    """(succeeded steps, all steps)."""
    steps = saga_steps(saga)
    return sum(step.status == _T.SUCCEEDED for step in steps), len(steps)


def progress_label(statuses: Iterable[str]) -> str:
    """``k/n``: steps succeeded out of all steps, from their statuses."""
    statuses = list(statuses)
    return f"{sum(status == _T.SUCCEEDED for status in statuses)}/{len(statuses)}"


def saga_progress_label(saga: Saga) -> str:
    return progress_label(step.status for step in saga_steps(saga))


def step_phase(step: SagaStep) -> str:
    """``forward``, or ``compensation`` once the step is being undone."""
    return "compensation" if step.status in COMPENSATION_STATUSES else "forward"


def step_duration(step: SagaStep, *, at: datetime | None = None) -> float | None:
    """Seconds from start to finish (to ``at`` while it runs); None before it starts."""
    if step.started_at is None:
        return None
    end = step.finished_at or at
    if end is None:
        return None
    return (end - step.started_at).total_seconds()
