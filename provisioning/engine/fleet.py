"""Each worker process's part in the fleet's liveness, from one thread.

Started in every pool process after the fork (``worker_process_init``: a
thread started before the fork would not exist in the child, and one that
held a lock across it could deadlock it). Every ``heartbeat_seconds`` the
thread:

1. renews the process's heartbeat (:func:`heartbeats.beat`), by which
   claims on any host tell this process alive from dead;
2. extends the lease of a step this process has run for a third of a lease
   (:func:`heartbeats.renew`; no statement while steps are short);
3. offers to run each periodic job (``SAGA_ENGINE["periodic"]``: the
   sweep, the reconcile pass): the one process that wins a period sends
   the job's task, so every worker host can lose none of them and beat is
   only a convenience.

The thread has its own database connection (Django's are per thread), so
the step's transactions and its statement counts are untouched. The
embedded worker (memory://, in the web process) runs none of this: its
process serves requests, and its leases are judged by their expiry.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading

from celery import signals
from django.db import connection

from provisioning.engine import heartbeats, owners, wiring
from provisioning.engine.clock import now
from provisioning.engine.settings import engine_settings

log = logging.getLogger("provisioning.engine")

_started_in: int | None = None  # the pid whose thread runs (a fork starts its own)
_stop = threading.Event()


@signals.worker_process_init.connect
def start(**_kwargs) -> None:
    global _started_in
    if engine_settings().embedded or _started_in == os.getpid():
        return
    _started_in = os.getpid()
    _stop.clear()
    threading.Thread(target=_run, args=(owners.this_runner(),), name="arcadia-heartbeat", daemon=True).start()


@signals.task_postrun.connect
def _task_ended(**_kwargs) -> None:
    # A run that ended without recording or releasing (its task raised)
    # holds nothing to renew any more.
    heartbeats.let_go()


def _run(runner: str) -> None:
    period = engine_settings().heartbeat_seconds
    while not _stop.is_set():
        tick(runner)
        _stop.wait(period)


def tick(runner: str) -> None:
    """One beat: heartbeat, lease renewal, periodic offers. Never raises:
    a database or broker outage only makes this process look dead (which it
    is, to the fleet, for as long as it cannot record)."""
    try:
        at = now()
        heartbeats.beat(runner, at)
        gap = heartbeats.beat_went_through(now())
        if gap > 2 * engine_settings().heartbeat_seconds:
            # Said, because a gap near the dead-after bound gets this
            # process's steps taken over while it still runs them.
            log.warning("saga=- step=- heartbeat of %s went through %.1fs after the last", runner, gap)
        heartbeats.renew(at)
        for name, seconds in engine_settings().periodic:
            if heartbeats.periodic_due(name, seconds, at):
                # retry=False: a broker down fails at once instead of
                # holding the next heartbeat; the next period tries again.
                wiring.app().send_task(name, retry=False)
    except Exception as exc:
        heartbeats.beat_failed()
        log.warning("saga=- step=- heartbeat of %s failed: %s", runner, exc)
        with contextlib.suppress(Exception):  # a broken connection may fail to close
            connection.close()  # a fresh one next beat
