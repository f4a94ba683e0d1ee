"""The budget in Redis, shared by every process on every host.

Each operation is one Lua script (``*.lua`` beside this file), so a permit is
one round trip and atomic: no "read then write" between processes. The clock
is Redis's (``TIME``), so hosts whose clocks differ still agree.

Why not the ``limits`` library (5.8): its moving window checks one limit per
call, so two windows are two scripts and a permit refused by the second has
already been counted by the first; its keys embed the limit's amount, so the
lanes cannot share one window with different ceilings; and it has no way to
queue callers by rank, to add the provider's count of other clients' requests
to ours, or to pause the whole token. Those are the point of this budget.
"""

from __future__ import annotations

from pathlib import Path

import redis

from inventory.budget.caller import CREATE
from inventory.budget.config import BudgetConfig
from inventory.budget.decision import Decision, Request

_HERE = Path(__file__).resolve().parent
_CAP = 10_000  # phantom entries added by one resync at most


class RedisStore:
    def __init__(self, url: str, token_key: str):
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        prefix = f"arcadia:do-budget:{token_key}:"
        names = (
            "minute",
            "hour",
            "waiters",
            "waiter_expiry",
            "state",
            "held",
            "held_expiry",
            "fair",
            "paced",
        )
        self.keys = {name: prefix + name for name in names}
        self._acquire = self.client.register_script((_HERE / "acquire.lua").read_text())
        self._resync = self.client.register_script((_HERE / "resync.lua").read_text())
        self._pause = self.client.register_script((_HERE / "pause.lua").read_text())
        self._release = self.client.register_script((_HERE / "release.lua").read_text())
        self._restamp = self.client.register_script((_HERE / "restamp.lua").read_text())

    def acquire(self, config: BudgetConfig, request: Request) -> Decision:
        k = self.keys
        reserve = (config.minute_reserve, config.hour_reserve) if request.lane == CREATE else (0, 0)
        granted, used_hour, wait, ahead, *first = self._acquire(
            keys=[k[name] for name in self.keys],
            args=[
                config.per_minute,
                config.per_hour,
                config.minute_window,
                config.hour_window,
                request.lane,
                request.waiter,
                *reserve,
                config.grace,
                request.cost,
                request.key,
                repr(float(request.weight)),
                request.saga,
                request.hold,
                "1" if request.planned else "0",
                config.hold_seconds,
                config.create_pace_window,
                config.create_pace_limit,
                request.keep,
                request.plan,
                config.create_lead,
            ],
        )
        stamp = str(int(first[0])) if first else ""
        return Decision(bool(granted), float(wait), int(ahead), int(used_hour), stamp)

    def restamp(self, config: BudgetConfig, stamp: str, index: int, key: str) -> bool:
        k = self.keys
        permit = int(stamp) + index  # a grant's ids are consecutive from its stamp
        args = [permit, key, config.minute_window, config.hour_window, config.per_minute, config.per_hour]
        return bool(self._restamp(keys=[k["minute"], k["hour"]], args=args))

    def release(self, saga: str) -> int:
        k = self.keys
        return int(self._release(keys=[k["state"], k["held"], k["held_expiry"]], args=[saga]))

    def resync(self, config: BudgetConfig, *, provider_used: int, remaining: int, reset: float) -> int:
        window = config.hour_window if config.per_hour else 0
        k = self.keys
        args = [provider_used, window, remaining, reset, _CAP]
        return int(self._resync(keys=[k["hour"], k["state"]], args=args))

    def pause(self, seconds: float) -> float:
        return float(self._pause(keys=[self.keys["state"]], args=[max(0.0, seconds)]))

    def status(self, config: BudgetConfig) -> dict:
        k = self.keys
        now_s, now_us = self.client.time()
        now = now_s + now_us / 1e6
        pipe = self.client.pipeline(transaction=False)
        pipe.zrangebyscore(k["minute"], now - config.minute_window, "+inf")
        pipe.zrangebyscore(k["hour"], now - config.hour_window, "+inf")
        pipe.hgetall(k["state"])
        pipe.zrangebyscore(k["waiter_expiry"], now, "+inf")
        pipe.zrange(k["waiters"], 0, -1, withscores=True)
        minute, hour, state, live, queued = pipe.execute()
        live = set(live)
        state = {key.decode(): value.decode() for key, value in state.items()}
        waiting = [(member.decode(), score) for member, score in queued if member in live]
        return {
            "now": now,
            "minute": [m.decode() for m in minute],
            "hour": [m.decode() for m in hour],
            "state": state,
            "waiting": waiting,
        }

    def reset(self) -> None:
        self.client.delete(*self.keys.values())
