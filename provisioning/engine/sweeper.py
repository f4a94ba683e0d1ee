"""Finding sagas whose messages were lost, and resuming them from their rows."""

from __future__ import annotations

import logging
from datetime import timedelta

from provisioning.engine.clock import now
from provisioning.engine.models import SAGA_LIVE_STATUSES, Saga
from provisioning.engine.services import saga_resume
from provisioning.engine.settings import engine_settings

log = logging.getLogger("provisioning.engine")


def stalled_sagas(*, older_than: float | None = None):
    """Live sagas with no progress for the configured stall timeout."""
    timeout = engine_settings().stall_timeout if older_than is None else older_than
    cutoff = now() - timedelta(seconds=timeout)
    return Saga.objects.filter(status__in=SAGA_LIVE_STATUSES, updated_at__lt=cutoff).order_by("updated_at")


def sweep_stalled_sagas(*, older_than: float | None = None) -> int:
    """Resume every stalled saga (a batch per run). Safe to run often and
    concurrently: resuming only sends messages, which claims make harmless."""
    resumed = 0
    for saga in stalled_sagas(older_than=older_than)[: engine_settings().sweep_batch]:
        try:
            saga_resume(saga=saga)
            resumed += 1
        except Exception:
            log.exception("saga=%s step=- could not be resumed", saga.id)
    if resumed:
        log.warning("saga=- step=- sweeper resumed %d stalled saga(s)", resumed)
    return resumed
