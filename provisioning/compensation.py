"""Compensation of one step, and settling the saga when the chain ends.

A compensation is claimed like a forward step (lease, version check), runs
outside any transaction and is retried with backoff. When its retries run
out the step is ``compensation_failed`` and the chain goes on: the other
compensations still run, and the saga ends ``compensation_failed`` for an
operator to retry (``saga_retry_compensation``).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F

from provisioning import registry
from provisioning.backoff import backoff_delay
from provisioning.models import Saga, SagaEvent, SagaStatus, SagaStep, StepStatus
from provisioning.outcomes import (
    Claim,
    Outcome,
    event,
    held_by_someone_else,
    lease_backoff,
    lease_expiry,
    log,
    now,
    short_error,
    step_log,
)
from provisioning.protocol import NotReady, PermanentError, StepContext, TransientError

_T, _G = StepStatus, SagaStatus
# Steps that started and are not undone yet.
NEEDS_COMPENSATION = (_T.SUCCEEDED, _T.FAILED, _T.RUNNING, _T.COMPENSATING)


def compensation_run(*, saga_id, index: int, owner: str, task_id: str = "") -> Outcome:
    """Compensate step ``index`` once, as far as this delivery may.

    Returns CONTINUE when the step needs nothing more (undone, or given up
    on), so the chain moves to the step before it.
    """
    claim = _claim(saga_id=saga_id, index=index, owner=owner, task_id=task_id)
    if isinstance(claim, Outcome):
        return claim
    step = registry.get_definition(claim.kind, claim.version).steps[index]
    logger = step_log(saga_id, index, claim.name)
    policy = step.compensation_retry
    ctx = StepContext(
        saga_id=str(saga_id),
        step_index=index,
        step_name=claim.name,
        attempt=claim.compensation_attempts,
        data=claim.context,
        started_at=claim.started_at,
    )
    try:
        step.compensate(ctx)
    except PermanentError as exc:
        logger.error("compensation failed permanently: %s", exc)
        return _give_up(claim, short_error(exc))
    except NotReady as exc:
        # Waiting (a rate limit, a droplet still busy) is not a failed try.
        delay = exc.retry_after if exc.retry_after is not None else policy.poll_interval
        _release(claim, short_error(exc), delay, counted=False)
        return Outcome.retry(delay)
    except Exception as exc:  # transient, or a bug: both worth retrying
        if not isinstance(exc, TransientError):
            logger.exception("compensation raised an undeclared error")
        if claim.compensation_attempts >= policy.max_attempts:
            return _give_up(
                claim, f"gave up after {claim.compensation_attempts} attempts: {short_error(exc)}"
            )
        delay = backoff_delay(policy, claim.compensation_attempts, getattr(exc, "retry_after", None))
        _release(claim, short_error(exc), delay)
        return Outcome.retry(delay)
    _record(claim, _T.COMPENSATED, "step_compensated")
    logger.info("compensated (attempt %d)", claim.compensation_attempts)
    return Outcome.cont()


def _claim(*, saga_id, index: int, owner: str, task_id: str) -> Claim | Outcome:
    row = SagaStep.objects.select_related("saga").get(saga_id=saga_id, index=index)
    saga, at = row.saga, now()
    if saga.status != _G.COMPENSATING:
        return Outcome.stop()
    if row.status not in NEEDS_COMPENSATION:
        return Outcome.cont()  # never started, or already undone / given up on
    if remaining := held_by_someone_else(row, at):
        return Outcome.retry(lease_backoff(remaining))
    policy = registry.get_definition(saga.kind, saga.version).steps[index].compensation_retry
    if row.compensation_attempts >= policy.max_attempts:
        # Attempts ran out in runs that died before they could say so.
        claim = Claim.taken(row, saga, owner=owner, at=at)
        return _give_up(claim, row.last_error or "compensation attempts exhausted", held=False)
    won = SagaStep.objects.filter(
        id=row.id, status=row.status, compensation_attempts=row.compensation_attempts
    ).update(
        status=_T.COMPENSATING,
        compensation_attempts=F("compensation_attempts") + 1,
        lease_owner=owner,
        lease_expires_at=lease_expiry(at),
        compensation_task_id=task_id or row.compensation_task_id,
    )
    if not won:
        return Outcome.retry(lease_backoff(1.0))
    return Claim.taken(row, saga, owner=owner, at=at, compensation_attempts=row.compensation_attempts + 1)


def _give_up(claim: Claim, error: str, *, held: bool = True) -> Outcome:
    _record(claim, _T.COMPENSATION_FAILED, "compensation_failed", error=error, held=held)
    return Outcome.cont()


def _record(claim: Claim, status: str, event_name: str, *, error: str = "", held: bool = True) -> None:
    at = now()
    rows = SagaStep.objects.filter(id=claim.step_id)
    rows = rows.filter(lease_owner=claim.owner) if held else rows.exclude(status__in=[_T.COMPENSATED])
    fields = {"status": status, "lease_owner": "", "lease_expires_at": None}
    if status == _T.COMPENSATED:
        fields["compensated_at"] = at
    else:
        fields["last_error"] = error
    with transaction.atomic():
        if not rows.update(**fields):
            return  # someone else holds it now; their record stands
        Saga.objects.filter(id=claim.saga_id).update(updated_at=at)
        detail = {"attempt": claim.compensation_attempts, **({"error": error} if error else {})}
        SagaEvent.objects.bulk_create(
            [
                event(
                    claim.saga_id,
                    "compensation_started",
                    step_id=claim.step_id,
                    at=claim.claimed_at,
                ),
                event(claim.saga_id, event_name, step_id=claim.step_id, at=at, **detail),
            ]
        )


def _release(claim: Claim, error: str, delay: float, *, counted: bool = True) -> None:
    at = now()
    fields = {"lease_owner": "", "lease_expires_at": None, "last_error": error}
    if not counted:
        fields["compensation_attempts"] = F("compensation_attempts") - 1
    with transaction.atomic():
        SagaStep.objects.filter(id=claim.step_id, lease_owner=claim.owner).update(**fields)
        Saga.objects.filter(id=claim.saga_id).update(updated_at=at)
        event(
            claim.saga_id,
            "compensation_retrying",
            step_id=claim.step_id,
            at=at,
            error=error,
            countdown=round(delay, 2),
        ).save()


def saga_settle(*, saga_id) -> str | None:
    """End a compensating saga once no step needs compensating any more.

    Returns the final status, or None when something is still in flight
    (the sweeper will resume it).
    """
    statuses = list(SagaStep.objects.filter(saga_id=saga_id).values_list("status", flat=True))
    if any(status in NEEDS_COMPENSATION for status in statuses):
        return None
    final = _G.COMPENSATION_FAILED if _T.COMPENSATION_FAILED in statuses else _G.COMPENSATED
    at = now()
    with transaction.atomic():
        if not Saga.objects.filter(id=saga_id, status=_G.COMPENSATING).update(
            status=final, finished_at=at, updated_at=at
        ):
            return None
        event(saga_id, f"saga_{final}", at=at).save()
    log_level = logging.INFO if final == _G.COMPENSATED else logging.ERROR
    log.log(log_level, "saga=%s step=- settled: %s", saga_id, final)
    return final
