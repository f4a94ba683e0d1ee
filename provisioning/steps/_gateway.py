"""The one place where DigitalOcean gateway errors become engine errors.

``inventory`` must not know about the saga engine, so the gateway raises its
own errors; steps wrap every call in :func:`gateway_errors`.
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager

from inventory.digitalocean import (
    DigitalOceanGateway,
    GatewayNotFound,
    GatewayPermanentError,
    GatewayTransientError,
    get_gateway,
)
from inventory.tags import ARCADIA_TAG, saga_tag
from provisioning.engine import NotReady, PermanentError, TransientError

__all__ = ["ARCADIA_TAG", "GatewayNotFound", "gateway", "gateway_errors", "droplet_destroy", "saga_tag"]


def gateway() -> DigitalOceanGateway:
    return get_gateway()


@contextmanager
def gateway_errors() -> Iterator[None]:
    """Translate: 429 → NotReady (wait out the rate-limit window), other
    transient → TransientError (keeping the server's retry-after), not found /
    other 4xx → PermanentError. Steps that treat a
    404 as normal catch GatewayNotFound inside this block."""
    try:
        yield
    except GatewayTransientError as exc:
        if exc.status == 429:
            # Rate limiting is back-pressure, not failure: wait for the window
            # without spending the step's attempts.
            raise NotReady(f"rate limited: {exc}", retry_after=rate_limit_wait(exc.retry_after)) from exc
        raise TransientError(str(exc), retry_after=exc.retry_after) from exc
    except GatewayNotFound as exc:
        raise PermanentError(f"not found at DigitalOcean: {exc}") from exc
    except GatewayPermanentError as exc:
        raise PermanentError(str(exc)) from exc


def rate_limit_wait(retry_after: float | None) -> float:
    """The server's wait plus a spread as long again, so that the sagas a
    reset releases do not all return in the same second and trip it again."""
    base = max(0.5, retry_after or 0.0)
    return base + random.uniform(0.0, base)


def droplet_destroy(gw: DigitalOceanGateway, droplet_id: int) -> None:
    """Destroy, where 404 already counts as done and 422 (an event still
    pending on a droplet that is booting) is worth retrying: a droplet that
    cannot be destroyed yet must not be abandoned."""
    with gateway_errors():
        try:
            gw.droplet_destroy(droplet_id)
        except GatewayPermanentError as exc:
            if getattr(exc, "status", None) == 422:
                raise TransientError(
                    f"droplet {droplet_id} not destroyable yet: {exc}", retry_after=2
                ) from exc
            raise
