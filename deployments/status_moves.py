"""The deployment status changes saga steps ask for.

Each is idempotent: a deployment already in the target status is left alone,
so a retried or redelivered step is harmless. An illegal change raises
``IllegalTransition``, which the step reports as a permanent failure.
"""

from __future__ import annotations

from django.db.models import Case, F, Value, When
from django.utils import timezone

from deployments.models import Deployment, DeploymentStatus
from provisioning.engine import IllegalTransition

_S = DeploymentStatus


def _deployment_move(*, deployment_id: int, target: str) -> None:
    """Move a deployment to ``target`` with one conditional UPDATE whose
    WHERE lists the statuses the transition table allows to reach it, and
    the target itself. Only when it matches no row is the row read, to tell
    a missing deployment from an illegal change."""
    allowed = Deployment.TRANSITIONS.sources_of(target)
    # A deployment already there matches too, and keeps its timestamp: a
    # retried step (or provisioning's first step, after the service made the
    # deployment provisioning) costs this one statement, not a second read.
    moved = Deployment.objects.filter(pk=deployment_id, status__in=[*allowed, target]).update(
        status=target,
        updated_at=Case(When(status=target, then=F("updated_at")), default=Value(timezone.now())),
    )
    if moved:
        return
    current = Deployment.objects.values_list("status", flat=True).get(pk=deployment_id)
    if current != target:
        raise IllegalTransition("Deployment", current, target)


def deployment_mark_provisioning(*, deployment_id: int) -> None:
    _deployment_move(deployment_id=deployment_id, target=_S.PROVISIONING)


def deployment_mark_cancelled(*, deployment_id: int) -> None:
    _deployment_move(deployment_id=deployment_id, target=_S.CANCELLED)


def deployment_activate(*, deployment_id: int) -> None:
    _deployment_move(deployment_id=deployment_id, target=_S.ACTIVE)


def deployment_deactivate(*, deployment_id: int) -> None:
    """Undo :func:`deployment_activate` (back to ``provisioning``); a
    deployment that is not active (never activated, or cancelled since)
    stays as it is."""
    Deployment.objects.filter(pk=deployment_id, status=_S.ACTIVE).update(
        status=_S.PROVISIONING, updated_at=timezone.now()
    )


def deployment_mark_deprovisioning(*, deployment_id: int) -> None:
    _deployment_move(deployment_id=deployment_id, target=_S.DEPROVISIONING)


def deployment_end_teardown(*, deployment_id: int, droplet_destroyed: bool) -> None:
    """A teardown that compensated: back to ``active`` while the droplet
    still exists, ``failed`` once it is gone (an operator must finish)."""
    target = _S.FAILED if droplet_destroyed else _S.ACTIVE
    _deployment_move(deployment_id=deployment_id, target=target)


def deployment_mark_deleted(*, deployment_id: int) -> None:
    _deployment_move(deployment_id=deployment_id, target=_S.DELETED)
