"""Fake steps for testing the engine: ok, flaky, broken, not-ready, slow and
broken-compensation, steered by the saga context so that a worker process
runs them exactly like the test process would.

Context keys (all optional):
- ``fail_at``: name of the step whose execute raises PermanentError;
- ``flaky``: {name: n} — execute raises TransientError on its first n attempts;
- ``db_down``: {name: n} — execute raises django.db.OperationalError (a lost
  connection) on its first n attempts;
- ``not_ready``: {name: n} — execute raises NotReady on its first n attempts;
- ``poll_after``: {name: seconds} — the countdown those NotReady ask for (0.02);
- ``slow``: {name: seconds} — execute sleeps after recording its effect;
- ``slow_once``: {name: seconds} — the same, on the first attempt only;
- ``broken_compensation``: {name: "permanent" | "transient"} — compensate raises.

Every execute and compensate appends a ``fake.execute`` / ``fake.compensate``
SagaEvent (what ran, in what order); the effect itself is a ``fake.effect``
event written at most once per saga and step (an idempotent side effect).
"""

import time

from django.db import OperationalError

from provisioning.engine import (
    NotReady,
    PermanentError,
    RetryPolicy,
    SagaDefinition,
    SagaEvent,
    Step,
    StepContext,
    TransientError,
)

FAST = RetryPolicy(max_attempts=4, backoff_base=0.02, backoff_max=0.1, poll_interval=0.05, deadline=30)


class FakeStep(Step):
    retry = FAST
    compensation_retry = RetryPolicy(max_attempts=3, backoff_base=0.02, backoff_max=0.1)

    def __init__(self, name: str):
        self.name = name

    def execute(self, ctx: StepContext):
        _note(ctx, "fake.execute", attempt=ctx.attempt)
        if ctx.attempt <= ctx.get("db_down", {}).get(self.name, 0):
            raise OperationalError("server closed the connection unexpectedly")
        if ctx.attempt <= ctx.get("flaky", {}).get(self.name, 0):
            raise TransientError(f"{self.name} flaked", retry_after=0.01)
        if ctx.attempt <= ctx.get("not_ready", {}).get(self.name, 0):
            raise NotReady(
                f"{self.name} not ready", retry_after=ctx.get("poll_after", {}).get(self.name, 0.02)
            )
        if ctx.get("fail_at") == self.name:
            raise PermanentError(f"{self.name} is broken")
        if not SagaEvent.objects.filter(
            saga_id=ctx.saga_id, event="fake.effect", detail__step=self.name
        ).exists():
            _note(ctx, "fake.effect")
        if seconds := ctx.get("slow", {}).get(self.name):
            time.sleep(seconds)
        if ctx.attempt == 1 and (seconds := ctx.get("slow_once", {}).get(self.name)):
            time.sleep(seconds)
        return {f"{self.name}_done": True}

    def compensate(self, ctx: StepContext):
        _note(ctx, "fake.compensate", attempt=ctx.attempt)
        mode = ctx.get("broken_compensation", {}).get(self.name)
        if mode == "permanent":
            raise PermanentError(f"{self.name} cannot be undone")
        if mode == "transient":
            raise TransientError(f"{self.name} undo flaked", retry_after=0.01)


def _note(ctx: StepContext, event: str, **detail):
    SagaEvent.objects.create(saga_id=ctx.saga_id, event=event, detail={"step": ctx.step_name, **detail})


def five_steps(kind: str = "fake_five") -> SagaDefinition:
    return SagaDefinition(kind=kind, steps=tuple(FakeStep(f"s{i}") for i in range(5)))


FIVE_STEPS = five_steps()


class PatientStep(FakeStep):
    """Retries transient errors for a time (no attempt count)."""

    retry = RetryPolicy(
        give_up_after=1.5, backoff_base=0.02, backoff_max=0.05, poll_interval=0.05, deadline=30
    )


class OwnerStep(FakeStep):
    """Owns the saga's failure state: compensated even when it never ran."""

    compensate_if_skipped = True


# The same step names as FIVE_STEPS (their tasks exist in every worker), other rules.
PATIENT_FIVE = SagaDefinition(kind="fake_patient", steps=tuple(PatientStep(f"s{i}") for i in range(5)))
OWNED_FIVE = SagaDefinition(
    kind="fake_owned", steps=(OwnerStep("s0"), *(FakeStep(f"s{i}") for i in range(1, 5)))
)


class NoopStep(Step):
    """Does nothing and returns nothing: what remains of a saga step is the
    engine's own cost (claim, record, next message)."""

    def __init__(self, name: str):
        self.name = name

    def execute(self, ctx: StepContext):
        return None

    def compensate(self, ctx: StepContext):
        return None


# Seven no-op steps: the saga counterpart of a bare 7-task chain.
NOOP_SEVEN = SagaDefinition(kind="noop_seven", steps=tuple(NoopStep(f"n{i}") for i in range(7)))
