"""DigitalOcean's rate limit as the simulator models it.

Per token, two sliding windows of ACCEPTED requests (a request answered 429
does not count): ``per_minute`` over 60 s and ``per_hour`` over 3,600 s; 0
turns a window off. Every answer carries integer headers:

- ``ratelimit-limit`` / ``ratelimit-remaining``: the hourly quota and what is
  left of it (as DigitalOcean reports them). With no hourly window configured
  they describe the minute window instead, and with neither a nominal limit
  no client reaches (the simulator is then unlimited, so benchmarks measure
  Arcadia rather than the simulator);
- ``ratelimit-reset``: epoch seconds when the oldest request in that window
  expires (now when the window is empty).

Past either limit the answer is 429 with ``retry-after``: whole seconds until
the oldest request of the full window expires.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

MINUTE, HOUR = 60.0, 3600.0
UNLIMITED = 1_000_000  # the nominal limit reported when no window is configured


@dataclass
class Window:
    seconds: float
    accepted: deque = field(default_factory=deque)

    def trim(self, now: float) -> None:
        while self.accepted and self.accepted[0] <= now - self.seconds:
            self.accepted.popleft()

    def reset_at(self, now: float) -> float:
        return (self.accepted[0] if self.accepted else now) + (self.seconds if self.accepted else 0)


@dataclass
class RateLimit:
    minute: Window = field(default_factory=lambda: Window(MINUTE))
    hour: Window = field(default_factory=lambda: Window(HOUR))

    def clear(self) -> None:
        self.minute.accepted.clear()
        self.hour.accepted.clear()

    def admit(self, now: float, *, per_minute: int, per_hour: int) -> tuple[dict[str, str], bool]:
        """Count the request if a window has room; return (headers, limited)."""
        self.minute.trim(now)
        self.hour.trim(now)
        full = None
        if per_minute and len(self.minute.accepted) >= per_minute:
            full = self.minute
        elif per_hour and len(self.hour.accepted) >= per_hour:
            full = self.hour
        if full is None:
            self.minute.accepted.append(now)
            if per_hour:  # the hourly log is only kept when it limits
                self.hour.accepted.append(now)
        if per_hour:
            limit, window = per_hour, self.hour
        elif per_minute:
            limit, window = per_minute, self.minute
        else:
            limit, window = UNLIMITED, self.minute
        headers = {
            "ratelimit-limit": str(limit),
            "ratelimit-remaining": str(max(0, limit - len(window.accepted))),
            "ratelimit-reset": str(int(window.reset_at(now))),
        }
        if full is not None:
            headers["retry-after"] = str(max(1, int(full.reset_at(now) - now + 0.999)))
        return headers, full is not None

    def snapshot(self, now: float) -> dict[str, int]:
        self.minute.trim(now)
        self.hour.trim(now)
        return {"minute": len(self.minute.accepted), "hour": len(self.hour.accepted)}


def most_in_any_window(times, seconds: float) -> int:
    """The most of ``times`` (epoch seconds) that any sliding window of
    ``seconds`` holds: what a limit on that window must never be below.
    For reading request logs (the simulator's, a limiter's grants)."""
    times, best, start = sorted(times), 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - seconds:
            start += 1
        best = max(best, end - start + 1)
    return best
