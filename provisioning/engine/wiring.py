"""Building and sending the Celery chains of a saga.

The forward path is one chain of step tasks, each with its own errback
(``chain.on_error`` would copy one errback onto every task, and only the
failing task's errbacks fire anyway). The compensation path is a chain of
compensation tasks in reverse step order, ending in the settle task.

Messages carry ids only; the rows say everything else. Tasks are named, not
imported, and sent through the project's Celery app (``hooks.celery_app``).
What must happen before a message leaves (the embedded mode starts its
in-process worker) is ``hooks.before_send``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import chain, current_app
from django.db import transaction
from kombu.exceptions import OperationalError as KombuOperationalError

from provisioning.engine import eager, hooks
from provisioning.engine.compensation import compensation_owed

STEP_TASK = "provisioning.step.{name}"
COMPENSATE_TASK = "provisioning.compensate.{name}"
STEP_FAILED_TASK = "provisioning.step_failed"
COMPENSATION_CRASHED_TASK = "provisioning.compensation_crashed"
SETTLE_TASK = "provisioning.settle_saga"
SWEEP_TASK = "provisioning.sweep_stalled_sagas"

log = logging.getLogger("provisioning.engine")


def app():
    """The project's Celery app (``SAGA_ENGINE["celery_app"]``), else Celery's current one."""
    return hooks.celery_app() or current_app._get_current_object()


def forward_chain(saga_id, step_names: list[str], from_index: int = 0):
    signatures = []
    for index in range(from_index, len(step_names)):
        sig = app().signature(
            STEP_TASK.format(name=step_names[index]), args=(str(saga_id), index), immutable=True
        )
        sig.link_error(app().signature(STEP_FAILED_TASK, args=(str(saga_id), index)))
        signatures.append(sig)
    return chain(*signatures)


def send_forward(saga_id, step_names: list[str], from_index: int = 0) -> None:
    if _eager():
        eager.run_forward(saga_id, len(step_names), from_index)
        return
    _prepare()
    forward_chain(saga_id, step_names, from_index).apply_async()


def compensation_chain(saga_id, steps: list[tuple[int, str]]):
    """``steps`` are (index, name) pairs; they run in reverse index order."""
    signatures = []
    for index, name in sorted(steps, reverse=True):
        sig = app().signature(COMPENSATE_TASK.format(name=name), args=(str(saga_id), index), immutable=True)
        sig.link_error(app().signature(COMPENSATION_CRASHED_TASK, args=(str(saga_id), index)))
        signatures.append(sig)
    signatures.append(app().signature(SETTLE_TASK, args=(str(saga_id),), immutable=True))
    return chain(*signatures)


def send_compensation(saga_id) -> None:
    """Send the compensation chain over every step that started and is not
    undone yet (one given up on is claimed as done, so the chain goes on),
    and every skipped step that owns the saga's failure state."""
    owed = compensation_owed(saga_id)
    if _eager():
        eager.run_compensation(saga_id, owed)
        return
    _prepare()
    compensation_chain(saga_id, owed).apply_async()


def send_after_commit(saga_id, send: Callable[[], None]) -> None:
    """Run ``send`` once the surrounding transaction commits (at the end of
    the outermost atomic block, or now outside one).

    A broker that refuses the message then cannot undo what committed: the
    rows say the saga is unfinished, and the sweeper sends it once it counts
    as stalled. So the refusal is logged, not raised: the caller's request
    succeeded. (Inside the transaction nothing is sent, so a broker outage
    cannot fail the caller's unit of work either.)"""

    def send_or_leave_to_the_sweeper() -> None:
        try:
            send()
        except KombuOperationalError as exc:
            log.warning(
                "saga=%s step=- committed; its message was not sent (broker: %s), the sweeper sends it",
                saga_id,
                type(exc).__name__,
            )

    transaction.on_commit(send_or_leave_to_the_sweeper)


def send_sweep() -> None:
    app().send_task(SWEEP_TASK)


def _eager() -> bool:
    # Celery's eager chains cannot run a saga (see ``eager``).
    return bool(app().conf.task_always_eager)


def _prepare() -> None:
    for callback in hooks.before_send():
        callback()
