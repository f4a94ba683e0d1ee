"""Forward execution of one step: claim, execute, record.

The claim and the record are short writes; ``execute`` runs outside any
transaction. On PostgreSQL a transition costs two round trips, each one
autocommitted statement (see ``fastpath``): the conditional claim, and the
record that marks the step succeeded, merges its outputs into the saga
context and appends its events. The saga's first step adds one UPDATE (the
saga starts running). Elsewhere, or when the claim finds the row busy, the
ORM path reads the row first and records in one five-statement transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from provisioning import failures, fastpath, registry
from provisioning.backoff import backoff_delay
from provisioning.models import Saga, SagaEvent, SagaStatus, SagaStep, StepStatus
from provisioning.outcomes import (
    Claim,
    Outcome,
    event,
    held_by_someone_else,
    lease_backoff,
    lease_expiry,
    now,
    short_error,
    step_log,
)
from provisioning.protocol import NotReady, PermanentError, StepContext, TransientError

_T, _G = StepStatus, SagaStatus
FORWARD_SAGA_STATUSES = (_G.PENDING, _G.RUNNING)


def step_run(*, saga_id, index: int, owner: str, task_id: str = "") -> Outcome:
    """Run step ``index`` of a saga once, as far as this delivery may."""
    claim = step_claim(saga_id=saga_id, index=index, owner=owner, task_id=task_id)
    if isinstance(claim, Outcome):
        return claim
    step = registry.get_definition(claim.kind, claim.version).steps[index]
    logger = step_log(saga_id, index, claim.name)
    ctx = _context(claim)
    try:
        outputs = step.execute(ctx) or {}
    except NotReady as exc:
        return _poll_later(claim, step.retry, exc)
    except TransientError as exc:
        logger.warning("transient error (attempt %s): %s", claim.attempts, exc)
        return _retry_later(claim, step.retry, exc)
    except PermanentError as exc:
        logger.warning("permanent error: %s", exc)
        return Outcome.fail(short_error(exc))
    except Exception as exc:  # a bug in a step fails it like a permanent error
        logger.exception("step raised an undeclared error")
        return Outcome.fail(short_error(exc))
    return step_record_success(claim, dict(outputs))


def step_claim(*, saga_id, index: int, owner: str, task_id: str = "") -> Claim | Outcome:
    """Take the step row for this runner, or say why not."""
    at = now()
    if fastpath.available():
        taken = fastpath.claim(
            saga_id=saga_id, index=index, owner=owner, task_id=task_id, at=at, expires=lease_expiry(at)
        )
        if taken is not None:
            claim, saga_status = taken
            if saga_status == _G.PENDING:
                Saga.objects.filter(id=saga_id, status=_G.PENDING).update(status=_G.RUNNING, updated_at=at)
            return claim
    # The row did not qualify for the one-statement claim (or this is not
    # PostgreSQL): read it and decide.
    return _claim_after_reading(saga_id=saga_id, index=index, owner=owner, task_id=task_id, at=at)


def _claim_after_reading(*, saga_id, index: int, owner: str, task_id: str, at) -> Claim | Outcome:
    row = SagaStep.objects.select_related("saga").get(saga_id=saga_id, index=index)
    saga = row.saga
    if saga.status not in FORWARD_SAGA_STATUSES:
        return Outcome.stop()  # compensating or finished: forward work is over
    if saga.cancel_requested:
        failures.saga_begin_compensation(saga_id=saga_id, error="cancelled on request", cancelled=True)
        return Outcome.stop()
    if row.status == _T.SUCCEEDED:
        # A duplicate delivery. The original continued the chain; if it died
        # before it could, the sweeper resumes the saga.
        return Outcome.stop()
    if row.status not in (_T.PENDING, _T.RUNNING):
        return Outcome.stop()
    if remaining := held_by_someone_else(row, at):
        return Outcome.retry(lease_backoff(remaining))
    # Conditional on what was read: attempts works as a version number, so
    # of two deliveries racing here exactly one wins.
    won = SagaStep.objects.filter(id=row.id, status=row.status, attempts=row.attempts).update(
        status=_T.RUNNING,
        attempts=F("attempts") + 1,
        started_at=row.started_at or at,
        lease_owner=owner,
        lease_expires_at=lease_expiry(at),
        celery_task_id=task_id or row.celery_task_id,
    )
    if not won:
        return Outcome.retry(lease_backoff(1.0))
    if saga.status == _G.PENDING:
        Saga.objects.filter(id=saga_id, status=_G.PENDING).update(status=_G.RUNNING, updated_at=at)
    return Claim.taken(row, saga, owner=owner, at=at, attempts=row.attempts + 1)


def step_record_success(claim: Claim, outputs: dict) -> Outcome:
    """Mark the step succeeded, merge its outputs into the saga context and
    append its events, atomically; the last step also ends the saga."""
    at = now()
    last = claim.index == len(registry.get_definition(claim.kind, claim.version).steps) - 1
    record = fastpath.record_success if fastpath.available() else _record_success_orm
    if not record(claim, outputs, at=at, last=last):
        # The lease expired and another runner took the step over: its
        # result stands, this one is dropped (steps are idempotent).
        step_log(claim.saga_id, claim.index, claim.name).warning("lease lost; result dropped")
        return Outcome.stop()
    took = (at - claim.claimed_at).total_seconds() * 1000
    step_log(claim.saga_id, claim.index, claim.name).info(
        "succeeded in %.0f ms (attempt %d)", took, claim.attempts
    )
    return Outcome.cont()


def _record_success_orm(claim: Claim, outputs: dict, *, at, last: bool) -> bool:
    """The portable record (SQLite): five statements in one transaction."""
    with transaction.atomic():
        held = SagaStep.objects.filter(id=claim.step_id, status=_T.RUNNING, lease_owner=claim.owner).update(
            status=_T.SUCCEEDED, finished_at=at, lease_owner="", lease_expires_at=None, last_error=""
        )
        if not held:
            return False
        # Read-modify-write is safe: forward steps run one at a time and only
        # the lease holder gets here.
        context = {**claim.context, **outputs}
        fields = {"context": context, "updated_at": at}
        if last:
            fields.update(status=_G.SUCCEEDED, finished_at=at)
        ended = Saga.objects.filter(id=claim.saga_id, status=_G.RUNNING).update(**fields)
        if not ended:
            # Turned around by a cancel or a failure while this step ran:
            # its outputs still count, its compensation needs them.
            Saga.objects.filter(id=claim.saga_id, status=_G.COMPENSATING).update(
                context=context, updated_at=at
            )
        events = [
            event(
                claim.saga_id,
                "step_started",
                step_id=claim.step_id,
                at=claim.claimed_at,
                attempt=claim.attempts,
            ),
            event(claim.saga_id, "step_succeeded", step_id=claim.step_id, at=at, outputs=sorted(outputs)),
        ]
        if last and ended:
            events.append(event(claim.saga_id, "saga_succeeded", at=at))
        SagaEvent.objects.bulk_create(events)
    return True


def _context(claim: Claim) -> StepContext:
    return StepContext(
        saga_id=str(claim.saga_id),
        step_index=claim.index,
        step_name=claim.name,
        attempt=claim.attempts,
        data=claim.context,
        started_at=claim.started_at,
    )


def _retry_later(claim: Claim, policy, exc: TransientError) -> Outcome:
    tries = claim.attempts - claim.polls
    if tries >= policy.max_attempts:
        return Outcome.fail(f"gave up after {tries} attempts: {short_error(exc)}")
    delay = backoff_delay(policy, tries, exc.retry_after)
    _release(claim, last_error=short_error(exc), event_name="step_retrying", countdown=round(delay, 2))
    return Outcome.retry(delay)


def _poll_later(claim: Claim, policy, exc: NotReady) -> Outcome:
    waited = (now() - claim.started_at).total_seconds()
    if policy.deadline is not None and waited >= policy.deadline:
        return Outcome.fail(f"not ready after {waited:.0f}s (deadline {policy.deadline:g}s): {exc}")
    delay = exc.retry_after if exc.retry_after is not None else policy.poll_interval
    _release(claim, polled=True)
    return Outcome.retry(delay)


def _release(claim: Claim, *, polled=False, last_error="", event_name="", **detail) -> None:
    """Give the lease back so the retry (or anyone) can claim the step again."""
    at = now()
    with transaction.atomic():
        fields = {"lease_owner": "", "lease_expires_at": None}
        if polled:
            fields["polls"] = F("polls") + 1
        else:
            fields["last_error"] = last_error
        SagaStep.objects.filter(id=claim.step_id, lease_owner=claim.owner).update(**fields)
        Saga.objects.filter(id=claim.saga_id).update(updated_at=at)
        if event_name:
            SagaEvent.objects.create(
                saga_id=claim.saga_id,
                step_id=claim.step_id,
                event=event_name,
                detail={"error": last_error, **detail},
                at=at,
            )
