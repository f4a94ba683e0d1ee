"""What a step or compensation run tells its Celery task to do next, and the
small shared pieces of claiming (leases, clock, events)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from django.conf import settings
from django.utils import timezone

from provisioning.models import SagaEvent, SagaStep
from provisioning.protocol import StepError

log = logging.getLogger("provisioning.engine")

# How long a delivery that finds the step held by a live lease waits before
# looking again (bounded by the lease itself).
LEASE_BACKOFF_MAX = 5.0


class Next(Enum):
    CONTINUE = "continue"  # done (or nothing to do): the chain goes on
    STOP = "stop"  # the chain must not go on from here
    RETRY = "retry"  # run this task again after ``countdown``
    FAIL = "fail"  # the step failed for good: raise, the errback compensates


@dataclass(frozen=True)
class Outcome:
    next: Next
    countdown: float = 0.0
    error: str = ""

    @classmethod
    def cont(cls):
        return cls(Next.CONTINUE)

    @classmethod
    def stop(cls):
        return cls(Next.STOP)

    @classmethod
    def retry(cls, countdown: float):
        return cls(Next.RETRY, countdown=max(0.0, countdown))

    @classmethod
    def fail(cls, error: str):
        return cls(Next.FAIL, error=error)


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
    context: dict = field(default_factory=dict)

    @classmethod
    def taken(cls, step: SagaStep, saga, *, owner: str, at: datetime, **counters: int) -> Claim:
        """The claim on ``step`` (a row read before its conditional UPDATE);
        ``counters`` gives the attempt counter that UPDATE bumped."""
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
            context=saga.context,
            **{**fields, **counters},
        )


def now() -> datetime:
    return timezone.now()


def lease_expiry(at: datetime) -> datetime:
    return at + timedelta(seconds=settings.ARCADIA_STEP_LEASE_SECONDS)


def held_by_someone_else(row: SagaStep, at: datetime) -> float:
    """Seconds left on another runner's live lease (0 when free or expired)."""
    if not row.lease_owner or row.lease_expires_at is None or row.lease_expires_at <= at:
        return 0.0
    return (row.lease_expires_at - at).total_seconds()


def lease_backoff(remaining: float) -> float:
    return min(remaining, LEASE_BACKOFF_MAX) + 0.05


def event(saga_id, event_name: str, *, step_id: int | None = None, at=None, **detail) -> SagaEvent:
    """An unsaved event row (callers bulk-insert them with their outcome)."""
    return SagaEvent(saga_id=saga_id, step_id=step_id, event=event_name, detail=detail, at=at or now())


def step_log(saga_id, index: int, name: str) -> logging.LoggerAdapter:
    """A logger whose every line names the saga and the step."""
    return _Adapter(log, {"saga_id": str(saga_id), "step": f"{index}:{name}"})


class _Adapter(logging.LoggerAdapter):
    def process(self, msg, kwargs):
        kwargs.setdefault("extra", {}).update(self.extra)
        return f"saga={self.extra['saga_id']} step={self.extra['step']} {msg}", kwargs


def short_error(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if not isinstance(exc, StepError):
        # An undeclared exception is a bug somewhere: name its type.
        text = f"{type(exc).__name__}: {text}"
    return text[:2000]
