"""Turning a saga around: a failed step or a cancel starts compensation.

Everything here is safe to run twice (an errback fires twice when a hard
time limit kills a task): the saga moves to ``compensating`` with a
conditional UPDATE, and only the caller that moved it sends the
compensation chain.
"""

from __future__ import annotations

from django.db import transaction

from provisioning import dispatch
from provisioning.models import Saga, SagaEvent, SagaStatus, SagaStep, StepStatus
from provisioning.outcomes import event, log, now

_T, _G = StepStatus, SagaStatus


def saga_step_failed(*, saga_id, index: int, error: str) -> bool:
    """Record that step ``index`` failed for good and compensate the saga.

    Returns whether this call started the compensation.
    """
    at = now()
    with transaction.atomic():
        step = SagaStep.objects.filter(saga_id=saga_id, index=index).only("id", "status").first()
        if step is not None and step.status == _T.RUNNING:
            SagaStep.objects.filter(id=step.id, status=_T.RUNNING).update(
                status=_T.FAILED,
                finished_at=at,
                last_error=error,
                lease_owner="",
                lease_expires_at=None,
            )
            SagaEvent.objects.create(
                saga_id=saga_id,
                step_id=step.id,
                event="step_failed",
                detail={"error": error},
                at=at,
            )
        return saga_begin_compensation(saga_id=saga_id, error=error)


def saga_begin_compensation(*, saga_id, error: str, cancelled: bool = False) -> bool:
    """Move a forward-running saga to ``compensating`` and send the
    compensation chain after commit. A no-op (False) for any other status."""
    at = now()
    with transaction.atomic():
        moved = (
            Saga.objects.filter(id=saga_id, status__in=Saga.TRANSITIONS.sources_of(_G.COMPENSATING))
            .exclude(status=_G.COMPENSATION_FAILED)
            .update(status=_G.COMPENSATING, error=error, updated_at=at)
        )
        if not moved:
            return False
        SagaStep.objects.filter(saga_id=saga_id, status=_T.PENDING).update(status=_T.SKIPPED)
        name = "saga_cancelled" if cancelled else "saga_compensating"
        event(saga_id, name, at=at, error=error).save()
        log.warning("saga=%s step=- compensating: %s", saga_id, error)
        transaction.on_commit(lambda: dispatch.send_compensation(saga_id))
    return True
