"""Who asks for a permit, and in which lane it queues.

Lanes (lower goes first): 0 compensation (a rollback must never starve),
1 any other call of a saga already past create, 2 new creates. Within a
lane the oldest saga goes first. The rank score packs both into one number
a Redis sorted set orders by.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

COMPENSATION, PAST_CREATE, CREATE = 0, 1, 2
LANE_SPAN = 1e10  # larger than any epoch second, so lanes never interleave


@dataclass(frozen=True)
class Caller:
    saga_id: str = ""
    step: str = ""
    compensating: bool = False
    saga_started_at: float | None = None  # epoch seconds

    def lane(self, method: str, path: str) -> int:
        if self.compensating:
            return COMPENSATION
        if method == "POST" and path.rstrip("/").endswith("/v2/droplets"):
            return CREATE
        return PAST_CREATE

    def score(self, lane: int) -> float:
        started = self.saga_started_at if self.saga_started_at is not None else time.time()
        return lane * LANE_SPAN + started

    @property
    def waiter(self) -> str:
        """The queue entry of this caller ('' = not queued: no saga to wait for)."""
        if not self.saga_id:
            return ""
        return f"{self.saga_id}:{self.step}:{'c' if self.compensating else 'f'}"

    def describe(self) -> str:
        return f"saga {self.saga_id} step {self.step}" if self.saga_id else "a call outside any saga"


ANONYMOUS = Caller()
