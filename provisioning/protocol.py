"""The step protocol: what a saga step is, and the errors it may raise.

A step is a small class with a stable ``name`` and two methods:

- ``execute(ctx)`` does the work and returns a dict of outputs (or ``None``);
  the outputs are merged into the saga context for the steps after it.
- ``compensate(ctx)`` undoes it. It must be safe when ``execute`` did
  nothing, half, or all of its work, and safe to run twice.

Steps never touch saga or step status: they raise one of the declared errors
below and the engine decides what happens next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar


class StepError(Exception):
    """Base of the errors a step may raise on purpose."""


class TransientError(StepError):
    """Worth retrying: HTTP 429/5xx, timeouts, connection resets.

    ``retry_after`` (seconds) is honoured when the server said how long to
    wait (a 429's rate-limit reset, a Retry-After header).
    """

    def __init__(self, message: str = "", *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(StepError):
    """Retrying cannot help: the step fails at once and the saga compensates."""


class NotReady(StepError):
    """Nothing is wrong, the world is not there yet (a droplet still booting).

    The engine polls again after ``retry_after`` seconds (the policy's poll
    interval when ``None``) without counting a failure, until the step's
    ``deadline`` passes, which fails the step permanently.
    """

    def __init__(self, message: str = "", *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Throttled(NotReady):
    """Waiting for the provider budget: counts neither as an attempt nor
    against a deadline. ``retry_after``: seconds until a permit is expected."""


@dataclass(frozen=True)
class RetryPolicy:
    """How the engine retries one step (or one compensation).

    ``max_attempts`` bounds transient retries; the delay before attempt n is
    ``min(backoff_max, backoff_base * 2**(n-1))`` with full jitter, or the
    server's ``retry_after`` when it is longer. ``deadline`` (seconds from the
    step's first start) bounds polling on ``NotReady``.
    """

    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    poll_interval: float = 5.0
    deadline: float | None = None


@dataclass(frozen=True)
class StepContext(Mapping):
    """What a step sees: the saga context (inputs and earlier outputs) plus
    who it is. Read-only: a step reports outputs by returning them."""

    saga_id: str
    step_index: int
    step_name: str
    attempt: int
    data: Mapping[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self):
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def idempotency_key(self) -> str:
        """Deterministic per saga and step: the same on every retry and redelivery."""
        return f"{self.saga_id}:{self.step_name}"


class Step:
    """Base class of saga steps. Subclasses set ``name`` (stored data: never
    rename it) and implement ``execute`` and ``compensate``."""

    name: ClassVar[str]
    retry: ClassVar[RetryPolicy] = RetryPolicy()
    compensation_retry: ClassVar[RetryPolicy] = RetryPolicy(max_attempts=8, backoff_max=120.0)

    def execute(self, ctx: StepContext) -> Mapping[str, Any] | None:
        raise NotImplementedError

    def compensate(self, ctx: StepContext) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


@dataclass(frozen=True)
class SagaDefinition:
    """A named, versioned, ordered list of steps."""

    kind: str
    steps: tuple[Step, ...]
    version: int = 1

    def __post_init__(self):
        names = [step.name for step in self.steps]
        if len(names) != len(set(names)):
            raise ValueError(f"saga {self.kind!r} has duplicate step names: {names}")
