"""One budget per DigitalOcean token, covering both of its windows.

``get_budget(token)`` is the budget the gateway asks before every request
(``acquire``) and tells about every answer (``observe``): the headers correct
the count, a 429 pauses the whole token. Where it lives follows
``ARCADIA_RATE_LIMIT_URL`` (see settings): Redis, shared by every process,
or this process's memory in the embedded mode.
"""

from __future__ import annotations

import logging
import time

from inventory.budget.caller import CREATE, LANE_SPAN, Caller
from inventory.budget.config import BudgetConfig, token_key
from inventory.budget.decision import Decision, Request
from inventory.budget.memory_store import MemoryStore

log = logging.getLogger("inventory.budget")

# A 429 with neither retry-after nor an empty quota: a burst of unknown
# length; pause the token briefly rather than until the hourly reset.
UNKNOWN_BURST_PAUSE = 1.0
# A permit whose call is answered later than this (seconds) after its grant
# counts from the answer instead (see Budget.answered). The window margin
# (ARCADIA_DO_BUDGET_WINDOW_MARGIN, 1 s) covers what is quicker; the usual
# call is answered in milliseconds and costs no extra round trip.
MOVE_PERMITS_AFTER = 0.25


class Budget:
    def __init__(self, config: BudgetConfig, store, key: str):
        self.config, self.store, self.key = config, store, key

    def acquire(self, caller: Caller, method: str, path: str, *, cost: int = 1) -> Decision:
        """A permit (``cost`` of them at once, for a step's known sequence of
        calls, so it is not refused half-way and repeats its first call)."""
        lane = caller.lane(method, path)
        request = Request(
            lane=lane,
            waiter=caller.waiter,
            cost=cost,
            key=caller.fairness_key,
            weight=caller.weight,
            saga=caller.saga_id,
            hold=caller.holds if lane == CREATE else 0,
            planned=caller.planned,
            keep=caller.holds if caller.planned else 0,
            plan=caller.plan,
        )
        decision = self.store.acquire(self.config, request)
        if not decision.granted:
            log.info(
                "%s: no DigitalOcean permit for %s %s (lane %d, %d ahead); retry in %.1fs",
                caller.describe(),
                method,
                path,
                lane,
                decision.ahead,
                decision.wait,
            )
        return decision

    def observe(self, status: int, headers, decision: Decision | None) -> float | None:
        """Correct the count from an answer; for a 429, pause the token and
        return how long (seconds)."""
        limit, remaining, reset = (_int(headers.get(h)) for h in _HEADERS)
        if status == 429:
            retry_after = _int(headers.get("retry-after"))
            if retry_after is not None:
                seconds = float(retry_after)
            elif remaining == 0 and reset is not None:
                seconds = max(0.0, reset - time.time())
            else:
                seconds = UNKNOWN_BURST_PAUSE
            until = self.store.pause(seconds)
            log.warning("DigitalOcean answered 429: every caller of this token waits %.1fs", seconds)
            return max(0.0, until - time.time())
        if limit is None or remaining is None:
            return None
        provider_used = limit - remaining
        ours = decision.used_hour if decision is not None else 0
        # The usual answer needs no write: the provider counts no more than we do.
        if remaining <= 0 or (self.config.per_hour and provider_used > ours):
            added = self.store.resync(
                self.config, provider_used=provider_used, remaining=remaining, reset=float(reset or 0)
            )
            if added:
                log.info("DigitalOcean counts %d more requests than Arcadia: others share the token", added)
        return None

    def answered(self, decision: Decision, caller: Caller, *, index: int = 0, age: float) -> bool:
        """The call spending permit ``index`` of ``decision`` was answered (or
        given up on) ``age`` seconds after the grant: the request reached the
        provider by now. A permit granted longer ago than
        ``MOVE_PERMITS_AFTER`` moves to now (``restamp.lua``), so its slot
        frees a window after the provider counted the request, not after the
        grant. Returns whether it moved."""
        if age <= MOVE_PERMITS_AFTER or not decision.granted or not decision.stamp:
            return False
        if not (self.config.per_minute or self.config.per_hour):
            return False
        if self.store.restamp(self.config, decision.stamp, index, caller.fairness_key):
            return True
        log.warning(
            "%s: a DigitalOcean call answered %.1fs after its permit, whose slot had freed already: "
            "a 429 may follow",
            caller.describe(),
            age,
        )
        return False

    def release(self, saga_id: str) -> int:
        """Give back the calls ``saga_id`` still holds (it ended); returns how many."""
        return self.store.release(str(saga_id)) if saga_id else 0

    def status(self) -> dict:
        """Used and left in each window, pause, waiters and held calls, each
        also per fairness key; last 429."""
        raw, config = self.store.status(self.config), self.config
        state, now = raw["state"], raw["now"]
        paused_until = float(state.get("paused_until") or 0)
        lanes = [0, 0, 0]
        for _, rank in raw["waiting"]:
            lanes[min(2, int(rank // LANE_SPAN))] += 1
        last_429 = float(state["last_429"]) if state.get("last_429") else None

        def window(used, limit):
            return {"limit": limit or None, "used": used, "left": max(0, limit - used) if limit else None}

        return {
            "backend": "memory" if isinstance(self.store, MemoryStore) else "redis",
            "token": self.key,  # a hash of the token
            "minute": window(len(raw["minute"]), config.per_minute),
            "hour": window(len(raw["hour"]), config.per_hour),
            "held": int(float(state.get("held") or 0)),
            "by_key": _by_key(raw),
            "paused_until": paused_until if paused_until > now else None,
            "waiting": sum(lanes),
            "waiting_by_lane": {"compensation": lanes[0], "past_create": lanes[1], "create": lanes[2]},
            "last_429": last_429,
            "answered_429": int(float(state.get("answered_429") or 0)),
        }

    def reset(self) -> None:
        self.store.reset()


def _by_key(raw: dict) -> dict[str, dict[str, int]]:
    """Permits in each window and waiters, per fairness key (entries the
    provider's headers added belong to no key)."""
    keys: dict[str, dict[str, int]] = {}

    def count(key: str, what: str) -> None:
        keys.setdefault(key, {"minute": 0, "hour": 0, "waiting": 0})[what] += 1

    for what in ("minute", "hour"):
        for member in raw[what]:
            if ":" in member:
                count(member.split(":", 1)[1], what)
    for waiter, _ in raw["waiting"]:
        count(waiter.split("|", 1)[0], "waiting")
    return keys


_HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")


def _int(value) -> int | None:
    try:
        return int(float(value)) if value not in (None, "") else None
    except ValueError:
        return None


_budgets: dict[tuple, Budget] = {}
_memory: dict[str, MemoryStore] = {}


def get_budget(token: str | None = None) -> Budget:
    """The budget of ``token`` (default: the configured one) under the
    current settings; reused while they stay the same."""
    if token is None:
        from django.conf import settings

        token = settings.DIGITALOCEAN_TOKEN
    config, key = BudgetConfig.from_settings(), token_key(token)
    cached = _budgets.get((config, key))
    if cached is None:
        if config.url.startswith("memory://"):
            store = _memory.setdefault(key, MemoryStore())
        else:
            from inventory.budget.redis_store import RedisStore

            store = RedisStore(config.url, key)
        cached = _budgets[(config, key)] = Budget(config, store, key)
    return cached


def budget_status(token: str | None = None) -> dict:
    """For the admin and ``/healthz``: see :meth:`Budget.status`."""
    return get_budget(token).status()


def budget_release(saga_id: str, status: str = "", token: str | None = None) -> int:
    """Give back what ``saga_id`` still holds: the engine's ``saga_finished``
    hook (``status``, the saga's last, changes nothing: every end gives back)."""
    return get_budget(token).release(saga_id)


def budget_reset(token: str | None = None) -> None:
    """Forget every permit, waiter and pause of the token (tests, benchmarks)."""
    get_budget(token).reset()
