"""Finding sagas whose messages were lost, and resuming them from their rows.

Three ways a live saga is known to wait for a message that will not come:

- **overdue**: its ``due_at`` (when its next message was due: now after a
  step recorded, a poll's countdown, a retry's backoff, a budget wait)
  passed more than ``due_grace`` ago and no live runner holds one of its
  steps (a dead host's reserved or prefetched message, a countdown longer
  than ``max_countdown`` that was never sent). Shortly after a runner was
  lost, ``due_grace_after_loss`` instead: its held messages will not come
  (on Redis, not before the visibility timeout), and a message that was
  only slow is refused by its claim;
- **held by a dead runner**: one of its steps is leased to a process whose
  heartbeat stopped (the message died with that host; the resumed message
  takes the lease over);
- **stalled**: no progress at all for ``stall_timeout`` (anything else: a
  saga written before due times, an embedded worker without heartbeats).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from provisioning.engine import heartbeats
from provisioning.engine.clock import now
from provisioning.engine.models import SAGA_LIVE_STATUSES, Saga, SagaStep
from provisioning.engine.owners import runner_of
from provisioning.engine.services import saga_resume
from provisioning.engine.settings import engine_settings

log = logging.getLogger("provisioning.engine")


def stalled_sagas(*, older_than: float | None = None):
    """Live sagas with no progress for the configured stall timeout."""
    timeout = engine_settings().stall_timeout if older_than is None else older_than
    cutoff = now() - timedelta(seconds=timeout)
    return Saga.objects.filter(status__in=SAGA_LIVE_STATUSES, updated_at__lt=cutoff).order_by("updated_at")


def waiting_in_vain() -> list:
    """Ids of live sagas overdue or held by a dead runner (see above)."""
    settings, at = engine_settings(), now()
    grace = settings.due_grace_after_loss if heartbeats.lost_lately(at) else settings.due_grace
    overdue = Saga.objects.filter(status__in=SAGA_LIVE_STATUSES, due_at__lt=at - timedelta(seconds=grace))
    due = list(overdue.order_by("due_at").values_list("id", flat=True)[: settings.sweep_batch])
    # Steps under a live lease: as many as steps running now, found by a
    # partial index. Their holders are judged by heartbeat.
    held = SagaStep.objects.filter(lease_expires_at__gt=at).exclude(lease_owner="")
    held = list(held.values_list("saga_id", "lease_owner"))
    dead = heartbeats.dead_runners(at) if held else set()
    held_dead = {saga_id for saga_id, owner in held if runner_of(owner) in dead}
    held_live = {saga_id for saga_id, owner in held} - held_dead
    return [saga_id for saga_id in due if saga_id not in held_live] + sorted(held_dead - set(due))


def sweep_stalled_sagas(*, older_than: float | None = None) -> int:
    """Resume every saga waiting in vain (a batch per run). Safe to run
    often and concurrently: resuming only sends messages, which claims make
    harmless."""
    batch = engine_settings().sweep_batch
    stalled = stalled_sagas(older_than=older_than).values_list("id", flat=True)[:batch]
    ids = list(dict.fromkeys([*waiting_in_vain(), *stalled]))
    resumed = 0
    for saga in Saga.objects.filter(id__in=ids[:batch]):
        try:
            saga_resume(saga=saga)
            resumed += 1
        except Exception:
            log.exception("saga=%s step=- could not be resumed", saga.id)
    if resumed:
        log.warning("saga=- step=- sweeper resumed %d saga(s) waiting in vain", resumed)
    heartbeats.forget_old(now())
    return resumed
