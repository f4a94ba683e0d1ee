"""The step protocol: what a saga step is, what it sees, and a saga definition.

A step is a small class with a stable ``name`` and two methods:

- ``execute(ctx)`` does the work and returns a dict of outputs (or ``None``);
  the outputs are merged into the saga context for the steps after it.
- ``compensate(ctx)`` undoes it. It must be safe when ``execute`` did
  nothing, half, or all of its work, and safe to run twice.

A step whose side effect destroys what its undo needs (the DNS record it
overwrites) saves that first with ``ctx.checkpoint(...)``: the values are
committed to the saga context before the call returns, so a retry after a
lost answer, and the compensation, still see the before-image.

Steps raise the errors of :mod:`provisioning.engine.errors`; they never touch
saga or step status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from provisioning.engine.policies import RetryPolicy


@dataclass(frozen=True)
class StepContext(Mapping):
    """What a step sees: the saga context (inputs, earlier outputs and its
    own checkpoints) plus who it is. A step reports outputs by returning them."""

    saga_id: str
    step_index: int
    step_name: str
    attempt: int
    data: Mapping[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None
    # Seconds this step spent waiting for a shared budget (``Throttled``):
    # a step with its own deadline does not count them.
    throttled_seconds: float = 0.0
    compensating: bool = False
    saga_started_at: datetime | None = None
    # Provider calls this step's definition plans for it, and for the steps
    # after it (``Step.provider_calls``): what a budget can hold for the saga.
    planned_calls: int = 0
    calls_planned_after: int = 0
    _checkpoint: Callable[[dict], None] | None = field(default=None, repr=False, compare=False)
    _saved: dict = field(default_factory=dict, repr=False, compare=False)

    def __getitem__(self, key: str) -> Any:
        if key in self._saved:
            return self._saved[key]
        return self.data[key]

    def __iter__(self):
        return iter({**self.data, **self._saved})

    def __len__(self) -> int:
        return len({**self.data, **self._saved})

    @property
    def idempotency_key(self) -> str:
        """Deterministic per saga and step: the same on every retry and redelivery."""
        return f"{self.saga_id}:{self.step_name}"

    def checkpoint(self, **values: Any) -> None:
        """Commit ``values`` to the saga context now, before a side effect.

        Raises ``TransientError`` when the step's lease was lost meanwhile
        (another runner has the step: this one must not go on).
        """
        if self._checkpoint is None:
            raise RuntimeError("checkpoint() is only available while the engine runs the step")
        self._checkpoint(values)
        self._saved.update(values)


class Step:
    """Base class of saga steps. Subclasses set ``name`` (stored data: never
    rename it) and implement ``execute`` and ``compensate``."""

    name: ClassVar[str]
    retry: ClassVar[RetryPolicy] = RetryPolicy()
    compensation_retry: ClassVar[RetryPolicy] = RetryPolicy(backoff_max=60.0)
    # A step that owns the saga's failure state (it marks the subject failed
    # or cancelled in its undo) is compensated even when it never ran: a
    # cancel that lands before the saga's first step still cancels.
    compensate_if_skipped: ClassVar[bool] = False
    # Calls to an outside service the step's ``execute`` makes on its usual
    # path. The engine only passes them on (``StepContext.planned_calls``,
    # ``calls_planned_after``): a client's rate budget may hold them for the
    # saga, so that once its first costly step ran the rest can finish.
    provider_calls: ClassVar[int] = 0

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

    def calls_planned_after(self, index: int) -> int:
        """Provider calls the steps after step ``index`` plan (``Step.provider_calls``)."""
        return sum(step.provider_calls for step in self.steps[index + 1 :])
