"""The saga timeline's event names: one enum that every writer (the claims,
their SQL parameters, the turnaround, the settle, the services) and every
reader (the saga summary, the timeline) uses, so a grep for a name finds
them all. Values are stored data: never rename one. Also the one factory of
event rows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from provisioning.engine.clock import now
from provisioning.engine.models import SagaEvent, SagaStatus


class SagaEventName(StrEnum):
    # the saga
    SAGA_STARTED = "saga_started"
    SAGA_RESUMED = "saga_resumed"
    SAGA_SUCCEEDED = "saga_succeeded"
    CANCEL_REQUESTED = "cancel_requested"
    SAGA_CANCELLED = "saga_cancelled"  # a cancel turned it around
    SAGA_COMPENSATING = "saga_compensating"  # a failed step turned it around
    SAGA_COMPENSATED = "saga_compensated"
    SAGA_COMPENSATION_FAILED = "saga_compensation_failed"
    COMPENSATION_RETRY_REQUESTED = "compensation_retry_requested"
    # a step, forward
    STEP_STARTED = "step_started"
    STEP_SUCCEEDED = "step_succeeded"
    STEP_RETRYING = "step_retrying"
    STEP_FAILED = "step_failed"
    # a step, its compensation
    COMPENSATION_STARTED = "compensation_started"
    COMPENSATION_RETRYING = "compensation_retrying"
    STEP_COMPENSATED = "step_compensated"
    COMPENSATION_FAILED = "compensation_failed"
    # a claim took over the lease of a run known to be gone
    LEASE_TAKEN_OVER = "lease_taken_over"
    # a holder whose lease was taken over tried to record: refused
    RECORD_FENCED = "record_fenced"


E = SagaEventName

# The events that turn a saga around (the rollback starts at the first).
TURNAROUND_EVENTS = (E.SAGA_COMPENSATING, E.SAGA_CANCELLED)
# The few events a saga's summary (failed step, cancel, rollback time)
# reads: a list page prefetches only these.
SUMMARY_EVENTS = (E.STEP_FAILED, *TURNAROUND_EVENTS, E.CANCEL_REQUESTED)

# How a settled saga's final status is told.
SETTLED = {
    SagaStatus.COMPENSATED: E.SAGA_COMPENSATED,
    SagaStatus.COMPENSATION_FAILED: E.SAGA_COMPENSATION_FAILED,
}


def event(
    saga_id, name: SagaEventName, *, step_id: int | None = None, at: datetime | None = None, **detail
) -> SagaEvent:
    """An unsaved event row (callers bulk-insert them with their outcome)."""
    return SagaEvent(saga_id=saga_id, step_id=step_id, event=name, detail=detail, at=at or now())
