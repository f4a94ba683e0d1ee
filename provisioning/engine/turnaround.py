"""Turning a saga around: a failed step or a cancel starts compensation.

Both runners (the Celery tasks and eager mode) act on a forward run's end
through :func:`compensation_due`, so a step that failed for good and a
cancel take the same road; the step task's errback calls
:func:`saga_step_failed` only for what Celery alone saw (a task killed by
its time limit, a lost worker).

Everything here is safe to run twice (an errback fires twice when a hard
time limit kills a task): the saga moves to ``compensating`` with a
conditional UPDATE, and only the call that moved it returns True, which
tells its caller to send the compensation chain (after commit).
"""

from __future__ import annotations

from django.db import transaction

from provisioning.engine.clock import now
from provisioning.engine.events import SagaEventName, event
from provisioning.engine.logs import saga_log
from provisioning.engine.models import Saga, SagaStatus, SagaStep, StepStatus
from provisioning.engine.outcome import Next, Outcome

_T, _G = StepStatus, SagaStatus


def compensation_due(*, saga_id, index: int, outcome: Outcome) -> bool:
    """Whether the forward run of step ``index`` that returned ``outcome``
    ended with the saga turned around, so its runner sends the compensation
    chain: a cancel has already moved it (COMPENSATE); a step that failed for
    good (FAIL) moves it here, once."""
    if outcome.next is Next.COMPENSATE:
        return True
    if outcome.next is Next.FAIL:
        return saga_step_failed(saga_id=saga_id, index=index, error=outcome.error)
    return False


def saga_step_failed(*, saga_id, index: int, error: str) -> bool:
    """Record that step ``index`` failed for good and turn the saga around.

    Returns whether this call started the compensation.
    """
    at = now()
    with transaction.atomic():
        step = SagaStep.objects.filter(saga_id=saga_id, index=index).only("id", "status").first()
        if step is not None and step.status == _T.RUNNING:
            failed = SagaStep.objects.filter(id=step.id, status=_T.RUNNING).update(
                status=_T.FAILED,
                finished_at=at,
                last_error=error,
                lease_owner="",
                lease_expires_at=None,
            )
            if failed:
                event(saga_id, SagaEventName.STEP_FAILED, step_id=step.id, at=at, error=error).save()
        return saga_begin_compensation(saga_id=saga_id, error=error)


def saga_begin_compensation(*, saga_id, error: str, cancelled: bool = False) -> bool:
    """Move a forward-running saga to ``compensating``; False (a no-op) for
    any other status. The caller sends the compensation chain when True."""
    at = now()
    with transaction.atomic():
        # From the forward statuses only: a compensation_failed saga is
        # turned around again by an operator's retry, not by a late errback.
        forward = [s for s in Saga.TRANSITIONS.sources_of(_G.COMPENSATING) if s != _G.COMPENSATION_FAILED]
        moved = Saga.objects.filter(id=saga_id, status__in=forward).update(
            status=_G.COMPENSATING,
            error=error,
            updated_at=at,
            due_at=at,  # the undo chain leaves now
        )
        if not moved:
            return False
        SagaStep.objects.filter(saga_id=saga_id, status=_T.PENDING).update(status=_T.SKIPPED)
        # Compensations count their own transient failures from scratch.
        SagaStep.objects.filter(saga_id=saga_id).exclude(retrying_since=None).update(retrying_since=None)
        name = SagaEventName.SAGA_CANCELLED if cancelled else SagaEventName.SAGA_COMPENSATING
        event(saga_id, name, at=at, error=error).save()
    saga_log(saga_id).warning("compensating: %s", error)
    return True
