"""How the engine retries a step: the policy a step declares, and the delay
it yields (exponential backoff with full jitter, never shorter than what the
server asked for)."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How the engine retries one step (or one compensation).

    Transient errors are retried for ``give_up_after`` seconds from the first
    failure of an unbroken run of them (None: the engine settings' default,
    minutes: a provider incident must not roll healthy sagas back), and, when
    set, at most ``max_attempts`` times. The delay before try n is
    ``min(backoff_max, backoff_base * 2**(n-1))`` with full jitter, or the
    server's ``retry_after`` when it is longer. ``deadline`` (seconds from the
    step's first start, not counting time spent ``Throttled``) bounds polling
    on ``NotReady``.
    """

    max_attempts: int | None = None
    give_up_after: float | None = None
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    poll_interval: float = 5.0
    deadline: float | None = None


def backoff_delay(policy: RetryPolicy, failures: int, retry_after: float | None = None) -> float:
    """Seconds to wait before the next try after ``failures`` failures (>= 1)."""
    ceiling = min(policy.backoff_max, policy.backoff_base * 2 ** max(0, failures - 1))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def gives_up(policy: RetryPolicy, *, tries: int, failing_for: float, default: float) -> str:
    """Why a transient failure is the last one tried ("" while retries go on):
    the policy's time for an unbroken run of failures is up, or its count."""
    budget = policy.give_up_after if policy.give_up_after is not None else default
    if failing_for >= budget or (policy.max_attempts is not None and tries >= policy.max_attempts):
        return f"gave up after {tries} attempts over {failing_for:.0f}s"
    return ""
