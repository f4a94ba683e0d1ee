"""Follow a saga from its rows and print each step's progress as it happens.

Used by the demo command; it reads only the SagaStep and Saga rows (the
durable log), so it shows exactly what the API and the admin would show.
"""

import time
from collections.abc import Callable

from provisioning.engine import SAGA_TERMINAL_STATUSES, Saga, SagaStep


def _describe(step: SagaStep, total: int) -> str:
    line = f"{step.index + 1}/{total} {step.name:<32} {step.status}"
    if step.attempts > 1:
        line += f" (attempt {step.attempts})"
    if step.status == "succeeded" and step.started_at and step.finished_at:
        line += f" in {(step.finished_at - step.started_at).total_seconds():.2f}s"
    if step.last_error and step.status in ("failed", "compensation_failed"):
        line += f": {step.last_error.splitlines()[0][:120]}"
    return line


def saga_follow(*, saga_id, emit: Callable[[str], None], timeout: float = 120.0, tick: float = 0.02) -> Saga:
    """Print every change of step status (and of the saga's) until the saga
    ends or ``timeout`` passes; returns the saga as it ended."""
    seen: dict[int, tuple] = {}
    saga_status = None
    began = time.monotonic()
    while True:
        saga = Saga.objects.get(pk=saga_id)
        steps = list(SagaStep.objects.filter(saga_id=saga_id).order_by("index"))
        stamp = f"[{time.monotonic() - began:6.2f}s]"
        changed = _changed(steps, seen)
        if saga.status != "running":
            # Compensation runs in reverse: print it in the order it happened.
            changed.reverse()
        news = None
        if saga.status != saga_status:
            saga_status = saga.status
            news = f"{stamp} saga {saga.kind} {saga_status}" + (f": {saga.error[:120]}" if saga.error else "")
        ended = saga.status in SAGA_TERMINAL_STATUSES
        if news and not ended:
            emit(news)
        for step in changed:
            emit(f"{stamp}   {_describe(step, len(steps))}")
        if news and ended:
            emit(news)
        if ended or time.monotonic() - began > timeout:
            return saga
        time.sleep(tick)


def _changed(steps: list[SagaStep], seen: dict[int, tuple]) -> list[SagaStep]:
    changed = []
    for step in steps:
        key = (step.status, step.attempts, step.compensation_attempts)
        if seen.get(step.index) != key:
            # Steps waiting their turn are not news.
            if step.index in seen or step.status != "pending":
                changed.append(step)
            seen[step.index] = key
    return changed
