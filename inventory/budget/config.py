"""The budget's numbers, from settings: what Arcadia may use of each window."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

MINUTE, HOUR = 60.0, 3600.0


@dataclass(frozen=True)
class BudgetConfig:
    """Effective limits (the provider's times ``ARCADIA_DO_BUDGET_SHARE``; 0 =
    that window is not limited), window lengths (the provider's plus a margin:
    our clock starts when the permit is taken, the provider's when the request
    arrives, so ours must be the longer one), the slots new creates must leave
    to the other lanes, how long a waiter keeps its place past its turn, how
    long a saga keeps the calls its create held for it (given back sooner
    when the saga ends), the pace of creates (what they may take of the
    minute in any ``create_pace_window`` seconds), and how soon after a create
    its saga calls again (the minute window a create also checks)."""

    per_minute: int
    per_hour: int
    minute_window: float
    hour_window: float
    minute_reserve: int
    hour_reserve: int
    grace: float
    url: str
    hold_seconds: float = 3600.0
    create_pace_window: float = 0.0
    create_pace_limit: int = 0  # 0 = creates are not paced
    # The least time from a create to its saga's next call (acquire.lua).
    create_lead: float = 0.0

    @classmethod
    def from_settings(cls) -> BudgetConfig:
        from django.conf import settings

        share = float(settings.ARCADIA_DO_BUDGET_SHARE)
        margin = float(settings.ARCADIA_DO_BUDGET_WINDOW_MARGIN)
        reserve = float(settings.ARCADIA_DO_BUDGET_CREATE_RESERVE)
        reserve_hour = float(settings.ARCADIA_DO_BUDGET_CREATE_RESERVE_HOUR)
        pace = float(settings.ARCADIA_DO_BUDGET_CREATE_PACE_SECONDS)
        per_minute = math.floor(int(settings.ARCADIA_DO_RATE_LIMIT_PER_MINUTE) * share)
        per_hour = math.floor(int(settings.ARCADIA_DO_RATE_LIMIT_PER_HOUR) * share)
        return cls(
            per_minute=per_minute,
            per_hour=per_hour,
            minute_window=MINUTE + margin,
            hour_window=HOUR + margin,
            minute_reserve=math.floor(per_minute * reserve),
            hour_reserve=math.floor(per_hour * reserve_hour),
            grace=float(settings.ARCADIA_DO_BUDGET_WAITER_GRACE),
            url=settings.ARCADIA_RATE_LIMIT_URL,
            hold_seconds=float(settings.ARCADIA_DO_BUDGET_HOLD_SECONDS),
            create_pace_window=pace,
            # The minute's share of the pace window (at least one create).
            create_pace_limit=max(1, math.floor(per_minute * pace / MINUTE)) if per_minute and pace else 0,
            create_lead=min(float(settings.ARCADIA_DO_BUDGET_CREATE_LEAD_SECONDS), MINUTE),
        )


def token_key(token: str) -> str:
    """What names a token's budget: a hash, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:20]
