"""The compensation direction: undo one step once, as far as this delivery
may, and say what should happen next.

A compensation is claimed like a forward step (lease, version check), runs
outside any transaction and is retried with backoff. When its retries run
out the step is ``compensation_failed`` and the chain goes on: the other
compensations still run, and the saga ends ``compensation_failed`` for an
operator to retry (``saga_retry_compensation``).
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

from provisioning.engine import claims, registry, tracing
from provisioning.engine.claims import Claim, Refusal, Refused
from provisioning.engine.errors import NotReady, PermanentError, Throttled, TransientError
from provisioning.engine.events import SagaEventName
from provisioning.engine.logs import step_log, stored_error
from provisioning.engine.models import SagaStep, StepStatus
from provisioning.engine.outcome import Outcome
from provisioning.engine.retrying import give_up_reason, release_for_retry
from provisioning.engine.settings import engine_settings

_T = StepStatus


def compensation_run(*, saga_id, index: int, owner: str, task_id: str = "") -> Outcome:
    """Compensate step ``index`` once, as far as this delivery may.

    Returns CONTINUE when the step needs nothing more (undone, or given up
    on), so the chain moves to the step before it.
    """
    claim = claims.claim_compensation(saga_id=saga_id, index=index, owner=owner, task_id=task_id)
    if isinstance(claim, Refused):
        return _refused(claim)
    with tracing.step_running(claim, phase="compensation") as run:
        return run.ended(_run_claimed(saga_id, index, claim))


def _run_claimed(saga_id, index: int, claim: Claim) -> Outcome:
    definition = registry.get_definition(claim.kind, claim.version)
    step = definition.steps[index]
    logger = step_log(saga_id, index, claim.name)
    policy = step.compensation_retry
    try:
        step.compensate(claims.step_context(claim, definition))
    except PermanentError as exc:
        tracing.step_error(exc)
        logger.error("compensation failed permanently: %s", exc)
        return _give_up(claim, stored_error(exc))
    except NotReady as exc:
        tracing.step_error(exc)
        # Waiting (a budget, a droplet still busy) is not a failed try.
        delay = exc.retry_after if exc.retry_after is not None else policy.poll_interval
        throttled = delay if isinstance(exc, Throttled) else 0.0
        claims.release(
            claim,
            uncounted=True,
            throttled_for=throttled,
            error=stored_error(exc),
            event_name=SagaEventName.COMPENSATION_RETRYING,
            countdown=round(delay, 2),
            due_in=delay,
        )
        return Outcome.retry(delay)
    except (OperationalError, InterfaceError):
        raise  # the database went away: the task adapter retries, uncounted
    except Exception as exc:  # transient, or a bug: both worth retrying
        tracing.step_error(exc)
        if not isinstance(exc, TransientError):
            logger.exception("compensation raised an undeclared error")
        tries, default = claim.compensation_attempts, engine_settings().compensation_retry_seconds
        if why := give_up_reason(claim, policy, exc, tries=tries, default=default):
            return _give_up(claim, why)
        return release_for_retry(
            claim, policy, exc, tries=tries, event_name=SagaEventName.COMPENSATION_RETRYING
        )
    claims.record_compensation(claim, _T.COMPENSATED)
    logger.info("compensated (attempt %d)", claim.compensation_attempts)
    return Outcome.cont()


def _refused(refused: Refused) -> Outcome:
    if refused.why is Refusal.BUSY:
        return Outcome.retry(refused.retry_after)
    if refused.why is Refusal.EXHAUSTED:
        # Attempts ran out in runs that died before they could say so.
        return _give_up(refused.claim, refused.error or "compensation attempts exhausted", held=False)
    if refused.why is Refusal.DONE:
        return Outcome.cont()
    return Outcome.stop()


def _give_up(claim: Claim, error: str, *, held: bool = True) -> Outcome:
    claims.record_compensation(claim, _T.COMPENSATION_FAILED, error=error, held=held)
    return Outcome.cont()


def compensation_owed(saga_id) -> list[tuple[int, str]]:
    """(index, name) of every step to compensate: each that started and is
    not undone yet (one given up on is claimed as done, so a chain goes on),
    and each skipped one that owns the saga's failure state."""
    rows = (
        SagaStep.objects.filter(saga_id=saga_id)
        .exclude(status__in=[_T.PENDING, _T.COMPENSATED])
        .values_list("index", "name", "status", "saga__kind", "saga__version")
    )
    owed = []
    for index, name, status, kind, version in rows:
        step = registry.get_definition(kind, version).steps[index]
        if status != _T.SKIPPED or step.compensate_if_skipped:
            owed.append((index, name))
    return owed
