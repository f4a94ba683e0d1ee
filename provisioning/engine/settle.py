"""Settling a compensating saga once its compensation chain has run."""

from __future__ import annotations

import logging

from django.db import transaction

from provisioning.engine import hooks
from provisioning.engine.claims import NEEDS_COMPENSATION
from provisioning.engine.clock import now
from provisioning.engine.events import SETTLED, event
from provisioning.engine.logs import saga_log
from provisioning.engine.models import Saga, SagaStatus, SagaStep, StepStatus

_T, _G = StepStatus, SagaStatus


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
            status=final, finished_at=at, updated_at=at, due_at=None
        ):
            return None
        event(saga_id, SETTLED[final], at=at).save()
    saga_log(saga_id).log(logging.INFO if final == _G.COMPENSATED else logging.ERROR, "settled: %s", final)
    hooks.saga_finished(saga_id, final)
    return final
