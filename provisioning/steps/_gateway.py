"""How steps reach DigitalOcean: the gateway bound to the step's saga, and the
one place where the gateway's errors become the engine's.

``inventory`` knows nothing of the saga engine, so the gateway raises its own
errors; steps wrap every call in :func:`gateway_errors`.
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager

from inventory.budget import Caller
from inventory.gateway import (
    DigitalOceanGateway,
    GatewayNotFound,
    GatewayPermanentError,
    GatewayThrottled,
    GatewayTransientError,
    get_gateway,
)
from inventory.tags import ARCADIA_TAG, saga_tag
from provisioning.engine import PermanentError, Throttled, TransientError

__all__ = ["ARCADIA_TAG", "GatewayNotFound", "gateway", "gateway_errors", "droplet_destroy", "saga_tag"]


# Where a saga's context carries its fairness key and weight (the tenant's
# slug and budget weight, from deployments.services): opaque to the budget.
FAIRNESS_KEY, FAIRNESS_WEIGHT = "fairness_key", "fairness_weight"
# A plan larger than any saga holds: the caller may spend every held call.
SPEND_ANY_HELD = 1_000_000


def gateway(ctx=None, *, compensating: bool = False, calls: int = 1) -> DigitalOceanGateway:
    """The gateway, asking the shared budget on behalf of the step in ``ctx``:
    its saga, whether it compensates (first lane), its fairness key and
    weight, and the calls its definition plans (a create holds the calls of
    the steps after it; a planned step spends them). ``compensating=True``
    from a ``compensate`` method. ``calls``: requests the step makes in a
    row (their permits are taken at once)."""
    gw = get_gateway()
    if ctx is None:
        return gw
    compensating = compensating or ctx.compensating
    return gw.for_caller(
        Caller(
            saga_id=str(ctx.saga_id),
            step=ctx.step_name,
            compensating=compensating,
            fairness_key=str(ctx.get(FAIRNESS_KEY) or ""),
            weight=float(ctx.get(FAIRNESS_WEIGHT) or 1),
            holds=0 if compensating else ctx.calls_planned_after,
            # A rollback spends what its saga still holds first: the forward
            # calls it will never make pay for undoing the ones it made.
            plan=SPEND_ANY_HELD if compensating else ctx.planned_calls,
        ),
        calls=calls,
    )


@contextmanager
def gateway_errors() -> Iterator[None]:
    """Translate: no permit or a 429 → Throttled (wait for the budget: not
    an attempt, not against a deadline), other transient → TransientError
    (keeping the server's retry-after), not found / other 4xx →
    PermanentError. Steps that treat a 404 as normal catch GatewayNotFound
    inside this block."""
    try:
        yield
    except GatewayThrottled as exc:
        # The budget's wait already reflects this caller's rank; a 429's
        # pause is the same for everyone, so it gets a spread.
        wait = rate_limit_wait(exc.retry_after) if exc.status == 429 else exc.retry_after
        raise Throttled(f"rate limited: {exc}", retry_after=wait) from exc
    except GatewayTransientError as exc:
        if exc.status == 429:
            raise Throttled(f"rate limited: {exc}", retry_after=rate_limit_wait(exc.retry_after)) from exc
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
    """Destroy, where 404 already counts as done; the gateway decides when a
    droplet is not destroyable yet (a transient error, so it is retried)."""
    with gateway_errors():
        gw.droplet_destroy(droplet_id)
