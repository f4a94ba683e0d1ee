"""Claims on step rows, used by both directions: claim, lease, release,
record, checkpoint. The package's one surface: the directions import this.

Each operation takes PostgreSQL's one-statement path where it has one and
the row qualifies (:mod:`.postgresql`), else the portable ORM path
(:mod:`.portable`); the claim itself, its refusals and the lease rules are
in :mod:`.claim`. Whatever a runner writes after its lease was taken over is
dropped: steps are idempotent, the new owner's result stands.
"""

from __future__ import annotations

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
from provisioning.engine.claims.portable import claim_compensation, record_compensation, release
from provisioning.engine.clock import now
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


def claim_forward(*, saga_id, index: int, owner: str, task_id: str = "") -> Claim | Refused:
    """Take step ``index`` of a forward-running saga, or say why not."""
    if postgresql.available():
        at = now()
        claim = postgresql.claim_forward(
            saga_id=saga_id, index=index, owner=owner, task_id=task_id, at=at, expires=lease_expiry(at)
        )
        if claim is not None:
            return claim
    return portable.claim_forward(saga_id=saga_id, index=index, owner=owner, task_id=task_id)


def record_success(claim: Claim, outputs: dict, *, last: bool) -> bool:
    """Mark the step succeeded, merge its outputs into the saga context and
    append its events, atomically; the last step also ends the saga. False
    when the lease was lost (the result is dropped)."""
    path = postgresql if postgresql.available() else portable
    return path.record_success(claim, outputs, at=now(), last=last)


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
