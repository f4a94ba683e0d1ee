"""Building and sending the Celery chains of a saga.

The forward path is one chain of step tasks, each with its own errback
(``chain.on_error`` would copy one errback onto every task, and only the
failing task's errbacks fire anyway). The compensation path is a chain of
compensation tasks in reverse step order, ending in the settle task.

Messages carry ids only; the rows say everything else.
"""

from __future__ import annotations

from celery import chain
from django.conf import settings

from arcadia.celery import app
from provisioning.models import SagaStep, StepStatus

STEP_TASK = "provisioning.step.{name}"
COMPENSATE_TASK = "provisioning.compensate.{name}"
STEP_FAILED_TASK = "provisioning.step_failed"
COMPENSATION_CRASHED_TASK = "provisioning.compensation_crashed"
SETTLE_TASK = "provisioning.settle_saga"


def forward_chain(saga_id, step_names: list[str], from_index: int = 0):
    signatures = []
    for index in range(from_index, len(step_names)):
        sig = app.signature(
            STEP_TASK.format(name=step_names[index]), args=(str(saga_id), index), immutable=True
        )
        sig.link_error(app.signature(STEP_FAILED_TASK, args=(str(saga_id), index)))
        signatures.append(sig)
    return chain(*signatures)


def send_forward(saga_id, step_names: list[str], from_index: int = 0) -> None:
    _ensure_consumer()
    forward_chain(saga_id, step_names, from_index).apply_async()


def compensation_chain(saga_id, steps: list[tuple[int, str]]):
    """``steps`` are (index, name) pairs; they run in reverse index order."""
    signatures = []
    for index, name in sorted(steps, reverse=True):
        sig = app.signature(COMPENSATE_TASK.format(name=name), args=(str(saga_id), index), immutable=True)
        sig.link_error(app.signature(COMPENSATION_CRASHED_TASK, args=(str(saga_id), index)))
        signatures.append(sig)
    signatures.append(app.signature(SETTLE_TASK, args=(str(saga_id),), immutable=True))
    return chain(*signatures)


def send_compensation(saga_id) -> None:
    """Send the compensation chain over every step that started."""
    started = (
        SagaStep.objects.filter(saga_id=saga_id)
        .exclude(status__in=[StepStatus.PENDING, StepStatus.SKIPPED])
        .values_list("index", "name")
    )
    _ensure_consumer()
    compensation_chain(saga_id, list(started)).apply_async()


def _ensure_consumer() -> None:
    """In embedded mode messages stay in this process: make sure a worker
    here consumes them (runserver has no worker process)."""
    if settings.ARCADIA_EMBEDDED_WORKER and settings.ARCADIA_EMBEDDED_AUTOSTART:
        from arcadia.embedded import ensure_embedded_worker

        ensure_embedded_worker()
