"""Reads about sagas."""

from provisioning.models import Saga, StepStatus


def saga_progress(saga: Saga) -> tuple[int, int]:
    """(succeeded steps, total steps), from prefetched steps when present."""
    steps = list(saga.steps.all())
    return sum(step.status == StepStatus.SUCCEEDED for step in steps), len(steps)
