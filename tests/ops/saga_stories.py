"""Sagas built in memory (unsaved rows) for the pure presentation functions:
saga_summary and timeline take rows already loaded and run no query."""

from __future__ import annotations

import datetime as dt
import uuid

from provisioning.engine import Saga, SagaEvent, SagaStatus, SagaStep, StepStatus
from provisioning.sagas import PROVISION_DEPLOYMENT

T0 = dt.datetime(2026, 12, 1, 12, 0, 0, tzinfo=dt.UTC)
NAMES = [step.name for step in PROVISION_DEPLOYMENT.steps]
DNS_ERROR = "PUT /v2/domains/arcadia.test/records/28448435 answered 422: Injected by the demo."


def ms(n: float) -> dt.datetime:
    return T0 + dt.timedelta(milliseconds=n)


class Builder:
    def __init__(self, status: str, **saga):
        self.saga = Saga(id=uuid.uuid4(), kind="provision_deployment", status=status, **saga)
        self.saga.created_at = saga.get("created_at", T0)
        self.saga.updated_at = saga.get("updated_at", T0)
        self.steps: list[SagaStep] = []
        self.events: list[SagaEvent] = []

    def step(self, index: int, status: str, **fields) -> SagaStep:
        name = NAMES[index]
        step = SagaStep(id=1000 + index, saga=self.saga, index=index, name=name, status=status, **fields)
        self.steps.append(step)
        return step

    def event(self, name: str, at, step: SagaStep | None = None, **detail) -> None:
        self.events.append(
            SagaEvent(id=len(self.events) + 1, saga=self.saga, step=step, event=name, detail=detail, at=at)
        )


def rolled_back_at_dns() -> Builder:
    """The issue's example: six steps ran, DNS failed for good at 6/7, the
    six were undone in 400 ms; 7/7 never ran."""
    b = Builder(SagaStatus.COMPENSATED, error=DNS_ERROR)
    clock = 10.0
    for index in range(6):
        took = 2200.0 if index == 2 else 10.0
        failed = index == 5
        step = b.step(
            index,
            StepStatus.COMPENSATED,
            attempts=8 if index == 2 else 1,
            polls=7 if index == 2 else 0,
            compensation_attempts=1,
            started_at=ms(clock),
            finished_at=ms(clock + took),
            last_error=DNS_ERROR if failed else "",
            celery_task_id=f"fwd-{index}",
            compensation_task_id=f"undo-{index}",
        )
        b.event("step_started", ms(clock + (took if index == 2 else 0)), step)
        if failed:
            b.event("step_failed", ms(clock + took), step, error=DNS_ERROR)
        else:
            b.event("step_succeeded", ms(clock + took), step)
        clock += took + 1
    b.step(6, StepStatus.SKIPPED)
    turn = clock
    b.event("saga_compensating", ms(turn), error=DNS_ERROR)
    for order, index in enumerate(reversed(range(6))):
        step = b.steps[index]
        step.compensated_at = ms(turn + 60 * (order + 1))
        b.event("compensation_started", step.compensated_at - dt.timedelta(milliseconds=40), step)
        b.event("step_compensated", step.compensated_at, step, attempt=1)
    b.saga.finished_at = ms(turn + 400)
    b.event("saga_compensated", b.saga.finished_at)
    return b
