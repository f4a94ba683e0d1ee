"""Celery tasks of the saga engine: thin adapters that run one direction's
function and act on the :class:`~provisioning.engine.outcome.Outcome` it
returns (a step that failed for good turns the saga around right here).

Each step of each registered saga gets two named tasks,
``provisioning.step.<name>`` and ``provisioning.compensate.<name>``, so that
Flower shows progress per step. They are registered as the registry
announces definitions; a worker loads the configured ones when it imports
this module (Celery's autodiscovery), before the first message arrives.
"""

from __future__ import annotations

import contextlib
import threading

from celery import shared_task
from celery.exceptions import Reject, SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError, connection, transaction
from kombu.exceptions import OperationalError as KombuOperationalError

from provisioning.engine import owners, registry, wiring
from provisioning.engine.compensation import compensation_run
from provisioning.engine.forward import step_run
from provisioning.engine.logs import log
from provisioning.engine.outcome import Next, Outcome
from provisioning.engine.protocol import SagaDefinition
from provisioning.engine.settings import engine_settings
from provisioning.engine.settle import saga_settle
from provisioning.engine.sweeper import sweep_stalled_sagas as sweep
from provisioning.engine.turnaround import compensation_due, saga_step_failed

# Longest wait between retries of a task whose database connection broke.
DB_RETRY_MAX_DELAY = 30.0


class StepFailed(Exception):
    """Raised by a step task whose step failed for good, after the task
    turned the saga around itself: Celery (and Flower) record the task as
    failed, and its errback knows there is nothing left to do."""


def _owner(task) -> str:
    # Unique per execution: a redelivered copy of the same message (same
    # task id) must not pass for the runner that holds the lease.
    return owners.this_run(task_id=task.request.id or "", tries=task.request.retries or 0)


def _act(task, saga_id: str, outcome: Outcome, *, compensate: bool = False):
    """Act on a direction's outcome; ``compensate``: this run turned the saga
    around (``turnaround.compensation_due``), so it sends the compensation."""
    if outcome.next is Next.CONTINUE:
        return
    if outcome.next is Next.RETRY:
        if outcome.countdown > engine_settings().max_countdown:
            # No broker holds a delivery that long (RabbitMQ's
            # consumer_timeout, a Redis visibility timeout): the row's
            # due_at says when, and the sweep sends it then.
            log.info("saga=%s step=- waits %.0fs: resumed from its due time", saga_id, outcome.countdown)
            task.request.chain = None
            return
        try:
            raise task.retry(countdown=outcome.countdown, max_retries=None)
        except Reject as exc:
            # Celery could not send the retry (the broker is down) and would
            # fail the task into compensation. The step gave its lease back
            # and its row says it is unfinished: stop here, and the sweeper
            # resumes the saga once the broker answers.
            log.warning("saga=%s step=- retry not sent, left to the sweeper: %s", saga_id, exc)
            task.request.chain = None
            return
    # STOP, FAIL or COMPENSATE: the rest of this chain must not run from here.
    task.request.chain = None
    if compensate:
        transaction.on_commit(lambda: wiring.send_compensation(saga_id))
    if outcome.next is Next.FAIL:
        raise StepFailed(outcome.error)


def _guarded(task, saga_id: str, index: int, call):
    """Run an engine call; a broken database connection (a restart, a
    failover, a connection reused too long) is not the step's failure, so
    the task is retried on a fresh connection rather than failed into
    compensation. A step's own database errors never get here: the
    direction judges those."""
    try:
        return call()
    except (OperationalError, InterfaceError) as exc:
        log.warning("saga=%s step=%s database unavailable, retrying: %s", saga_id, index, exc)
        with contextlib.suppress(Exception):
            connection.close()  # Django opens a new one on next use
        return Outcome.retry(min(DB_RETRY_MAX_DELAY, 0.5 * 2 ** min(task.request.retries, 10))), False


def run_step(self, saga_id: str, index: int):
    def call():
        try:
            outcome = step_run(saga_id=saga_id, index=index, owner=_owner(self), task_id=self.request.id)
        except SoftTimeLimitExceeded:
            limit = self.soft_time_limit or "default"
            outcome = Outcome.fail(f"step exceeded its soft time limit ({limit}s)")
        # A failure the engine knows turns the saga around here, inside the
        # guard (a database outage retries the task), not in the errback.
        return outcome, compensation_due(saga_id=saga_id, index=index, outcome=outcome)

    outcome, compensate = _guarded(self, saga_id, index, call)
    return _act(self, saga_id, outcome, compensate=compensate)


def run_compensation(self, saga_id: str, index: int):
    def call():
        outcome = compensation_run(saga_id=saga_id, index=index, owner=_owner(self), task_id=self.request.id)
        return outcome, False  # a compensation only goes on, stops or retries

    outcome, _ = _guarded(self, saga_id, index, call)
    return _act(self, saga_id, outcome)


_registered: set[str] = set()
_lock = threading.Lock()


def register_step_tasks(definition: SagaDefinition) -> None:
    """Two named tasks per step (what the registry announces)."""
    for step in definition.steps:
        for template, fun in ((wiring.STEP_TASK, run_step), (wiring.COMPENSATE_TASK, run_compensation)):
            name = template.format(name=step.name)
            with _lock:
                if name in _registered:
                    continue
                _registered.add(name)
            shared_task(name=name, bind=True, max_retries=None, acks_late=True)(fun)


@shared_task(name=wiring.STEP_FAILED_TASK)
def step_failed(request, exc, traceback, saga_id: str, index: int):
    """Errback of a step task, for what only Celery sees: the task died (a
    hard time limit, a lost worker) or the engine itself raised. Celery runs
    it inline in the failing worker (its signature takes the request
    first); it must stay small and safe to run twice."""
    if isinstance(exc, StepFailed):
        return  # the task turned the saga around before it raised
    if isinstance(exc, KombuOperationalError):
        # The broker refused a message, not the step: Celery (5.7) fails a
        # task whose next chain message cannot be sent, after the step
        # recorded its success. Its row is the truth; the sweeper resumes
        # the saga once the broker answers. Turning around here rolled back
        # healthy deployments on a Redis blip (make chaos, redis drill).
        log.warning("saga=%s step=%s next message not sent, left to the sweeper: %s", saga_id, index, exc)
        return
    error = f"{type(exc).__name__}: {exc}"
    if saga_step_failed(saga_id=saga_id, index=index, error=error[:2000]):
        transaction.on_commit(lambda: wiring.send_compensation(saga_id))


@shared_task(name=wiring.COMPENSATION_CRASHED_TASK)
def compensation_crashed(request, exc, traceback, saga_id: str, index: int):
    """Errback of a compensation task that died unexpectedly (a time limit,
    an engine error): send the compensation chain again; the step's
    attempts bound how often this can happen."""
    log.error("saga=%s step=%s compensation task crashed: %r", saga_id, index, exc)
    wiring.send_compensation(saga_id)


@shared_task(name=wiring.SETTLE_TASK, bind=True, max_retries=None)
def settle_saga(self, saga_id: str):
    saga_settle(saga_id=saga_id)


@shared_task(name=wiring.SWEEP_TASK)
def sweep_stalled_sagas():
    return sweep()


# Every configured step task must be known before the first message for it
# arrives: subscribe, then load what is configured.
registry.on_register(register_step_tasks)
registry.load_configured()
