"""Celery tasks of the saga engine: thin adapters over runner, compensation,
failures and sweeper.

Each step of each registered saga gets two named tasks,
``provisioning.step.<name>`` and ``provisioning.compensate.<name>``, so that
Flower shows progress per step. They are registered when the definitions
load, which a worker does when it imports this module.
"""

from __future__ import annotations

import contextlib
import logging
import uuid

from celery import shared_task
from celery.exceptions import Reject, SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError, connection

from arcadia.celery import app
from provisioning import dispatch
from provisioning.outcomes import Next, Outcome
from provisioning.protocol import SagaDefinition

log = logging.getLogger("provisioning.engine")


class StepFailed(Exception):
    """Raised by a step task whose step failed for good; its errback
    records the failure and starts compensation."""


def _owner(task) -> str:
    # Unique per execution: a redelivered copy of the same message (same
    # task id) must not pass for the runner that holds the lease.
    return f"{task.request.hostname or 'local'}:{task.request.id}:{uuid.uuid4().hex[:8]}"


def _act(task, outcome: Outcome):
    if outcome.next is Next.CONTINUE:
        return
    if outcome.next is Next.STOP:
        task.request.chain = None  # the rest of the chain must not run from here
        return
    if outcome.next is Next.RETRY:
        try:
            raise task.retry(countdown=outcome.countdown, max_retries=None)
        except Reject as exc:
            # Celery could not send the retry (the broker is down) and would
            # fail the task into compensation. The step gave its lease back
            # and its row says it is unfinished: stop here, and the sweeper
            # resumes the saga once the broker answers.
            saga_id, index = task.request.args[:2]
            log.warning("saga=%s step=%s retry not sent, left to the sweeper: %s", saga_id, index, exc)
            task.request.chain = None
            return
    raise StepFailed(outcome.error)


# Longest wait between retries of a task whose database connection broke.
DB_RETRY_MAX_DELAY = 30.0


def _guarded(task, saga_id: str, index: int, call) -> Outcome:
    """Run an engine call; a broken database connection (a restart, a
    failover, a connection reused too long) is not the step's failure, so
    the task is retried on a fresh connection rather than failed into
    compensation. A step's own database errors never get here: the runner
    judges those."""
    try:
        return call()
    except (OperationalError, InterfaceError) as exc:
        log.warning("saga=%s step=%s database unavailable, retrying: %s", saga_id, index, exc)
        with contextlib.suppress(Exception):
            connection.close()  # Django opens a new one on next use
        return Outcome.retry(min(DB_RETRY_MAX_DELAY, 0.5 * 2 ** min(task.request.retries, 10)))


def run_step(self, saga_id: str, index: int):
    from provisioning.runner import step_run

    def call():
        try:
            return step_run(saga_id=saga_id, index=index, owner=_owner(self), task_id=self.request.id)
        except SoftTimeLimitExceeded:
            return Outcome.fail(f"step exceeded its soft time limit ({self.soft_time_limit or 'default'}s)")

    return _act(self, _guarded(self, saga_id, index, call))


def run_compensation(self, saga_id: str, index: int):
    from provisioning.compensation import compensation_run

    def call():
        return compensation_run(saga_id=saga_id, index=index, owner=_owner(self), task_id=self.request.id)

    return _act(self, _guarded(self, saga_id, index, call))


def register_step_tasks(definition: SagaDefinition) -> None:
    for step in definition.steps:
        for template, fun in (
            (dispatch.STEP_TASK, run_step),
            (dispatch.COMPENSATE_TASK, run_compensation),
        ):
            name = template.format(name=step.name)
            if name not in app.tasks:
                app.task(name=name, bind=True, max_retries=None, acks_late=True)(fun)


@shared_task(name=dispatch.STEP_FAILED_TASK)
def step_failed(request, exc, traceback, saga_id: str, index: int):
    """Errback of a step task. Celery runs it inline in the failing worker
    (its signature takes the request first); it must stay small and safe
    to run twice."""
    from provisioning.failures import saga_step_failed

    error = str(exc) if isinstance(exc, StepFailed) else f"{type(exc).__name__}: {exc}"
    saga_step_failed(saga_id=saga_id, index=index, error=error[:2000])


@shared_task(name=dispatch.COMPENSATION_CRASHED_TASK)
def compensation_crashed(request, exc, traceback, saga_id: str, index: int):
    """Errback of a compensation task that died unexpectedly (a time limit,
    an engine error): send the compensation chain again; the step's
    attempts bound how often this can happen."""
    log.error("saga=%s step=%s compensation task crashed: %r", saga_id, index, exc)
    dispatch.send_compensation(saga_id)


@shared_task(name=dispatch.SETTLE_TASK, bind=True, max_retries=None)
def settle_saga(self, saga_id: str):
    from provisioning.compensation import saga_settle

    saga_settle(saga_id=saga_id)


@shared_task(name="provisioning.sweep_stalled_sagas")
def sweep_stalled_sagas():
    from provisioning.sweeper import sweep_stalled_sagas as sweep

    return sweep()


def _register_configured() -> None:
    from provisioning import registry

    registry.load_configured()


# A worker imports this module at start: make every configured step task
# known before the first message arrives.
_register_configured()
