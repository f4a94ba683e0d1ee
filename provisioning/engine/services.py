"""The engine's services, what its clients call: start a saga, cancel it,
resume it, retry its compensation. Writes are atomic; messages leave only
after commit. A start's or a cancel's message that the broker refuses is
left to the sweeper; a resume's or a retry's refusal is raised (the sweeper
and the operator must know it did not leave)."""

from __future__ import annotations

from django.db import transaction

from provisioning.engine import registry, tracing, wiring
from provisioning.engine.clock import now
from provisioning.engine.errors import SagaOperationRefused
from provisioning.engine.events import SagaEventName
from provisioning.engine.models import (
    SAGA_LIVE_STATUSES,
    Saga,
    SagaEvent,
    SagaStatus,
    SagaStep,
    StepStatus,
    subject_key,
    subject_public_id,
)
from provisioning.engine.turnaround import saga_begin_compensation

_G, _T = SagaStatus, StepStatus


def saga_start(*, kind: str, context: dict, subject=None) -> Saga:
    """Create the saga and its step rows and send its chain once the
    surrounding transaction commits (inside the caller's, if any). A broker
    that refuses that first message leaves the saga to the sweeper
    (``wiring.send_after_commit``): the caller need not handle it.

    ``subject`` (a model instance, or a ``(type, id)`` pair) is what the saga
    acts on: the database refuses a second live saga on the same subject.
    """
    definition = registry.get_definition(kind)
    names = [step.name for step in definition.steps]
    subject_type, subject_id = subject_key(subject) if subject is not None else ("", "")
    public_id = subject_public_id(subject) if subject is not None else ""
    # No savepoint: inside a caller's transaction (the usual case) this is
    # part of its unit of work, and a failure here fails it anyway.
    with transaction.atomic(savepoint=False), tracing.saga_starting(definition.kind) as stamp:
        saga = Saga.objects.create(
            kind=definition.kind,
            version=definition.version,
            subject_type=subject_type,
            subject_id=subject_id,
            subject_public_id=public_id,
            context=stamp.context(dict(context)),
            due_at=now(),  # its first message leaves on commit
        )
        stamp.created(saga.id)
        SagaStep.objects.bulk_create(SagaStep(saga=saga, index=i, name=name) for i, name in enumerate(names))
        SagaEvent.objects.create(
            saga=saga, event=SagaEventName.SAGA_STARTED, detail={"kind": kind, "steps": names}
        )
        wiring.send_after_commit(saga.id, lambda: wiring.send_forward(saga.id, names))
    return saga


def saga_request_cancel(*, saga: Saga) -> Saga:
    """Ask a live saga to stop; it compensates at its next step boundary.
    A saga that has not started a step yet is compensated at once."""
    with transaction.atomic():
        saga = Saga.objects.select_for_update().get(id=saga.id)
        if saga.status not in (_G.PENDING, _G.RUNNING):
            if saga.status == _G.COMPENSATING:
                return saga
            raise SagaOperationRefused(f"A {saga.status} saga cannot be cancelled.")
        if not saga.cancel_requested:
            Saga.objects.filter(id=saga.id).update(cancel_requested=True, updated_at=now())
            SagaEvent.objects.create(saga=saga, event=SagaEventName.CANCEL_REQUESTED)
    untouched = saga.status == _G.PENDING and not saga.steps.exclude(status=_T.PENDING).exists()
    if untouched and saga_begin_compensation(saga_id=saga.id, error="cancelled on request", cancelled=True):
        wiring.send_after_commit(saga.id, lambda: wiring.send_compensation(saga.id))
    saga.refresh_from_db()
    return saga


def saga_resume(*, saga: Saga) -> Saga:
    """Send a live saga's messages again from what its rows say: forward
    from the first unfinished step, or on with compensation. Harmless when
    the saga was not stalled after all: claims keep every step single."""
    saga.refresh_from_db()
    if saga.status not in SAGA_LIVE_STATUSES:
        raise SagaOperationRefused(f"A {saga.status} saga has nothing to resume.")
    with transaction.atomic():
        # Due no more: the resumed messages leave now, and should they be
        # lost too the stall timeout still finds the saga (one resume per
        # missed due time, not one per sweep while a backlog drains).
        Saga.objects.filter(id=saga.id).update(updated_at=now(), due_at=None)
        SagaEvent.objects.create(saga=saga, event=SagaEventName.SAGA_RESUMED, detail={"status": saga.status})
        if saga.status == _G.COMPENSATING:
            transaction.on_commit(lambda: wiring.send_compensation(saga.id))
        else:
            names = list(saga.steps.order_by("index").values_list("name", flat=True))
            first = saga.steps.exclude(status=_T.SUCCEEDED).order_by("index").values_list("index", flat=True)
            start = first.first()
            if start is not None:
                transaction.on_commit(lambda: wiring.send_forward(saga.id, names, start))
    return saga


def saga_retry_compensation(*, saga: Saga) -> Saga:
    """An operator's retry of the compensations that gave up."""
    with transaction.atomic():
        moved = Saga.objects.filter(id=saga.id, status=_G.COMPENSATION_FAILED).update(
            status=_G.COMPENSATING, finished_at=None, updated_at=now()
        )
        if not moved:
            saga.refresh_from_db()
            raise SagaOperationRefused(
                f"Only a compensation_failed saga can retry; this one is {saga.status}."
            )
        SagaStep.objects.filter(saga=saga, status=_T.COMPENSATION_FAILED).update(
            status=_T.COMPENSATING, compensation_attempts=0, lease_owner="", lease_expires_at=None
        )
        SagaEvent.objects.create(saga=saga, event=SagaEventName.COMPENSATION_RETRY_REQUESTED)
        transaction.on_commit(lambda: wiring.send_compensation(saga.id))
    saga.refresh_from_db()
    return saga
