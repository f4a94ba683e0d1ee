"""The forward direction: run one step once, as far as this delivery may,
and say what should happen next.

Claim (a lease on the step row), execute outside any transaction, record.
The step's declared errors decide the rest: ``NotReady`` polls again,
``Throttled`` waits for the budget without counting, ``TransientError``
retries with backoff up to the policy's attempts, ``PermanentError`` (or an
undeclared exception: a bug) fails the step, which turns the saga around.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import InterfaceError, OperationalError

from provisioning.engine import claims, hooks, registry, tracing
from provisioning.engine.claims import Claim, LeaseLost, Refusal, Refused
from provisioning.engine.clock import now
from provisioning.engine.errors import NotReady, PermanentError, Throttled, TransientError
from provisioning.engine.events import SagaEventName
from provisioning.engine.logs import step_log, stored_error
from provisioning.engine.models import SagaStatus
from provisioning.engine.outcome import Outcome
from provisioning.engine.policies import RetryPolicy
from provisioning.engine.retrying import give_up_reason, release_for_retry
from provisioning.engine.settings import engine_settings
from provisioning.engine.turnaround import saga_begin_compensation


def step_run(*, saga_id, index: int, owner: str, task_id: str = "") -> Outcome:
    """Run step ``index`` of a saga once, as far as this delivery may."""
    claim = claims.claim_forward(saga_id=saga_id, index=index, owner=owner, task_id=task_id)
    if isinstance(claim, Refused):
        return _refused(saga_id, claim)
    with tracing.step_running(claim, phase="forward") as run:
        return run.ended(_run_claimed(saga_id, index, claim))


def _run_claimed(saga_id, index: int, claim: Claim) -> Outcome:
    definition = registry.get_definition(claim.kind, claim.version)
    step = definition.steps[index]
    logger = step_log(saga_id, index, claim.name)
    try:
        outputs = step.execute(claims.step_context(claim, definition)) or {}
    except Throttled as exc:
        tracing.step_error(exc)
        return _wait_for_budget(claim, step.retry, exc)
    except NotReady as exc:
        tracing.step_error(exc)
        return _poll_later(claim, step.retry, exc)
    except LeaseLost as exc:
        logger.warning("%s; this run stops", exc)
        return Outcome.stop()
    except TransientError as exc:
        tracing.step_error(exc)
        logger.warning("transient error (attempt %s): %s", claim.attempts, exc)
        return _retry_later(claim, step.retry, exc)
    except PermanentError as exc:
        tracing.step_error(exc)
        logger.warning("permanent error: %s", exc)
        return Outcome.fail(stored_error(exc))
    except (OperationalError, InterfaceError):
        # The database went away under the step: not the step's failure. The
        # task adapter retries on a fresh connection; the retry takes back
        # this run's lease (an earlier try of the same task).
        raise
    except Exception as exc:  # a bug in a step fails it like a permanent error
        tracing.step_error(exc)
        logger.exception("step raised an undeclared error")
        return Outcome.fail(stored_error(exc))
    last = index == len(definition.steps) - 1
    if not claims.record_success(claim, dict(outputs), last=last):
        # The lease expired and another runner took the step over: its
        # result stands, this one is dropped (steps are idempotent).
        logger.warning("lease lost; result dropped")
        return Outcome.stop()
    took = (now() - claim.claimed_at).total_seconds() * 1000
    logger.info("succeeded in %.0f ms (attempt %d)", took, claim.attempts)
    if last:
        hooks.saga_finished(saga_id, SagaStatus.SUCCEEDED)
    return Outcome.cont()


def _refused(saga_id, refused: Refused) -> Outcome:
    if refused.why is Refusal.BUSY:
        return Outcome.retry(refused.retry_after)
    if refused.why is Refusal.CANCEL:
        moved = saga_begin_compensation(saga_id=saga_id, error="cancelled on request", cancelled=True)
        return Outcome.compensate() if moved else Outcome.stop()
    return Outcome.stop()


def _retry_later(claim: Claim, policy: RetryPolicy, exc: Exception) -> Outcome:
    tries = claim.attempts - claim.polls
    if why := give_up_reason(
        claim, policy, exc, tries=tries, default=engine_settings().transient_retry_seconds
    ):
        return Outcome.fail(why)
    return release_for_retry(claim, policy, exc, tries=tries, event_name=SagaEventName.STEP_RETRYING)


def _poll_later(claim: Claim, policy: RetryPolicy, exc: NotReady) -> Outcome:
    waited = (now() - claim.started_at).total_seconds() - claim.throttled_seconds
    if policy.deadline is not None and waited >= policy.deadline:
        return Outcome.fail(f"not ready after {waited:.0f}s (deadline {policy.deadline:g}s): {exc}")
    delay = exc.retry_after if exc.retry_after is not None else policy.poll_interval
    claims.release(claim, polled=True, due_in=delay)
    return Outcome.retry(delay)


def _wait_for_budget(claim: Claim, policy: RetryPolicy, exc: Throttled) -> Outcome:
    delay = exc.retry_after if exc.retry_after is not None else policy.poll_interval
    logger = step_log(claim.saga_id, claim.index, claim.name)
    logger.info("waiting %.1fs for the provider budget: %s", delay, exc)
    # Said on the step (the API and the admin show it; success clears it):
    # a saga held by a window that ran out says when it will try again.
    until = (now() + timedelta(seconds=delay)).strftime("%Y-%m-%d %H:%M:%S UTC")
    claims.release(
        claim,
        uncounted=True,
        throttled_for=delay,
        error=f"waiting for a budget until {until}: {exc}",
        due_in=delay,
    )
    return Outcome.retry(delay)
