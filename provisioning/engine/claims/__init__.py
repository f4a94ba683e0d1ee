"""Claims on step rows, used by both directions: claim, lease, release,
record, checkpoint. The package's one surface: the directions import this.

Each operation takes PostgreSQL's one-statement path where it has one and
the row qualifies (:mod:`.postgresql`), else the portable ORM path
(:mod:`.portable`); the claim itself, its refusals and the lease rules are
in :mod:`.claim`. Whatever a runner writes after its lease was taken over is
dropped: steps are idempotent, the new owner's result stands. Every write
is conditional on the claim's generation (the fencing token each claim
bumps); a refused record is logged and leaves a ``record_fenced`` event.

While a claim runs, this process's heartbeat thread renews its lease
(:func:`heartbeats.hold`): the claims tell it which step this thread holds.
"""

from __future__ import annotations

import logging

from provisioning.engine import heartbeats
from provisioning.engine.claims import portable, postgresql
from provisioning.engine.claims.claim import (
    FORWARD_SAGA_STATUSES,
    LEASE_BACKOFF_MAX,
    NEEDS_COMPENSATION,
    Claim,
    LeaseLost,
    Refusal,
    Refused,
    failing_for,
    held_by_someone_else,
    lease_expiry,
)
from provisioning.engine.clock import now
from provisioning.engine.events import SagaEventName, event
from provisioning.engine.models import SagaStep
from provisioning.engine.protocol import SagaDefinition, StepContext

__all__ = [
    "FORWARD_SAGA_STATUSES",
    "LEASE_BACKOFF_MAX",
    "NEEDS_COMPENSATION",
    "Claim",
    "LeaseLost",
    "Refusal",
    "Refused",
    "checkpoint",
    "claim_compensation",
    "claim_forward",
    "failing_for",
    "held_by_someone_else",
    "lease_expiry",
    "record_compensation",
    "record_success",
    "release",
    "step_context",
]


log = logging.getLogger("provisioning.engine")


def claim_forward(*, saga_id, index: int, owner: str, task_id: str = "") -> Claim | Refused:
    """Take step ``index`` of a forward-running saga, or say why not."""
    claim = None
    if postgresql.available():
        at = now()
        claim = postgresql.claim_forward(
            saga_id=saga_id,
            index=index,
            owner=owner,
            task_id=task_id,
            at=at,
            expires=lease_expiry(at),
            dead_before=heartbeats.dead_before(at),
        )
    if claim is None:
        claim = portable.claim_forward(saga_id=saga_id, index=index, owner=owner, task_id=task_id)
    return _held(claim)


def claim_compensation(*, saga_id, index: int, owner: str, task_id: str = "") -> Claim | Refused:
    """Take step ``index`` of a compensating saga for its undo, or say why not."""
    return _held(portable.claim_compensation(saga_id=saga_id, index=index, owner=owner, task_id=task_id))


def record_success(claim: Claim, outputs: dict, *, last: bool) -> bool:
    """Mark the step succeeded, merge its outputs into the saga context and
    append its events, atomically; the last step also ends the saga. False
    when the lease was lost (the result is dropped)."""
    heartbeats.let_go()
    path = postgresql if postgresql.available() else portable
    return path.record_success(claim, outputs, at=now(), last=last) or _fenced(claim)


def record_compensation(claim: Claim, status: str, *, error: str = "", held: bool = True) -> bool:
    """Record the end of a step's compensation (see :func:`portable.record_compensation`)."""
    heartbeats.let_go()
    return portable.record_compensation(claim, status, error=error, held=held) or (held and _fenced(claim))


def release(claim: Claim, **how) -> None:
    """Give the lease back for a retry or a poll (see :func:`portable.release`)."""
    heartbeats.let_go()
    portable.release(claim, **how)


def _held(claim: Claim | Refused) -> Claim | Refused:
    if isinstance(claim, Claim):
        heartbeats.hold(
            step_id=claim.step_id, owner=claim.owner, generation=claim.generation, at=claim.claimed_at
        )
    return claim


def _fenced(claim: Claim) -> bool:
    """Log a record refused because another claim took the step (never
    applied: the new holder's result stands). Always False."""
    current = SagaStep.objects.filter(id=claim.step_id).values_list("lease_generation", flat=True).first()
    log.warning(
        "saga=%s step=%s:%s record fenced off: generation %s, the step's is now %s",
        claim.saga_id,
        claim.index,
        claim.name,
        claim.generation,
        current,
    )
    event(
        claim.saga_id,
        SagaEventName.RECORD_FENCED,
        step_id=claim.step_id,
        generation=claim.generation,
        current=current,
    ).save()
    return False


def checkpoint(claim: Claim, values: dict) -> None:
    """Commit ``values`` into the saga context while this runner holds the
    step (before a side effect that destroys them)."""
    path = postgresql if postgresql.available() else portable
    if not path.checkpoint(claim, values, at=now()):
        raise LeaseLost(f"step {claim.index}:{claim.name} was taken over; checkpoint refused")
    claim.saved.update(values)


def step_context(claim: Claim, definition: SagaDefinition) -> StepContext:
    """What the step sees while this claim runs it, ``checkpoint`` included;
    ``definition`` is the claim's saga definition (the caller has it)."""
    return StepContext(
        saga_id=str(claim.saga_id),
        step_index=claim.index,
        step_name=claim.name,
        attempt=claim.attempt,
        data=claim.context,
        started_at=claim.started_at,
        throttled_seconds=claim.throttled_seconds,
        compensating=claim.compensating,
        saga_started_at=claim.saga_created_at,
        planned_calls=definition.steps[claim.index].provider_calls,
        calls_planned_after=definition.calls_planned_after(claim.index),
        _checkpoint=lambda values: checkpoint(claim, values),
    )
