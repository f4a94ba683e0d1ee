"""The portable path of the claims (the ORM, on any database): read the
row, decide, then write conditionally on what was read.

Every operation has this path. On PostgreSQL the hot forward ones (claim,
record a success, checkpoint) first try one statement each
(:mod:`.postgresql`); a claim that statement refuses falls back to here,
which says why.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce

from provisioning.engine import registry
from provisioning.engine.claims.claim import (
    FORWARD_SAGA_STATUSES,
    NEEDS_COMPENSATION,
    Claim,
    Refusal,
    Refused,
    busy,
    held_by_someone_else,
    lease_expiry,
)
from provisioning.engine.clock import now
from provisioning.engine.events import SagaEventName, event
from provisioning.engine.models import Saga, SagaEvent, SagaStatus, SagaStep, StepStatus

_T, _G, E = StepStatus, SagaStatus, SagaEventName


def claim_forward(*, saga_id, index: int, owner: str, task_id: str = "") -> Claim | Refused:
    """Take step ``index`` of a forward-running saga, or say why not."""
    at = now()
    row = SagaStep.objects.select_related("saga").get(saga_id=saga_id, index=index)
    saga = row.saga
    if saga.status not in FORWARD_SAGA_STATUSES:
        return Refused(Refusal.OVER)  # compensating or finished: forward work is over
    if saga.cancel_requested:
        return Refused(Refusal.CANCEL)
    if row.status not in (_T.PENDING, _T.RUNNING):
        # Succeeded: a duplicate delivery. The original continued the chain;
        # if it died before it could, the sweeper resumes the saga.
        return Refused(Refusal.OVER)
    if remaining := held_by_someone_else(row, at, owner):
        return busy(remaining)
    # Conditional on what was read: attempts works as a version number, so
    # of two deliveries racing here exactly one wins.
    won = SagaStep.objects.filter(id=row.id, status=row.status, attempts=row.attempts).update(
        status=_T.RUNNING,
        attempts=F("attempts") + 1,
        started_at=row.started_at or at,
        lease_owner=owner,
        lease_generation=F("lease_generation") + 1,
        lease_expires_at=lease_expiry(at),
        celery_task_id=task_id or row.celery_task_id,
    )
    if not won:
        return busy(1.0)
    if saga.status == _G.PENDING:
        Saga.objects.filter(id=saga_id, status=_G.PENDING).update(status=_G.RUNNING, updated_at=at)
    return Claim.taken(row, saga, owner=owner, at=at, attempts=row.attempts + 1)


def claim_compensation(*, saga_id, index: int, owner: str, task_id: str = "") -> Claim | Refused:
    """Take step ``index`` of a compensating saga for its undo, or say why not."""
    row = SagaStep.objects.select_related("saga").get(saga_id=saga_id, index=index)
    saga, at = row.saga, now()
    if saga.status != _G.COMPENSATING:
        return Refused(Refusal.OVER)
    step = registry.get_definition(saga.kind, saga.version).steps[index]
    skipped_but_owed = row.status == _T.SKIPPED and step.compensate_if_skipped
    if row.status not in NEEDS_COMPENSATION and not skipped_but_owed:
        return Refused(Refusal.DONE)  # never started, or already undone / given up on
    if remaining := held_by_someone_else(row, at, owner):
        return busy(remaining)
    policy = step.compensation_retry
    if policy.max_attempts is not None and row.compensation_attempts >= policy.max_attempts:
        exhausted = Claim.taken(row, saga, owner=owner, at=at)
        return Refused(Refusal.EXHAUSTED, claim=exhausted, error=row.last_error)
    won = SagaStep.objects.filter(
        id=row.id, status=row.status, compensation_attempts=row.compensation_attempts
    ).update(
        status=_T.COMPENSATING,
        compensation_attempts=F("compensation_attempts") + 1,
        lease_owner=owner,
        lease_generation=F("lease_generation") + 1,
        lease_expires_at=lease_expiry(at),
        compensation_task_id=task_id or row.compensation_task_id,
    )
    if not won:
        return busy(1.0)
    return Claim.taken(row, saga, owner=owner, at=at, compensation_attempts=row.compensation_attempts + 1)


def checkpoint(claim: Claim, values: dict, *, at: datetime) -> bool:
    """Merge ``values`` into the saga context if this runner still holds the
    step; whether it did."""
    with transaction.atomic():
        held = SagaStep.objects.filter(
            id=claim.step_id, lease_owner=claim.owner, lease_generation=claim.generation
        ).exists()
        if held:
            saga = Saga.objects.select_for_update().only("context").get(id=claim.saga_id)
            context = {**saga.context, **values}
            Saga.objects.filter(id=claim.saga_id).update(context=context, updated_at=at)
    return held


def record_success(claim: Claim, outputs: dict, *, at: datetime, last: bool) -> bool:
    """Mark the step succeeded, merge its outputs into the saga context and
    append its events: five statements in one transaction. False when the
    lease was lost (the result is dropped)."""
    with transaction.atomic():
        held = SagaStep.objects.filter(
            id=claim.step_id, status=_T.RUNNING, lease_owner=claim.owner, lease_generation=claim.generation
        ).update(
            status=_T.SUCCEEDED,
            finished_at=at,
            lease_owner="",
            lease_expires_at=None,
            last_error="",
            retrying_since=None,
        )
        if not held:
            return False
        # Read-modify-write is safe: forward steps run one at a time and only
        # the lease holder gets here (checkpoints it made are in ``saved``).
        context = {**claim.context, **claim.saved, **outputs}
        # The next step's message is due now (none after the last).
        fields = {"context": context, "updated_at": at, "due_at": None if last else at}
        if last:
            fields.update(status=_G.SUCCEEDED, finished_at=at)
        ended = Saga.objects.filter(id=claim.saga_id, status=_G.RUNNING).update(**fields)
        if not ended:
            # Turned around by a cancel or a failure while this step ran:
            # its outputs still count, its compensation needs them.
            Saga.objects.filter(id=claim.saga_id, status=_G.COMPENSATING).update(
                context=context, updated_at=at, due_at=at
            )
        started = {"attempt": claim.attempts}
        events = [
            event(claim.saga_id, E.STEP_STARTED, step_id=claim.step_id, at=claim.claimed_at, **started),
            event(claim.saga_id, E.STEP_SUCCEEDED, step_id=claim.step_id, at=at, outputs=sorted(outputs)),
        ]
        if last and ended:
            events.append(event(claim.saga_id, E.SAGA_SUCCEEDED, at=at))
        SagaEvent.objects.bulk_create(events)
    return True


def record_compensation(claim: Claim, status: str, *, error: str = "", held: bool = True) -> bool:
    """Record the end of a step's compensation (``compensated`` or
    ``compensation_failed``) with its two events. ``held=False`` records on a
    row nobody holds (attempts ran out in runs that died)."""
    at = now()
    rows = SagaStep.objects.filter(id=claim.step_id)
    rows = (
        rows.filter(lease_owner=claim.owner, lease_generation=claim.generation)
        if held
        else rows.exclude(status__in=[_T.COMPENSATED])
    )
    fields = {"status": status, "lease_owner": "", "lease_expires_at": None, "retrying_since": None}
    if status == _T.COMPENSATED:
        fields["compensated_at"] = at
    else:
        fields["last_error"] = error
    event_name = E.STEP_COMPENSATED if status == _T.COMPENSATED else E.COMPENSATION_FAILED
    with transaction.atomic():
        if not rows.update(**fields):
            return False  # someone else holds it now; their record stands
        # The chain's next compensation (or the settle) is due now.
        Saga.objects.filter(id=claim.saga_id).update(updated_at=at, due_at=at)
        detail = {"attempt": claim.compensation_attempts, **({"error": error} if error else {})}
        SagaEvent.objects.bulk_create(
            [
                event(claim.saga_id, E.COMPENSATION_STARTED, step_id=claim.step_id, at=claim.claimed_at),
                event(claim.saga_id, event_name, step_id=claim.step_id, at=at, **detail),
            ]
        )
    return True


def release(
    claim: Claim,
    *,
    polled: bool = False,
    failed: bool = False,
    uncounted: bool = False,
    throttled_for: float = 0.0,
    error: str = "",
    event_name: SagaEventName | None = None,
    due_in: float = 0.0,
    **detail,
) -> None:
    """Give the lease back so the retry (or anyone) can claim the step again.

    ``polled``: the run found the world not ready (a poll, not a try).
    ``failed``: the run failed transiently; the first of an unbroken run of
    such failures starts the clock ``RetryPolicy.give_up_after`` runs on.
    ``uncounted``: the run never reached the outside world (it waited for a
    budget), so it does not count as an attempt; ``throttled_for`` seconds
    are added to the time not held against the step's deadline.
    ``due_in``: seconds until the retry's message is due (the saga's
    ``due_at``, which the sweeper holds it to).
    """
    at = now()
    fields: dict[str, Any] = {"lease_owner": "", "lease_expires_at": None}
    if polled:
        fields["polls"] = F("polls") + 1
        fields["retrying_since"] = None  # the world answered: the failures ended
    if failed:
        fields["retrying_since"] = Coalesce(F("retrying_since"), at)
    if error:
        fields["last_error"] = error
    if uncounted:
        counter = "compensation_attempts" if claim.compensating else "attempts"
        fields[counter] = F(counter) - 1
    if throttled_for:
        fields["throttled_seconds"] = F("throttled_seconds") + throttled_for
    with transaction.atomic():
        SagaStep.objects.filter(
            id=claim.step_id, lease_owner=claim.owner, lease_generation=claim.generation
        ).update(**fields)
        Saga.objects.filter(id=claim.saga_id).update(updated_at=at, due_at=at + timedelta(seconds=due_in))
        if event_name:
            event(claim.saga_id, event_name, step_id=claim.step_id, at=at, error=error, **detail).save()
