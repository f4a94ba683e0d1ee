"""Deployment status changes as the steps meet them.

The steps call ``deployments.status_moves`` directly; this translates what
those services raise into the engine's terms: an illegal transition, or a
deployment that does not exist, is a permanent step failure.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ObjectDoesNotExist

from provisioning.engine import IllegalTransition, PermanentError


@contextmanager
def deployment_errors(deployment_id: int) -> Iterator[None]:
    try:
        yield
    except IllegalTransition as exc:
        raise PermanentError(str(exc)) from exc
    except ObjectDoesNotExist as exc:
        raise PermanentError(f"deployment {deployment_id} does not exist") from exc
