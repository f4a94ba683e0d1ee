"""A step, or its undo, that failed and may be tried again: whether to give
up, and how a retry is released. One rule for both directions."""

from __future__ import annotations

from provisioning.engine import claims
from provisioning.engine.claims import Claim
from provisioning.engine.logs import stored_error
from provisioning.engine.outcome import Outcome
from provisioning.engine.policies import RetryPolicy, backoff_delay, gives_up


def give_up_reason(claim: Claim, policy: RetryPolicy, exc: Exception, *, tries: int, default: float) -> str:
    """Why to stop trying ("" to go on): out of attempts, or failing too long."""
    why = gives_up(policy, tries=tries, failing_for=claims.failing_for(claim), default=default)
    return f"{why}: {stored_error(exc)}" if why else ""


def release_for_retry(
    claim: Claim, policy: RetryPolicy, exc: Exception, *, tries: int, event_name
) -> Outcome:
    """Release the claim with the error, counted, and retry after the
    policy's backoff (or the server's ``retry_after`` where it says more)."""
    delay = backoff_delay(policy, tries, getattr(exc, "retry_after", None))
    claims.release(
        claim,
        failed=True,
        error=stored_error(exc),
        event_name=event_name,
        countdown=round(delay, 2),
        due_in=delay,
    )
    return Outcome.retry(delay)
