"""What a claim is: the claim a runner holds on a step row, why a delivery
was refused one, and the lease rules both paths (:mod:`.portable` and
:mod:`.postgresql`) apply.

A runner claims a step row (a lease: owner and expiry), runs the step
outside any transaction, then records the outcome conditionally on still
holding the lease. A delivery that finds the step under a live lease backs
off; one that finds the lease expired (or its holder known to be gone, see
:mod:`provisioning.engine.owners`) takes the step over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from provisioning.engine import heartbeats, owners
from provisioning.engine.clock import now
from provisioning.engine.events import SagaEventName, event
from provisioning.engine.models import Saga, SagaStatus, SagaStep, StepStatus
from provisioning.engine.settings import engine_settings

_T, _G = StepStatus, SagaStatus
FORWARD_SAGA_STATUSES = (_G.PENDING, _G.RUNNING)
# Steps that started and are not undone yet.
NEEDS_COMPENSATION = (_T.SUCCEEDED, _T.FAILED, _T.RUNNING, _T.COMPENSATING)

# How long a delivery that finds the step held by a live lease waits before
# looking again (bounded by the lease itself).
LEASE_BACKOFF_MAX = 5.0


@dataclass(frozen=True)
class Claim:
    """A step row this runner holds, with what it needs to run the step."""

    saga_id: Any
    step_id: int
    index: int
    name: str
    owner: str
    attempts: int
    polls: int
    compensation_attempts: int
    started_at: datetime
    claimed_at: datetime
    kind: str
    version: int
    compensating: bool = False
    # The lease's fencing token: what every write of this run is conditional on.
    generation: int = 0
    throttled_seconds: float = 0.0
    saga_created_at: datetime | None = None
    retrying_since: datetime | None = None
    context: dict = field(default_factory=dict)
    # What the step checkpointed during this run (already committed).
    saved: dict = field(default_factory=dict, compare=False)

    @property
    def attempt(self) -> int:
        """This run's number in its direction."""
        return self.compensation_attempts if self.compensating else self.attempts

    @classmethod
    def taken(cls, step: SagaStep, saga: Saga, *, owner: str, at: datetime, **counters) -> Claim:
        """The claim on ``step`` (a row read before its conditional UPDATE);
        ``counters`` gives the counter that UPDATE bumped."""
        fields = {"attempts": step.attempts, "compensation_attempts": step.compensation_attempts}
        return cls(
            saga_id=saga.id,
            step_id=step.id,
            index=step.index,
            name=step.name,
            owner=owner,
            polls=step.polls,
            started_at=step.started_at or at,
            claimed_at=at,
            kind=saga.kind,
            version=saga.version,
            compensating=saga.status == _G.COMPENSATING,
            throttled_seconds=step.throttled_seconds,
            saga_created_at=saga.created_at,
            retrying_since=step.retrying_since,
            context=saga.context,
            generation=step.lease_generation + 1,
            **{**fields, **counters},
        )


class Refusal(Enum):
    """Why a delivery did not get the step."""

    OVER = "over"  # the saga moved on (finished, or turned around): stop here
    DONE = "done"  # this step needs nothing more: the chain may go on
    BUSY = "busy"  # another runner holds a live lease: look again later
    CANCEL = "cancel"  # a cancel was asked: the caller turns the saga around
    EXHAUSTED = "exhausted"  # compensation attempts ran out in runs that died


@dataclass(frozen=True)
class Refused:
    why: Refusal
    retry_after: float = 0.0
    claim: Claim | None = None  # EXHAUSTED: the row, to give up on
    error: str = ""


class LeaseLost(Exception):
    """This runner no longer holds the step: whatever it was about to do, it must not."""


def lease_expiry(at: datetime) -> datetime:
    return at + timedelta(seconds=engine_settings().lease_seconds)


def failing_for(claim: Claim) -> float:
    """Seconds since the unbroken run of transient failures this run ends began."""
    return (now() - (claim.retrying_since or claim.claimed_at)).total_seconds()


def held_by_someone_else(row: SagaStep, at: datetime, owner: str) -> float:
    """Seconds left on another runner's live lease (0 when free, expired, or
    held by a run known to be gone: see :mod:`owners`, or by a process whose
    heartbeat stopped, wherever it ran: :mod:`heartbeats`), or until its
    holder counts as gone if it beats no more, when that is sooner: a
    message a crashed host's broker connection gave back at once comes
    back for its step the moment the step can be taken over."""
    if not row.lease_owner or row.lease_expires_at is None or row.lease_expires_at <= at:
        return 0.0
    gone = owners.gone(row.lease_owner, owner)
    until_dead = None if gone else heartbeats.seconds_until_dead(row.lease_owner, at)
    if gone or (until_dead is not None and until_dead <= 0):
        event(
            row.saga_id, SagaEventName.LEASE_TAKEN_OVER, step_id=row.id, at=at, holder=row.lease_owner
        ).save()
        return 0.0
    remaining = (row.lease_expires_at - at).total_seconds()
    return remaining if until_dead is None else min(remaining, until_dead)


def busy(remaining: float) -> Refused:
    return Refused(Refusal.BUSY, retry_after=min(remaining, LEASE_BACKOFF_MAX) + 0.05)
