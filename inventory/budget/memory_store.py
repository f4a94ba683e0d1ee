"""The budget in this process's memory: the embedded mode (one process runs
the web and the worker threads), and ``ARCADIA_RATE_LIMIT_URL=memory://``.

The same rules as the Redis scripts (``acquire.lua``, ``resync.lua``,
``pause.lua``), under one lock; the budget tests run against both.
"""

from __future__ import annotations

import bisect
import threading
import time

from inventory.budget.config import BudgetConfig
from inventory.budget.decision import Decision

_CAP = 10_000


class MemoryStore:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.windows: tuple[list[float], list[float]] = ([], [])
        self.waiters: dict[str, tuple[float, float]] = {}  # caller -> (score, expires)
        self.state: dict[str, float] = {"paused_until": 0.0, "answered_429": 0}

    def _trim(self, config: BudgetConfig, now: float) -> tuple[int, int]:
        for window, seconds in zip(self.windows, (config.minute_window, config.hour_window), strict=True):
            del window[: bisect.bisect_right(window, now - seconds)]
        for who in [w for w, (_, expires) in self.waiters.items() if expires <= now]:
            del self.waiters[who]
        return len(self.windows[0]), len(self.windows[1])

    def acquire(
        self, config: BudgetConfig, *, score: float, waiter: str, create: bool, cost: int = 1
    ) -> Decision:
        limits = (config.per_minute, config.per_hour)
        seconds = (config.minute_window, config.hour_window)
        reserve = (config.minute_reserve, config.hour_reserve) if create else (0, 0)
        with self.lock:
            now = time.time()
            used = self._trim(config, now)
            paused = self.state["paused_until"]
            ahead = sum(1 for s, _ in self.waiters.values() if s < score)
            fits = now >= paused and all(
                not lim or lim - u >= ahead + cost + r
                for lim, u, r in zip(limits, used, reserve, strict=True)
            )
            if fits:
                for window, lim in zip(self.windows, limits, strict=True):
                    if lim:
                        window.extend([now] * cost)
                self.waiters.pop(waiter, None)
                return Decision(True, 0.0, ahead, used[1] + cost)
            wait = 0.0
            for w in (0, 1):
                short = ahead + cost + reserve[w] - (limits[w] - used[w])
                if limits[w] and short > 0:
                    cycles, idx = divmod(short - 1, limits[w])
                    at = (cycles + 1) * seconds[w]
                    if idx < used[w]:
                        at = cycles * seconds[w] + self.windows[w][idx] + seconds[w] - now
                    wait = max(wait, at)
            if paused > now:
                rate = seconds[0] / limits[0] if limits[0] else 0.05
                wait = max(wait, paused - now + (ahead + reserve[0]) * rate)
            wait = max(wait, 0.05)
            if waiter:
                self.waiters[waiter] = (score, now + wait + config.grace)
            return Decision(False, wait, ahead, used[1])

    def resync(self, config: BudgetConfig, *, provider_used: int, remaining: int, reset: float) -> int:
        with self.lock:
            now = time.time()
            added = 0
            if config.per_hour:
                used = self._trim(config, now)[1]
                added = max(0, min(provider_used - used, _CAP))
                self.windows[1].extend([now] * added)
            if remaining <= 0 and reset > now:
                self.state["paused_until"] = max(self.state["paused_until"], reset)
            return added

    def pause(self, seconds: float) -> float:
        with self.lock:
            now = time.time()
            self.state["paused_until"] = max(self.state["paused_until"], now + max(0.0, seconds))
            self.state["last_429"] = now
            self.state["answered_429"] += 1
            return self.state["paused_until"]

    def status(self, config: BudgetConfig) -> dict:
        with self.lock:
            now = time.time()
            minute, hour = self._trim(config, now)
            state = {key: str(value) for key, value in self.state.items()}
            waiting = [score for score, _ in self.waiters.values()]
            return {"now": now, "minute": minute, "hour": hour, "state": state, "waiting_scores": waiting}
