"""Retry delays: exponential backoff with full jitter, never shorter than
what the server asked for."""

import random

from provisioning.protocol import RetryPolicy


def backoff_delay(policy: RetryPolicy, failures: int, retry_after: float | None = None) -> float:
    """Seconds to wait before the next try after ``failures`` failures (>= 1)."""
    ceiling = min(policy.backoff_max, policy.backoff_base * 2 ** max(0, failures - 1))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay
