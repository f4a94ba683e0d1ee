"""Who asks for a permit: its lane, its fairness key, and the calls its saga
has been promised.

Lanes (lower goes first): 0 compensation (a rollback must never starve),
1 any other call of a saga already past create, 2 new creates. Within a
lane, the waiting fairness keys (tenants, to the project; opaque here) take
turns by weight: start-time fair queuing (see ``acquire.lua``). A caller's
rank is one number, the lane times ``LANE_SPAN`` plus its start tag, so one
Redis sorted set orders every waiter.

A create may *hold* calls for its saga (``holds``): the calls the rest of
the saga's definition plans, so a window running out stops new creates
while every droplet already bought can still finish. A later call of that
saga the plan counted (``plan``) spends the held calls, not the queue's, but
never those the steps after it still need (``holds``); the calls an earlier
step planned and did not spend (a poll a shared listing answered) are given
back at the next planned step.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPENSATION, PAST_CREATE, CREATE = 0, 1, 2
# Larger than any start tag will grow to (tags advance by cost / weight per
# permit: 1e10 is thousands of years at DigitalOcean's 5,000 an hour), so
# lanes never interleave.
LANE_SPAN = 1e10


@dataclass(frozen=True)
class Caller:
    saga_id: str = ""
    step: str = ""
    compensating: bool = False
    fairness_key: str = ""  # '' = the key of every caller that gives none
    weight: float = 1.0  # this key's share against the other waiting keys
    holds: int = 0  # calls the saga's steps after this one plan (a create holds them)
    plan: int = 0  # calls this step plans: it may spend that many of the saga's held calls

    @property
    def planned(self) -> bool:
        return self.plan > 0

    def lane(self, method: str, path: str) -> int:
        if self.compensating:
            return COMPENSATION
        if method == "POST" and path.rstrip("/").endswith("/v2/droplets"):
            return CREATE
        return PAST_CREATE

    @property
    def waiter(self) -> str:
        """The queue entry of this caller ('' = not queued: no saga to wait
        for). Its key comes first, so the budget can count waiters by key."""
        if not self.saga_id:
            return ""
        return f"{self.fairness_key}|{self.saga_id}:{self.step}:{'c' if self.compensating else 'f'}"

    def describe(self) -> str:
        return f"saga {self.saga_id} step {self.step}" if self.saga_id else "a call outside any saga"


ANONYMOUS = Caller()
