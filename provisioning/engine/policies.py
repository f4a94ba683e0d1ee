"""How the engine retries a step: the policy a step declares, and the delay
it yields (exponential backoff with full jitter, never shorter than what the
server asked for)."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How the engine retries one step (or one compensation).

    ``max_attempts`` bounds transient retries; the delay before attempt n is
    ``min(backoff_max, backoff_base * 2**(n-1))`` with full jitter, or the
    server's ``retry_after`` when it is longer. ``deadline`` (seconds from the
    step's first start, not counting time spent ``Throttled``) bounds polling
    on ``NotReady``.
    """

    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    poll_interval: float = 5.0
    deadline: float | None = None


def backoff_delay(policy: RetryPolicy, failures: int, retry_after: float | None = None) -> float:
    """Seconds to wait before the next try after ``failures`` failures (>= 1)."""
    ceiling = min(policy.backoff_max, policy.backoff_base * 2 ** max(0, failures - 1))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay
