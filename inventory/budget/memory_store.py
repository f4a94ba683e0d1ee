"""The budget in this process's memory: the embedded mode (one process runs
the web and the worker threads), and ``ARCADIA_RATE_LIMIT_URL=memory://``.

The same rules as the Redis scripts (``acquire.lua``, ``resync.lua``,
``pause.lua``), under one lock; the budget tests run against both.
"""

from __future__ import annotations

import bisect
import threading
import time

from inventory.budget.caller import CREATE, LANE_SPAN
from inventory.budget.config import BudgetConfig
from inventory.budget.decision import Decision, Request

_CAP = 10_000
HELD_RECHECK = 2.0  # acquire.lua's
# Entries the provider's headers added (other clients of the token): no key.
PHANTOM = "\x00"


class MemoryStore:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.windows: tuple[list[tuple[float, str]], list[tuple[float, str]]] = ([], [])
        self.waiters: dict[str, tuple[float, float]] = {}  # caller -> (rank, expires)
        self.held: dict[str, tuple[int, float]] = {}  # saga -> (calls, expires)
        self.fair: dict[str, float] = {}  # 'v:<lane>' and 'f:<lane>:<key>' (acquire.lua)
        self.paced: list[float] = []  # creates' permits, for the pace
        self.state: dict[str, float] = {"paused_until": 0.0, "answered_429": 0}

    def _trim(self, config: BudgetConfig, now: float) -> tuple[int, int]:
        for window, seconds in zip(self.windows, (config.minute_window, config.hour_window), strict=True):
            del window[: bisect.bisect_right(window, (now - seconds, "\uffff"))]
        for who in [w for w, (_, expires) in self.waiters.items() if expires <= now]:
            del self.waiters[who]
        for saga in [s for s, (_, expires) in self.held.items() if expires <= now]:
            del self.held[saga]
        return len(self.windows[0]), len(self.windows[1])

    def acquire(self, config: BudgetConfig, request: Request) -> Decision:
        limits = (config.per_minute, config.per_hour)
        seconds = (config.minute_window, config.hour_window)
        reserve = (config.minute_reserve, config.hour_reserve) if request.lane == CREATE else (0, 0)
        with self.lock:
            now = time.time()
            used = self._trim(config, now)
            held = sum(calls for calls, _ in self.held.values())
            paused = self.state["paused_until"]
            mine, expires = self.held.get(request.saga, (0, 0.0)) if request.saga else (0, 0.0)
            if request.planned and mine > request.keep + request.plan:
                held -= mine - request.keep - request.plan
                mine = request.keep + request.plan
                self._hold(request.saga, mine, expires)
            covered = min(request.cost, max(0, mine - request.keep)) if request.planned else 0
            extra = request.cost - covered
            add = max(0, request.hold - (mine - covered))
            rank, start = self._rank(request, extra)
            ahead = sum(1 for r, _ in self.waiters.values() if r < rank)
            queued = extra > 0 or add > 0
            # A create fits the minute twice: as it is, with the reserve, and
            # as it will stand its lead on, with the held calls (a third
            # window, acquire.lua says why); every call counts them in the hour.
            create = request.lane == CREATE
            skip = self._before_lead(config, now) if create and limits[0] else 0
            need = [request.cost + ahead + reserve[0], extra + add + ((ahead + reserve[1]) if queued else 0)]
            room = [limits[0] - used[0], limits[1] - used[1] - held]
            if create:
                limits, seconds, used = (*limits, limits[0]), (*seconds, seconds[0]), (*used, used[0])
                need.append(request.cost + add + ahead)
                room.append(limits[0] - (used[0] - skip) - held)
            fits = now >= paused and all(
                not lim or r >= n for lim, r, n in zip(limits, room, need, strict=True)
            )
            paced, pace_need = self._pace(config, request, rank, extra, now)
            over_pace = paced > 0 and paced + pace_need > config.create_pace_limit
            if fits and not over_pace:
                self._grant(request, now, mine, mine - covered + add, config)
                if request.lane == CREATE and config.create_pace_limit:
                    self.paced.extend([now] * extra)
                self.waiters.pop(request.waiter, None)
                if extra > 0:
                    self._advance(request.lane, start)
                return Decision(True, 0.0, ahead, used[1] + request.cost, repr(now))
            wait = 0.0
            for w in range(len(need)):
                short = need[w] - room[w]
                if limits[w] and short > 0:
                    cycles, idx = divmod(short - 1, limits[w])
                    entries, ends = self.windows[(0, 1, 0)[w]], seconds[w]
                    if w == 2:  # from the first entry the lead keeps
                        idx, ends = idx + skip, seconds[0] - config.create_lead
                    at = cycles * seconds[w] + ends
                    if idx < used[w]:
                        at = cycles * seconds[w] + entries[idx][0] + ends - now
                    if w == 1 and 0 < short <= held:  # held calls may come back sooner (acquire.lua)
                        at = min(at, HELD_RECHECK)
                    wait = max(wait, at)
            if over_pace:
                idx = min(paced - 1, max(0, paced + pace_need - config.create_pace_limit - 1))
                wait = max(wait, self.paced[idx] + config.create_pace_window - now)
            if paused > now:
                rate = seconds[0] / limits[0] if limits[0] else 0.05
                wait = max(wait, paused - now + (ahead + reserve[0]) * rate)
            wait = max(wait, 0.05)
            if request.waiter:
                self.waiters[request.waiter] = (rank, now + wait + config.grace)
            return Decision(False, wait, ahead, used[1])

    def _before_lead(self, config: BudgetConfig, now: float) -> int:
        """Minute entries that will have left the window ``create_lead`` on."""
        cut = now + config.create_lead - config.minute_window
        return bisect.bisect_right(self.windows[0], (cut, "\uffff"))

    def _pace(self, config: BudgetConfig, request: Request, rank: float, extra: int, now: float):
        """Creates' entries in the pace window, and what this create needs of
        it (the creates queued ahead count as needing as much)."""
        if request.lane != CREATE or not config.create_pace_limit:
            return 0, 0
        del self.paced[: bisect.bisect_right(self.paced, now - config.create_pace_window)]
        span = CREATE * LANE_SPAN
        ahead_creates = sum(1 for r, _ in self.waiters.values() if span <= r < rank)
        return len(self.paced), (ahead_creates + 1) * extra

    def _rank(self, request: Request, extra: int) -> tuple[float, float]:
        """The caller's queued rank, or a new start tag (advancing its key's)."""
        span = request.lane * LANE_SPAN
        if request.waiter in self.waiters:
            rank = self.waiters[request.waiter][0]
            return rank, rank - span
        finish = f"f:{request.lane}:{request.key}"
        start = max(self.fair.get(f"v:{request.lane}", 0.0), self.fair.get(finish, 0.0))
        if extra > 0:
            self.fair[finish] = start + extra / max(request.weight, 0.001)
        return span + start, start

    def _advance(self, lane: int, start: float) -> None:
        """The lane's virtual time moves to ``start``, never past a waiter of the lane."""
        span = lane * LANE_SPAN
        low = [rank - span for rank, _ in self.waiters.values() if span <= rank < span + LANE_SPAN]
        moved = min([start, *low])
        key = f"v:{lane}"
        self.fair[key] = max(self.fair.get(key, 0.0), moved)

    def _grant(self, request: Request, now: float, mine: int, left: int, config: BudgetConfig) -> None:
        for window, lim in zip(self.windows, (config.per_minute, config.per_hour), strict=True):
            if lim:
                window.extend([(now, request.key)] * request.cost)
        if left != mine:
            self._hold(request.saga, left, now + config.hold_seconds)

    def _hold(self, saga: str, calls: int, expires: float) -> None:
        if calls > 0:
            self.held[saga] = (calls, expires)
        else:
            self.held.pop(saga, None)

    def restamp(self, config: BudgetConfig, stamp: str, index: int, key: str) -> bool:
        """restamp.lua's rule: one of the grant's entries moves to now (here
        the grant's entries are alike, so ``index`` picks none in particular),
        unless its slot has freed already."""
        with self.lock:
            now, granted = time.time(), float(stamp)
            self._trim(config, now)
            found = []
            for window, lim in zip(self.windows, (config.per_minute, config.per_hour), strict=True):
                if not lim:
                    continue
                # The grant's entries: its time and key (others may share the time).
                at = bisect.bisect_left(window, (granted, ""))
                end = bisect.bisect_right(window, (granted, "\uffff"))
                mine = next((i for i in range(at, end) if window[i][1] == key), None)
                if mine is None:
                    return False
                found.append((window, mine))
            for window, mine in found:
                del window[mine]
                window.append((now, key))
            return True

    def release(self, saga: str) -> int:
        with self.lock:
            return self.held.pop(saga, (0, 0.0))[0]

    def resync(self, config: BudgetConfig, *, provider_used: int, remaining: int, reset: float) -> int:
        with self.lock:
            now = time.time()
            added = 0
            if config.per_hour:
                used = self._trim(config, now)[1]
                added = max(0, min(provider_used - used, _CAP))
                self.windows[1].extend([(now, PHANTOM)] * added)
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
            self._trim(config, now)
            state = {key: str(value) for key, value in self.state.items()}
            state["held"] = str(sum(calls for calls, _ in self.held.values()))
            return {
                "now": now,
                "minute": [_member(i, key) for i, (_, key) in enumerate(self.windows[0])],
                "hour": [_member(i, key) for i, (_, key) in enumerate(self.windows[1])],
                "state": state,
                "waiting": [(who, rank) for who, (rank, _) in self.waiters.items()],
            }


def _member(i: int, key: str) -> str:
    """A window entry as the Redis store names it: ``<id>:<key>``, or
    ``p<id>`` for one the provider's headers added."""
    return f"p{i}" if key == PHANTOM else f"{i}:{key}"
